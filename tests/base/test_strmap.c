/* test_strmap.c — the hash map agrees with a sorted array + binary search (an independent
 * implementation) on 50,000 random binary keys, including empty and NUL-containing keys. */
#include "../test.h"
#include "needle/rng.h"
#include "needle/strmap.h"

#include <stdlib.h>

typedef struct {
    unsigned char k[12];
    int len;
    int32_t v;
} kv;

static int cmp_kv(const void *a, const void *b) {
    const kv *x = a, *y = b;
    int m = x->len < y->len ? x->len : y->len, c = memcmp(x->k, y->k, (size_t)m);
    return c ? c : x->len - y->len;
}

TEST(strmap_agrees_with_sorted_array) {
    enum { N = 50000 };
    kv *ref = malloc(N * sizeof *ref);
    rng r;
    rng_seed(&r, 7);
    strmap m;
    strmap_init(&m);
    for (int i = 0; i < N; i++) {
        ref[i].len = (int)rng_below(&r, 12);
        for (int j = 0; j < ref[i].len; j++) ref[i].k[j] = (unsigned char)rng_below(&r, 4); /* many NULs, many repeats */
        ref[i].v = i;
        CHECK_OK(strmap_put(&m, ref[i].k, (size_t)ref[i].len, i));
    }
    /* The reference keeps the last value of a repeated key, as put overwrites. */
    qsort(ref, N, sizeof *ref, cmp_kv);
    int distinct = 0;
    for (int i = 0; i < N; i++) {
        int last = i;
        while (last + 1 < N && !cmp_kv(&ref[i], &ref[last + 1])) last++;
        int32_t maxv = ref[i].v;
        for (int j = i; j <= last; j++) if (ref[j].v > maxv) maxv = ref[j].v;
        int32_t got = -1;
        CHECK(strmap_get(&m, ref[i].k, (size_t)ref[i].len, &got));
        CHECK_INT(got, maxv);
        distinct++;
        i = last;
    }
    CHECK_INT(m.n, distinct);
    int32_t v;
    CHECK(!strmap_get(&m, "\x05\x05", 2, &v)); /* bytes >= 4 never appear in the keys */
    strmap_clear(&m);
    CHECK(!strmap_get(&m, "", 0, &v));
    CHECK_INT(m.n, 0);
    strmap_free(&m);
    free(ref);
}
