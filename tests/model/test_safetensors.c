/* test_safetensors.c — the safetensors reader and writer: round trip of every dtype, the
 * IEEE half and bfloat16 conversions on values fixed by the formats' definitions, and each
 * kind of damaged file rejected with a message naming the file and the tensor. */
#include "../test.h"
#include "needle/file.h"
#include "needle/safetensors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Write a file made of an 8-byte length, `header` (padded to `hlen` if larger), then `data`. */
static void write_raw(const char *path, uint64_t hlen, const char *header, const void *data, size_t dlen) {
    FILE *fp = fopen(path, "wb");
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(hlen >> (8 * i));
    fwrite(len8, 1, 8, fp);
    fwrite(header, 1, strlen(header), fp);
    if (data) fwrite(data, 1, dlen, fp);
    fclose(fp);
}

static char *tmp_path(const char *name) { return path_join(test_tmpdir(), name); }

TEST(safetensors_round_trip) {
    char *p = tmp_path("rt.safetensors");
    float f[6] = {1, -2.5f, 3e-8f, 0, 1e30f, -0.125f};
    int64_t l[3] = {-100, 0, 2147483647};
    int32_t i32[2] = {7, -7};
    st_entry e[] = {{"b.weights", ST_F32, 2, {2, 3}, f}, {"a.ids", ST_I64, 1, {3}, l}, {"c.small", ST_I32, 1, {2}, i32}};
    CHECK_OK(safetensors_write(p, e, 3));
    safetensors st;
    CHECK_OK(safetensors_open(&st, p));
    CHECK_INT(st.n, 3);
    const st_tensor *t = safetensors_find(&st, "b.weights");
    CHECK(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && t->dtype == ST_F32);
    float got[6];
    if (t) CHECK_OK(safetensors_read_f32(&st, t, got));
    for (int i = 0; t && i < 6; i++) CHECK(got[i] == f[i]);
    int32_t ids[3];
    CHECK_OK(safetensors_read_i32(&st, safetensors_find(&st, "a.ids"), ids));
    CHECK_INT(ids[0], -100);
    CHECK_INT(ids[2], 2147483647);
    /* data section starts 8-byte aligned, as HF's writer does */
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | st.maps[0].data[i];
    CHECK_INT(hlen % 8, 0);
    CHECK(strstr((const char *)st.maps[0].data + 8, "\"__metadata__\":{\"format\":\"pt\"}") != NULL);
    safetensors_close(&st);
    free(p);
}

TEST(safetensors_half_and_bfloat16) {
    /* IEEE 754 binary16: 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (largest), 0x0001 = 2^-24
     * (smallest subnormal), 0x0400 = 2^-14, 0x7C00 = +inf; bfloat16 0x3F80 = 1, 0xC0A0 = -5. */
    CHECK(st_f16_to_f32(0x3C00) == 1.0f);
    CHECK(st_f16_to_f32(0xC000) == -2.0f);
    CHECK(st_f16_to_f32(0x7BFF) == 65504.0f);
    CHECK(st_f16_to_f32(0x0001) == ldexpf(1.0f, -24));
    CHECK(st_f16_to_f32(0x03FF) == ldexpf(1023.0f, -24));
    CHECK(st_f16_to_f32(0x0400) == ldexpf(1.0f, -14));
    CHECK(isinf(st_f16_to_f32(0x7C00)));
    CHECK(isnan(st_f16_to_f32(0x7E00)));
    CHECK(st_bf16_to_f32(0x3F80) == 1.0f);
    CHECK(st_bf16_to_f32(0xC0A0) == -5.0f);
    /* a file holding F16 and BF16 reads back as fp32 */
    char *p = tmp_path("half.safetensors");
    uint16_t h[2] = {0x3C00, 0xC000}, b[2] = {0x3F80, 0xC0A0};
    st_entry e[] = {{"h", ST_F16, 1, {2}, h}, {"b", ST_BF16, 1, {2}, b}};
    CHECK_OK(safetensors_write(p, e, 2));
    safetensors st;
    float out[2];
    CHECK_OK(safetensors_open(&st, p));
    CHECK_OK(safetensors_read_f32(&st, safetensors_find(&st, "h"), out));
    CHECK(out[0] == 1.0f && out[1] == -2.0f);
    CHECK_OK(safetensors_read_f32(&st, safetensors_find(&st, "b"), out));
    CHECK(out[0] == 1.0f && out[1] == -5.0f);
    safetensors_close(&st);
    free(p);
}

TEST(safetensors_truncated_file) {
    char *src = FIXTURES "/hf-models/bert-qa/model.safetensors", *p = tmp_path("trunc.safetensors");
    char *data;
    size_t len;
    CHECK_OK(file_read_all(src, &data, &len));
    CHECK_OK(file_write_atomic(p, data, len / 2));
    safetensors st;
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "trunc.safetensors: tensor '");
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "beyond the end of the file");
    CHECK_OK(file_write_atomic(p, data, 5));
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "truncated");
    free(data);
    free(p);
}

TEST(safetensors_header_beyond_file) {
    char *p = tmp_path("hdr.safetensors");
    write_raw(p, 1u << 20, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "abcd", 4);
    safetensors st;
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "hdr.safetensors: header length 1048576 is beyond the end");
    free(p);
}

TEST(safetensors_unknown_dtype) {
    char *p = tmp_path("dtype.safetensors");
    const char *h = "{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,2]}}";
    write_raw(p, strlen(h), h, "ab", 2);
    safetensors st;
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EUNSUPPORTED, "dtype.safetensors: tensor 'w': unknown dtype 'Q4'");
    free(p);
}

TEST(safetensors_inconsistent_entries) {
    char *p = tmp_path("bad.safetensors");
    safetensors st;
    const char *h1 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
    write_raw(p, strlen(h1), h1, "abcdefgh", 8);
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "tensor 'w': 8 bytes of data for 3 elements of F32");
    const char *h2 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}";
    write_raw(p, strlen(h2), h2, NULL, 0);
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "tensor 'w': \"data_offsets\"");
    const char *h3 = "[1, 2]";
    write_raw(p, strlen(h3), h3, NULL, 0);
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "not a JSON object");
    const char *h4 = "{\"w\": {";
    write_raw(p, strlen(h4), h4, NULL, 0);
    CHECK_ERR(safetensors_open(&st, p), NEEDLE_EFORMAT, "bad.safetensors: malformed JSON");
    CHECK_ERR(safetensors_open(&st, "/nonexistent/x.safetensors"), NEEDLE_ENOTFOUND, "/nonexistent/x.safetensors");
    free(p);
}

TEST(safetensors_typed_loads_check_shape) {
    safetensors st;
    CHECK_OK(safetensors_open(&st, FIXTURES "/hf-models/bert-qa/model.safetensors"));
    float *w = NULL;
    CHECK_ERR(safetensors_load_f32(&st, "qa_outputs.weight", 2, (int64_t[]){3, 64}, &w, NULL), NEEDLE_EFORMAT,
              "tensor 'qa_outputs.weight' has shape [2, 64], expected [3, 64]");
    CHECK_ERR(safetensors_load_f32(&st, "no.such.tensor", 0, NULL, &w, NULL), NEEDLE_ENOTFOUND, "missing tensor 'no.such.tensor'");
    int32_t *ids = NULL;
    CHECK_ERR(safetensors_load_i32(&st, "qa_outputs.weight", 0, NULL, &ids, NULL), NEEDLE_EFORMAT, "expected an integer type");
    safetensors_close(&st);
}
