/* test_join_documents.c — JoinDocuments' three modes on lists worked by hand from Haystack
 * 1.x's join_docs.py: concatenate keeps each id once with its best score, merge sums weighted
 * scores (weights divided by their sum, default 1/n), reciprocal_rank_fusion sums
 * 1 / (61 + rank) with ranks from 0; ties keep first-seen order; top_k cuts. */
#include "../test.h"
#include "needle/join_documents.h"

#include <math.h>
#include <stdlib.h>

static const join_item A[] = {{"a", 0.9}, {"b", 0.5}, {"c", 0.4}};
static const join_item B[] = {{"c", 0.8}, {"a", 0.3}, {"d", 0.2}};

static void check(const join_result *r, size_t n, const char *const *ids, const double *scores, size_t want) {
    const join_item *const lists[] = {A, B};
    CHECK_INT(n, want);
    for (size_t i = 0; i < n && i < want; i++) {
        CHECK_STR(lists[r[i].list][r[i].index].id, ids[i]);
        CHECK_NEAR(r[i].score, scores[i], 1e-15);
    }
}

TEST(join_documents_haystack_modes_by_hand) {
    const join_item *const lists[] = {A, B};
    const size_t lens[] = {3, 3};
    join_result *r;
    size_t n;

    /* concatenate: a max(0.9, 0.3), b 0.5, c max(0.4, 0.8), d 0.2 -> a, c, b, d */
    CHECK_OK(join_documents(lists, lens, 2, JOIN_CONCATENATE, NULL, 1, 0, &r, &n));
    check(r, n, (const char *[]){"a", "c", "b", "d"}, (const double[]){0.9, 0.8, 0.5, 0.2}, 4);
    free(r);

    /* merge, equal weights 1/2: a 0.45 + 0.15, c 0.2 + 0.4, b 0.25, d 0.1; in doubles, summed from
     * 0 in list order as Python does, c is 0.6000000000000001 and a 0.6, so c ranks first */
    CHECK_OK(join_documents(lists, lens, 2, JOIN_MERGE, NULL, 1, 0, &r, &n));
    check(r, n, (const char *[]){"c", "a", "b", "d"}, (const double[]){0.6, 0.6, 0.25, 0.1}, 4);
    if (n == 4) CHECK(r[0].score > r[1].score);
    free(r);

    /* a true tie keeps first-seen order */
    const join_item T[] = {{"p", 0.5}, {"q", 0.5}};
    const join_item *const tie[] = {T};
    const size_t tlen[] = {2};
    CHECK_OK(join_documents(tie, tlen, 1, JOIN_CONCATENATE, NULL, 1, 0, &r, &n));
    CHECK(n == 2 && r[0].index == 0 && r[1].index == 1);
    free(r);

    /* merge, weights [1, 3] -> [0.25, 0.75]: a .225+.225=.45, b .125, c .1+.6=.7, d .15 */
    const double w[] = {1, 3};
    CHECK_OK(join_documents(lists, lens, 2, JOIN_MERGE, w, 1, 0, &r, &n));
    check(r, n, (const char *[]){"c", "a", "d", "b"}, (const double[]){0.7, 0.45, 0.15, 0.125}, 4);
    free(r);

    /* RRF: a 1/61 + 1/62, b 1/62, c 1/63 + 1/61, d 1/63; weights are ignored; top 3 */
    CHECK_OK(join_documents(lists, lens, 2, JOIN_RRF, w, 1, 3, &r, &n));
    check(r, n, (const char *[]){"a", "c", "b"}, (const double[]){1.0 / 61 + 1.0 / 62, 1.0 / 61 + 1.0 / 63, 1.0 / 62}, 3);
    free(r);

    /* unsorted: first-seen order a, b, c, d */
    CHECK_OK(join_documents(lists, lens, 2, JOIN_CONCATENATE, NULL, 0, 0, &r, &n));
    check(r, n, (const char *[]){"a", "b", "c", "d"}, (const double[]){0.9, 0.5, 0.8, 0.2}, 4);
    free(r);

    /* missing scores: concatenate ranks them last, merge counts them 0 */
    const join_item C[] = {{"x", NAN}, {"y", 0.1}};
    const join_item *const one[] = {C};
    const size_t len1[] = {2};
    CHECK_OK(join_documents(one, len1, 1, JOIN_CONCATENATE, NULL, 1, 0, &r, &n));
    CHECK_INT(n, 2);
    if (n == 2) CHECK(r[0].index == 1 && isnan(r[1].score));
    free(r);
    CHECK_OK(join_documents(one, len1, 1, JOIN_MERGE, NULL, 1, 0, &r, &n));
    if (n == 2) CHECK(r[0].index == 1 && r[1].score == 0);
    free(r);

    CHECK_INT(join_mode_parse("reciprocal_rank_fusion"), JOIN_RRF);
    CHECK_INT(join_mode_parse("rrf"), -1);
    const double zero[] = {0, 0};
    CHECK_ERR(join_documents(lists, lens, 2, JOIN_MERGE, zero, 1, 0, &r, &n), NEEDLE_EINVAL, "weights");
}
