/* test_topk.c — the bounded heap keeps exactly what a full sort would put first (ties by lower
 * id), whatever order the pairs arrive in. */
#include "../test.h"
#include "needle/rng.h"
#include "needle/topk.h"

#include <stdlib.h>

static int by_rank(const void *a, const void *b) {
    const topk_entry *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

TEST(topk_matches_full_sort_with_ties) {
    rng r;
    rng_seed(&r, 7);
    enum { N = 2000 };
    topk_entry all[N], buf[50];
    for (int round = 0; round < 20; round++) {
        size_t k = 1 + rng_below(&r, 50);
        topk t;
        topk_init(&t, buf, k);
        for (int i = 0; i < N; i++) {
            /* few distinct scores, so most pairs tie on score */
            all[i] = (topk_entry){(float)rng_below(&r, 30), (int64_t)rng_below(&r, 100000)};
            topk_push(&t, all[i].score, all[i].id);
        }
        qsort(all, N, sizeof *all, by_rank);
        int64_t ids[50];
        float scores[50];
        topk_emit(&t, ids, scores);
        CHECK_INT(t.n, k);
        for (size_t i = 0; i < k; i++) {
            CHECK_INT(ids[i], all[i].id);
            CHECK(scores[i] == all[i].score);
        }
    }
}

TEST(topk_pads_and_pops_worst_first) {
    topk_entry buf[5];
    topk t;
    topk_init(&t, buf, 5);
    CHECK(topk_push(&t, 1.0f, 3));
    CHECK(topk_push(&t, 2.0f, 9));
    CHECK(topk_push(&t, 1.0f, 1));
    topk_entry w = topk_pop(&t);
    CHECK(w.score == 1.0f && w.id == 3);
    int64_t ids[5];
    float scores[5];
    topk_emit(&t, ids, scores);
    CHECK_INT(ids[0], 9);
    CHECK_INT(ids[1], 1);
    CHECK_INT(ids[2], -1);
    CHECK(isinf(scores[4]) && scores[4] < 0);
}
