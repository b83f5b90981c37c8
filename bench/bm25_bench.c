/* bm25_bench.c — needle's side of the BM25 speed benchmark (bench/bm25.sh), one process per
 * measurement so that page-cache state is the same for both engines (wall-clock figures, and
 * CPU-time rates that stay comparable on a loaded machine):
 *   bm25_bench index CORPUS.jsonl INDEX       index a BEIR corpus (flat: title + text)
 *   bm25_bench query INDEX QUERIES.jsonl K R  run every query R times at top-K
 * and print one JSON line: documents/s, or per-query latency p50/p99 and queries/s. One
 * thread, as the Xapian side. */
#include "needle/beir.h"
#include "needle/bm25.h"
#include "needle/bm25_beir.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(clockid_t which) {
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    log_set_level(LOG_WARN);
    if (argc == 4 && !strcmp(argv[1], "index")) {
        double t0 = clock_seconds(), c0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
        size_t n;
        if (bm25_beir_index(argv[2], 0, argv[3], &n)) goto fail;
        double dt = clock_seconds() - t0, cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        printf("{\"engine\": \"needle\", \"docs\": %zu, \"seconds\": %.3f, \"docs_per_s\": %.1f, \"cpu_seconds\": %.3f, "
               "\"docs_per_cpu_s\": %.1f}\n",
               n, dt, n / dt, cpu, n / cpu);
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "query")) {
        bm25_index *ix;
        bm25_searcher *s;
        beir_query *q;
        size_t nq, k = (size_t)atol(argv[4]), reps = (size_t)atol(argv[5]);
        if (bm25_index_open(&ix, argv[2]) || bm25_searcher_new(&s, ix) || beir_queries_read(argv[3], &q, &nq)) goto fail;
        bm25_hit *hits = malloc(k * sizeof *hits);
        double *lat = malloc(nq * reps * sizeof *lat), total = 0;
        size_t n, sink = 0;
        for (size_t i = 0; i < nq; i++) /* warm-up pass: page in the index */
            if (bm25_search(s, q[i].text, k, NULL, hits, &n)) goto fail;
        double c0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
        for (size_t r = 0; r < reps; r++) {
            for (size_t i = 0; i < nq; i++) {
                double t0 = clock_seconds();
                if (bm25_search(s, q[i].text, k, NULL, hits, &n)) goto fail;
                double dt = clock_seconds() - t0;
                sink += n;
                lat[r * nq + i] = dt;
                total += dt;
            }
        }
        double cpu = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
        qsort(lat, nq * reps, sizeof *lat, cmp_double);
        size_t m = nq * reps;
        printf("{\"engine\": \"needle\", \"k\": %zu, \"queries\": %zu, \"p50_ms\": %.4f, \"p99_ms\": %.4f, \"qps\": %.1f, "
               "\"cpu_qps\": %.1f, \"mean_hits\": %.1f}\n",
               k, m, 1e3 * lat[m / 2], 1e3 * lat[(size_t)(0.99 * (double)(m - 1))], (double)m / total, (double)m / cpu,
               (double)sink / (double)m);
        return 0;
    }
    fprintf(stderr, "usage: bm25_bench index CORPUS INDEX | bm25_bench query INDEX QUERIES K REPEATS\n");
    return 2;
fail:
    fprintf(stderr, "bm25_bench: %s\n", error_message());
    return 1;
}
