/* safetensors.c — memory-mapped safetensors reader (single file or shard set) and an
 * atomic writer (see safetensors.h).
 *
 * Everything a later read relies on is validated at open time: the header length against
 * the file size, each dtype, shape and offset pair against the data section, so a
 * truncated or foreign file is rejected with its name and the tensor at fault, and the
 * conversion routines never touch bytes outside the map. */
#include "needle/safetensors.h"
#include "needle/error.h"
#include "needle/json.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    [ST_F64] = {"F64", 8}, [ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2},
    [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4}, [ST_I16] = {"I16", 2}, [ST_I8] = {"I8", 1},
    [ST_U8] = {"U8", 1},   [ST_BOOL] = {"BOOL", 1},
};
#define N_DTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *st_dtype_name(st_dtype d) { return dtypes[d].name; }
size_t st_dtype_size(st_dtype d) { return dtypes[d].size; }

/* A header larger than this is not a model file (real ones are well under 1 MB). */
#define MAX_HEADER (100u << 20)

float st_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float st_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0x1f) {
        u = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { /* subnormal half: renormalise */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400));
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void free_tensors(safetensors *st) {
    for (int i = 0; i < st->n; i++) free(st->tensors[i].name);
    free(st->tensors);
    st->tensors = NULL;
    st->n = 0;
}

void safetensors_close(safetensors *st) {
    free_tensors(st);
    for (int i = 0; i < st->n_files; i++) {
        file_map_close(&st->maps[i]);
        free(st->paths[i]);
    }
    free(st->maps);
    free(st->paths);
    memset(st, 0, sizeof *st);
}

static int parse_entry(safetensors *st, int file, const cJSON *e, const unsigned char *data, size_t data_size) {
    const char *path = st->paths[file], *name = e->string;
    if (!cJSON_IsObject(e)) return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': entry is not an object", path, name);
    if (safetensors_find(st, name)) return error_set(NEEDLE_EFORMAT, "%s: tensor '%s' appears twice", path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt)) return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': missing \"dtype\"", path, name);
    int d = -1;
    for (int i = 0; i < N_DTYPES; i++)
        if (!strcmp(dt->valuestring, dtypes[i].name)) d = i;
    if (d < 0) return error_set(NEEDLE_EUNSUPPORTED, "%s: tensor '%s': unknown dtype '%s'", path, name, dt->valuestring);
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) > ST_MAX_DIMS)
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': \"shape\" must be an array of at most %d sizes", path, name, ST_MAX_DIMS);
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': \"data_offsets\" must be [begin, end]", path, name);
    st_tensor t = {0};
    t.dtype = (st_dtype)d;
    t.file = file;
    t.numel = 1;
    const cJSON *x;
    cJSON_ArrayForEach(x, shape) {
        if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 1e12)
            return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': bad size in \"shape\"", path, name);
        t.shape[t.ndim++] = (int64_t)x->valuedouble;
        t.numel *= (size_t)x->valuedouble;
    }
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble, en = cJSON_GetArrayItem(offs, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)) || b < 0 || en < b)
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': bad \"data_offsets\"", path, name);
    if (en > (double)data_size)
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': data [%.0f, %.0f) lies beyond the end of the file "
                         "(data section is %zu bytes; truncated?)", path, name, b, en, data_size);
    t.nbytes = (size_t)(en - b);
    if (t.nbytes != t.numel * dtypes[d].size)
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': %zu bytes of data for %zu elements of %s", path, name,
                         t.nbytes, t.numel, dtypes[d].name);
    t.data = data + (size_t)b;
    t.name = strdup(name);
    if (!t.name) return error_set(NEEDLE_ENOMEM, "out of memory");
    st->tensors[st->n++] = t;
    return 0;
}

/* Map file number `file` (its path already in st->paths) and add its tensors. */
static int add_file(safetensors *st, int file) {
    const char *path = st->paths[file];
    file_map *m = &st->maps[file];
    int rc = file_map_open(m, path);
    if (rc) return rc;
    if (m->size < 8) return error_set(NEEDLE_EFORMAT, "%s: truncated: %zu bytes, not a safetensors file", path, m->size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | m->data[i];
    if (hlen > m->size - 8)
        return error_set(NEEDLE_EFORMAT, "%s: header length %llu is beyond the end of the file (%zu bytes; truncated "
                         "or not a safetensors file)", path, (unsigned long long)hlen, m->size);
    if (hlen > MAX_HEADER || hlen < 2)
        return error_set(NEEDLE_EFORMAT, "%s: implausible header length %llu; not a safetensors file", path,
                         (unsigned long long)hlen);
    cJSON *root;
    rc = json_parse((const char *)m->data + 8, (size_t)hlen, path, &root);
    if (rc) return error_prefix(rc, "safetensors header: ");
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return error_set(NEEDLE_EFORMAT, "%s: safetensors header is not a JSON object", path);
    }
    int count = cJSON_GetArraySize(root);
    st_tensor *grown = realloc(st->tensors, (size_t)(st->n + count) * sizeof *grown);
    if (!grown) { cJSON_Delete(root); return error_set(NEEDLE_ENOMEM, "out of memory"); }
    st->tensors = grown;
    const unsigned char *data = m->data + 8 + hlen;
    size_t data_size = m->size - 8 - (size_t)hlen;
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (!strcmp(e->string, "__metadata__")) continue;
        rc = parse_entry(st, file, e, data, data_size);
        if (rc) break;
    }
    cJSON_Delete(root);
    return rc;
}

static int alloc_files(safetensors *st, int n) {
    st->paths = calloc((size_t)n, sizeof *st->paths);
    st->maps = calloc((size_t)n, sizeof *st->maps);
    if (!st->paths || !st->maps) return error_set(NEEDLE_ENOMEM, "out of memory");
    st->n_files = n;
    return 0;
}

int safetensors_open(safetensors *st, const char *path) {
    memset(st, 0, sizeof *st);
    int rc = alloc_files(st, 1);
    if (!rc && !(st->paths[0] = strdup(path))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = add_file(st, 0);
    if (rc) safetensors_close(st);
    return rc;
}

/* Open the shards named by an index's weight_map and check that each listed tensor is in
 * the shard the index names. */
static int open_index(safetensors *st, const char *dir, const char *index_path) {
    cJSON *root;
    int rc = json_load_file(index_path, &root);
    if (rc) return rc;
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(root, "weight_map"), *e;
    if (!cJSON_IsObject(wm)) {
        cJSON_Delete(root);
        return error_set(NEEDLE_EFORMAT, "%s: missing object \"weight_map\"", index_path);
    }
    int n = 0;
    const char *names[4096];
    cJSON_ArrayForEach(e, wm) {
        if (!cJSON_IsString(e)) { rc = error_set(NEEDLE_EFORMAT, "%s: weight_map[\"%s\"] is not a file name", index_path, e->string); break; }
        if (strchr(e->valuestring, '/')) { rc = error_set(NEEDLE_EFORMAT, "%s: shard name '%s' must be a plain file name", index_path, e->valuestring); break; }
        int seen = 0;
        for (int i = 0; i < n; i++) seen |= !strcmp(names[i], e->valuestring);
        if (!seen) {
            if (n == 4096) { rc = error_set(NEEDLE_EUNSUPPORTED, "%s: more than 4096 shards", index_path); break; }
            names[n++] = e->valuestring;
        }
    }
    if (!rc && n == 0) rc = error_set(NEEDLE_EFORMAT, "%s: \"weight_map\" is empty", index_path);
    if (!rc) rc = alloc_files(st, n);
    for (int i = 0; !rc && i < n; i++) {
        if (!(st->paths[i] = path_join(dir, names[i]))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        if (!rc) rc = add_file(st, i);
    }
    cJSON_ArrayForEach(e, wm) {
        if (rc) break;
        const st_tensor *t = safetensors_find(st, e->string);
        if (!t || strcmp(strrchr(st->paths[t->file], '/') + 1, e->valuestring))
            rc = error_set(NEEDLE_EFORMAT, "%s: tensor '%s' is listed in shard %s but not found there", index_path,
                           e->string, e->valuestring);
    }
    cJSON_Delete(root);
    return rc;
}

int safetensors_open_dir(safetensors *st, const char *dir) {
    memset(st, 0, sizeof *st);
    char *single = path_join(dir, "model.safetensors"), *index = path_join(dir, "model.safetensors.index.json");
    char *bin = path_join(dir, "pytorch_model.bin");
    int rc = 0;
    if (!single || !index || !bin) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    else if (file_exists(single)) rc = safetensors_open(st, single);
    else if (file_exists(index)) {
        rc = open_index(st, dir, index);
        if (rc) safetensors_close(st);
    } else if (file_exists(bin))
        rc = error_set(NEEDLE_EUNSUPPORTED, "%s: only pytorch_model.bin is present; needle reads safetensors. Convert "
                       "it once with Python: `from transformers import AutoModel; AutoModel.from_pretrained(\"%s\")"
                       ".save_pretrained(\"%s\", safe_serialization=True)` (use the model's own class, e.g. "
                       "AutoModelForQuestionAnswering, to keep its head)", dir, dir, dir);
    else
        rc = error_set(NEEDLE_ENOTFOUND, "%s: no model.safetensors or model.safetensors.index.json", dir);
    free(single);
    free(index);
    free(bin);
    return rc;
}

const st_tensor *safetensors_find(const safetensors *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->tensors[i].name, name)) return &st->tensors[i];
    return NULL;
}

const char *safetensors_path(const safetensors *st, const st_tensor *t) { return st->paths[t->file]; }

int safetensors_read_f32(const safetensors *st, const st_tensor *t, float *out) {
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case ST_F32: memcpy(out, p, t->numel * 4); return 0;
    case ST_F16:
    case ST_BF16:
        for (size_t i = 0; i < t->numel; i++) {
            uint16_t h = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            out[i] = t->dtype == ST_F16 ? st_f16_to_f32(h) : st_bf16_to_f32(h);
        }
        return 0;
    case ST_F64:
        for (size_t i = 0; i < t->numel; i++) {
            double d;
            memcpy(&d, p + 8 * i, 8);
            out[i] = (float)d;
        }
        return 0;
    default:
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s' has dtype %s, expected a floating-point type",
                         safetensors_path(st, t), t->name, st_dtype_name(t->dtype));
    }
}

int safetensors_read_i32(const safetensors *st, const st_tensor *t, int32_t *out) {
    const unsigned char *p = t->data;
    for (size_t i = 0; i < t->numel; i++) {
        int64_t v;
        switch (t->dtype) {
        case ST_I64: memcpy(&v, p + 8 * i, 8); break;
        case ST_I32: { int32_t x; memcpy(&x, p + 4 * i, 4); v = x; break; }
        case ST_I16: { int16_t x; memcpy(&x, p + 2 * i, 2); v = x; break; }
        case ST_I8: v = (int8_t)p[i]; break;
        case ST_U8: case ST_BOOL: v = p[i]; break;
        default:
            return error_set(NEEDLE_EFORMAT, "%s: tensor '%s' has dtype %s, expected an integer type",
                             safetensors_path(st, t), t->name, st_dtype_name(t->dtype));
        }
        if (v < INT32_MIN || v > INT32_MAX)
            return error_set(NEEDLE_EFORMAT, "%s: tensor '%s': value %lld at index %zu is out of range",
                             safetensors_path(st, t), t->name, (long long)v, i);
        out[i] = (int32_t)v;
    }
    return 0;
}

void st_shape_text(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++) n += (size_t)snprintf(buf + n, cap - n, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

/* Find `name` and check its shape; shared by the two typed loaders. */
static int find_checked(const safetensors *st, const char *name, int ndim, const int64_t *shape, const st_tensor **out) {
    const st_tensor *t = safetensors_find(st, name);
    if (!t) return error_set(NEEDLE_ENOTFOUND, "%s: missing tensor '%s'", st->n_files ? st->paths[0] : "?", name);
    int ok = ndim == 0 || ndim == t->ndim;
    for (int i = 0; ok && i < ndim; i++) ok = shape[i] == t->shape[i];
    if (!ok) {
        char want[128], got[128];
        st_shape_text(want, sizeof want, ndim, shape);
        st_shape_text(got, sizeof got, t->ndim, t->shape);
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s' has shape %s, expected %s", safetensors_path(st, t), name, got, want);
    }
    *out = t;
    return 0;
}

int safetensors_load_f32(const safetensors *st, const char *name, int ndim, const int64_t *shape, float **out, size_t *numel) {
    const st_tensor *t;
    *out = NULL;
    int rc = find_checked(st, name, ndim, shape, &t);
    if (rc) return rc;
    float *buf = malloc((t->numel ? t->numel : 1) * sizeof *buf);
    if (!buf) return error_set(NEEDLE_ENOMEM, "out of memory loading '%s'", name);
    rc = safetensors_read_f32(st, t, buf);
    if (rc) { free(buf); return rc; }
    *out = buf;
    if (numel) *numel = t->numel;
    return 0;
}

int safetensors_load_i32(const safetensors *st, const char *name, int ndim, const int64_t *shape, int32_t **out, size_t *numel) {
    const st_tensor *t;
    *out = NULL;
    int rc = find_checked(st, name, ndim, shape, &t);
    if (rc) return rc;
    int32_t *buf = malloc((t->numel ? t->numel : 1) * sizeof *buf);
    if (!buf) return error_set(NEEDLE_ENOMEM, "out of memory loading '%s'", name);
    rc = safetensors_read_i32(st, t, buf);
    if (rc) { free(buf); return rc; }
    *out = buf;
    if (numel) *numel = t->numel;
    return 0;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp((*(const st_entry *const *)a)->name, (*(const st_entry *const *)b)->name);
}

int safetensors_write(const char *path, const st_entry *entries, int n) {
    const st_entry **order = malloc((size_t)(n ? n : 1) * sizeof *order);
    if (!order) return error_set(NEEDLE_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) order[i] = &entries[i];
    qsort(order, (size_t)n, sizeof *order, cmp_entry);
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "__metadata__");
    jsonw_object_begin(&w);
    jsonw_key(&w, "format");
    jsonw_string(&w, "pt");
    jsonw_object_end(&w);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const st_entry *e = order[i];
        size_t numel = 1;
        for (int d = 0; d < e->ndim; d++) numel *= (size_t)e->shape[d];
        size_t bytes = numel * st_dtype_size(e->dtype);
        jsonw_key(&w, e->name);
        jsonw_object_begin(&w);
        jsonw_key(&w, "dtype");
        jsonw_string(&w, st_dtype_name(e->dtype));
        jsonw_key(&w, "shape");
        jsonw_array_begin(&w);
        for (int d = 0; d < e->ndim; d++) jsonw_int(&w, e->shape[d]);
        jsonw_array_end(&w);
        jsonw_key(&w, "data_offsets");
        jsonw_array_begin(&w);
        jsonw_int(&w, (long long)off);
        jsonw_int(&w, (long long)(off + bytes));
        jsonw_array_end(&w);
        jsonw_object_end(&w);
        off += bytes;
    }
    jsonw_object_end(&w);
    int rc = w.err;
    while (!rc && sb.len % 8) rc = strbuf_putc(&sb, ' '); /* data starts 8-byte aligned */
    if (rc) { strbuf_free(&sb); free(order); return error_set(NEEDLE_ENOMEM, "out of memory writing %s", path); }
    atomic_file af;
    rc = atomic_file_open(&af, path);
    if (!rc) {
        unsigned char len8[8];
        for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)sb.len >> (8 * i));
        fwrite(len8, 1, 8, af.fp);
        fwrite(sb.data, 1, sb.len, af.fp);
        for (int i = 0; i < n; i++) {
            const st_entry *e = order[i];
            size_t numel = 1;
            for (int d = 0; d < e->ndim; d++) numel *= (size_t)e->shape[d];
            if (numel) fwrite(e->data, st_dtype_size(e->dtype), numel, af.fp);
        }
        rc = atomic_file_commit(&af);
    }
    strbuf_free(&sb);
    free(order);
    return rc;
}
