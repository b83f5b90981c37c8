/* vector_bench.c — needle's side of bench/vector.sh, and the side-by-side report.
 *
 *   vector_bench exact  --dir D [--k 10 --repeat 1]
 *       exact search of D/query.fvecs over D/base.fvecs (inner product) through the
 *       vector_index interface; checks the answers against FAISS's (D/gt.ivecs).
 *   vector_bench build  --dir D [--M 16 --efc 200]
 *       HNSW build time; saves D/needle.vix and checks that the loaded file answers identically.
 *   vector_bench sweep  --dir D [--efs 16,32,64 --k 10 --repeat 1]
 *       loads D/needle.vix, then recall@k and QPS for each efSearch.
 *   vector_bench filter --dir D [--k 10 --repeat 1]
 *       filtered HNSW search (efSearch 64) against exact filtered search, 50% .. 0.1% allowed.
 *   vector_bench report --dir D
 *       needle against FAISS and hnswlib from all rounds in D/results.jsonl (best of each),
 *       as ratios, with QPS compared at equal recall@10 (0.90, 0.95, 0.99; log-QPS interpolated
 *       between neighbouring sweep points) and the recall@10 >= 0.95 at efSearch 64 check.
 *
 * Every phase appends its figures as JSON lines to D/results.jsonl, as bench/vector_ref.py does
 * for the references. Timings are wall-clock seconds of whole batches (all queries at once, all
 * threads), the best of --repeat runs. */
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/vector_index.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *dir, *efs;
    int k, repeat, M, efc;
} bench_opts;

static int die(void) {
    fprintf(stderr, "vector_bench: error: %s\n", error_message());
    return 1;
}

/* Read an .fvecs / .ivecs file (int32 dim, then dim 4-byte values per row) into rows. */
static int read_vecs(const char *dir, const char *name, void **rows, size_t *n, int *dim) {
    char *path = path_join(dir, name), *data;
    size_t len;
    int rc = file_read_all(path, &data, &len);
    if (rc) goto out;
    int32_t d = 0;
    if (len >= 4) memcpy(&d, data, 4);
    if (d <= 0 || len % (4 * ((size_t)d + 1))) {
        rc = error_set(NEEDLE_EFORMAT, "%s: not a vecs file (dimension %d, %zu bytes)", path, d, len);
        goto out;
    }
    *dim = d;
    *n = len / (4 * ((size_t)d + 1));
    char *out = malloc(*n * (size_t)d * 4);
    if (!out) {
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i < *n; i++) memcpy(out + i * (size_t)d * 4, data + i * ((size_t)d + 1) * 4 + 4, (size_t)d * 4);
    *rows = out;
out:
    free(data);
    free(path);
    return rc;
}

static double recall_vs(const int64_t *found, int k, const int32_t *truth, int kt, size_t nq) {
    double total = 0;
    for (size_t q = 0; q < nq; q++) {
        int hit = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                if (found[q * k + j] == truth[q * kt + i]) {
                    hit++;
                    break;
                }
        total += (double)hit / k;
    }
    return total / (double)nq;
}

/* Append one finished JSON object to D/results.jsonl. */
static int log_result(const char *dir, strbuf *sb) {
    char *path = path_join(dir, "results.jsonl");
    metrics_log ml;
    int rc = metrics_log_open(&ml, path, 1);
    if (!rc) {
        rc = metrics_log_write(&ml, sb->data);
        metrics_log_close(&ml);
    }
    free(path);
    strbuf_clear(sb);
    return rc;
}

typedef struct {
    float *base, *query;
    int32_t *truth;
    size_t n, nq;
    int dim, kt;
} bench_data;

static int load_data(const char *dir, bench_data *d) {
    int dq, rc;
    size_t nt;
    if ((rc = read_vecs(dir, "base.fvecs", (void **)&d->base, &d->n, &d->dim))) return rc;
    if ((rc = read_vecs(dir, "query.fvecs", (void **)&d->query, &d->nq, &dq))) return rc;
    if ((rc = read_vecs(dir, "gt.ivecs", (void **)&d->truth, &nt, &d->kt))) return rc;
    if (dq != d->dim || nt != d->nq)
        return error_set(NEEDLE_EFORMAT, "%s: base dimension %d, queries %zu of dimension %d, ground truth for %zu", dir,
                         d->dim, d->nq, dq, nt);
    return 0;
}

/* CPU seconds used by the whole process (all threads). */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Time `repeat` searches of all queries; the best wall time (and, if cpu is set, the least
 * CPU time). */
static double time_search(vector_index *ix, const bench_data *d, int k, int repeat, int64_t *ids, float *scores,
                          double *cpu) {
    double best = INFINITY;
    if (cpu) *cpu = INFINITY;
    for (int r = 0; r < repeat; r++) {
        double t0 = clock_seconds(), c0 = cpu_seconds();
        if (vector_index_search(ix, d->query, d->nq, k, NULL, ids, scores)) return -1;
        double s = clock_seconds() - t0, c = cpu_seconds() - c0;
        if (s < best) best = s;
        if (cpu && c < *cpu) *cpu = c;
    }
    return best;
}

static int run_exact(const bench_opts *o) {
    bench_data d = {0};
    if (load_data(o->dir, &d)) return die();
    vector_index_config cfg;
    vector_index_config_default(&cfg, VECTOR_EXACT, VECTOR_IP, d.dim);
    vector_index *ix;
    if (vector_index_create(&cfg, &ix) || vector_index_add(ix, d.base, NULL, d.n)) return die();
    int64_t *ids = malloc(d.nq * o->k * sizeof *ids);
    float *scores = malloc(d.nq * o->k * sizeof *scores);
    double cpu, s = time_search(ix, &d, o->k, o->repeat, ids, scores, &cpu);
    if (s < 0) return die();
    double agree = recall_vs(ids, o->k, d.truth, d.kt, d.nq);
    fprintf(stderr, "needle exact: %.1f QPS (%.2f s for %zu queries), agreement with FAISS's top-%d %.5f\n",
            (double)d.nq / s, s, d.nq, o->k, agree);
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "side"), jsonw_string(&w, "needle");
    jsonw_key(&w, "phase"), jsonw_string(&w, "exact");
    jsonw_key(&w, "threads"), jsonw_int(&w, omp_get_max_threads());
    jsonw_key(&w, "nq"), jsonw_int(&w, (long long)d.nq);
    jsonw_key(&w, "n"), jsonw_int(&w, (long long)d.n);
    jsonw_key(&w, "k"), jsonw_int(&w, o->k);
    jsonw_key(&w, "search_s"), jsonw_double(&w, s);
    jsonw_key(&w, "qps"), jsonw_double(&w, (double)d.nq / s);
    jsonw_key(&w, "cpu_s"), jsonw_double(&w, cpu);
    jsonw_key(&w, "agreement_with_faiss"), jsonw_double(&w, agree);
    jsonw_object_end(&w);
    if (log_result(o->dir, &sb)) return die();
    strbuf_free(&sb);
    vector_index_free(ix);
    return 0;
}

static int run_build(const bench_opts *o) {
    bench_data d = {0};
    if (load_data(o->dir, &d)) return die();
    vector_index_config cfg;
    vector_index_config_default(&cfg, VECTOR_HNSW, VECTOR_IP, d.dim);
    cfg.M = o->M;
    cfg.ef_construction = o->efc;
    vector_index *ix, *back;
    if (vector_index_create(&cfg, &ix)) return die();
    double t0 = clock_seconds();
    if (vector_index_add(ix, d.base, NULL, d.n)) return die();
    double build_s = clock_seconds() - t0;
    fprintf(stderr, "needle hnsw build: %.1f s\n", build_s);

    char *path = path_join(o->dir, "needle.vix");
    t0 = clock_seconds();
    if (vector_index_save(ix, path)) return die();
    double save_s = clock_seconds() - t0;
    t0 = clock_seconds();
    if (vector_index_load(path, d.dim, &back)) return die();
    double load_s = clock_seconds() - t0;
    size_t m = d.nq * (size_t)o->k;
    int64_t *ids = malloc(m * sizeof *ids), *ids2 = malloc(m * sizeof *ids2);
    float *scores = malloc(m * sizeof *scores), *scores2 = malloc(m * sizeof *scores2);
    if (vector_index_search(ix, d.query, d.nq, o->k, NULL, ids, scores) ||
        vector_index_search(back, d.query, d.nq, o->k, NULL, ids2, scores2))
        return die();
    int identical = !memcmp(ids, ids2, m * sizeof *ids) && !memcmp(scores, scores2, m * sizeof *scores);
    fprintf(stderr, "needle hnsw: save %.2f s, load %.2f s, loaded index answers identically: %s\n", save_s, load_s,
            identical ? "yes" : "NO");

    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "side"), jsonw_string(&w, "needle");
    jsonw_key(&w, "phase"), jsonw_string(&w, "build");
    jsonw_key(&w, "threads"), jsonw_int(&w, omp_get_max_threads());
    jsonw_key(&w, "M"), jsonw_int(&w, o->M);
    jsonw_key(&w, "efc"), jsonw_int(&w, o->efc);
    jsonw_key(&w, "build_s"), jsonw_double(&w, build_s);
    jsonw_key(&w, "save_s"), jsonw_double(&w, save_s);
    jsonw_key(&w, "load_s"), jsonw_double(&w, load_s);
    jsonw_key(&w, "loaded_index_identical"), jsonw_bool(&w, identical);
    jsonw_object_end(&w);
    if (log_result(o->dir, &sb)) return die();
    strbuf_free(&sb);
    free(path);
    vector_index_free(ix);
    vector_index_free(back);
    return identical ? 0 : 1;
}

static int run_sweep(const bench_opts *o) {
    bench_data d = {0};
    if (load_data(o->dir, &d)) return die();
    char *path = path_join(o->dir, "needle.vix");
    vector_index *ix;
    if (vector_index_load(path, d.dim, &ix)) return die();
    free(path);
    int64_t *ids = malloc(d.nq * o->k * sizeof *ids);
    float *scores = malloc(d.nq * o->k * sizeof *scores);
    strbuf sb;
    strbuf_init(&sb);
    for (const char *e = o->efs; *e;) {
        int ef = atoi(e);
        if (vector_index_set_ef_search(ix, ef)) return die();
        double s = time_search(ix, &d, o->k, o->repeat, ids, scores, NULL);
        if (s < 0) return die();
        double recall = recall_vs(ids, o->k, d.truth, d.kt, d.nq);
        fprintf(stderr, "needle hnsw ef %d: recall@%d %.4f, %.0f QPS\n", ef, o->k, recall, (double)d.nq / s);
        jsonw w;
        jsonw_init(&w, &sb);
        jsonw_object_begin(&w);
        jsonw_key(&w, "side"), jsonw_string(&w, "needle");
        jsonw_key(&w, "phase"), jsonw_string(&w, "sweep");
        jsonw_key(&w, "ef"), jsonw_int(&w, ef);
        jsonw_key(&w, "k"), jsonw_int(&w, o->k);
        jsonw_key(&w, "recall"), jsonw_double(&w, recall);
        jsonw_key(&w, "qps"), jsonw_double(&w, (double)d.nq / s);
        jsonw_object_end(&w);
        if (log_result(o->dir, &sb)) return die();
        e = strchr(e, ',');
        e = e ? e + 1 : "";
    }
    strbuf_free(&sb);
    vector_index_free(ix);
    return 0;
}

/* Filtered HNSW search at efSearch 64 with bitsets allowing 50%, 10%, 1% and 0.1% of ids
 * (a fixed hash of the id), against exact filtered search; needle only (hnswlib 0.6.2's
 * Python API has no filter). */
static int run_filter(const bench_opts *o) {
    bench_data d = {0};
    if (load_data(o->dir, &d)) return die();
    char *path = path_join(o->dir, "needle.vix");
    vector_index *ix;
    if (vector_index_load(path, d.dim, &ix) || vector_index_set_ef_search(ix, 64)) return die();
    free(path);
    size_t nq = d.nq < 1000 ? d.nq : 1000, words = (d.n + 63) / 64;
    int64_t *ids = malloc(nq * o->k * sizeof *ids), *truth = malloc(nq * o->k * sizeof *truth);
    uint64_t *bits = malloc(words * sizeof *bits);
    static const int per_mille[] = {500, 100, 10, 1};
    strbuf sb;
    strbuf_init(&sb);
    for (int f = 0; f < 4; f++) {
        memset(bits, 0, words * sizeof *bits);
        for (size_t i = 0; i < d.n; i++)
            if ((i * 2654435761u) % 1000 < (size_t)per_mille[f]) bits[i >> 6] |= 1ull << (i & 63);
        vector_filter filter = {bits, (int64_t)d.n, NULL, NULL};
        if (vector_exact_search(d.base, d.n, d.dim, NULL, d.query, nq, o->k, VECTOR_IP, &filter, truth, NULL)) return die();
        double best = INFINITY;
        for (int r = 0; r < o->repeat; r++) {
            double t0 = clock_seconds();
            if (vector_index_search(ix, d.query, nq, o->k, &filter, ids, NULL)) return die();
            double s = clock_seconds() - t0;
            if (s < best) best = s;
        }
        size_t hit = 0, want = 0, wrong = 0;
        for (size_t q = 0; q < nq; q++)
            for (int i = 0; i < o->k; i++) {
                int64_t id = ids[q * o->k + i];
                if (id >= 0 && !vector_filter_allows(&filter, id)) wrong++;
                if (truth[q * o->k + i] < 0) continue;
                want++;
                for (int j = 0; j < o->k; j++) hit += ids[q * o->k + j] == truth[q * o->k + i];
            }
        double recall = want ? (double)hit / (double)want : 1.0;
        fprintf(stderr, "needle filtered (%.1f%% allowed): recall@%d %.4f against exact filtered, %.0f QPS, %zu disallowed\n",
                per_mille[f] / 10.0, o->k, recall, (double)nq / best, wrong);
        jsonw w;
        jsonw_init(&w, &sb);
        jsonw_object_begin(&w);
        jsonw_key(&w, "side"), jsonw_string(&w, "needle");
        jsonw_key(&w, "phase"), jsonw_string(&w, "filter");
        jsonw_key(&w, "allowed"), jsonw_double(&w, per_mille[f] / 1000.0);
        jsonw_key(&w, "ef"), jsonw_int(&w, 64);
        jsonw_key(&w, "recall"), jsonw_double(&w, recall);
        jsonw_key(&w, "qps"), jsonw_double(&w, (double)nq / best);
        jsonw_key(&w, "disallowed_returned"), jsonw_int(&w, (long long)wrong);
        jsonw_object_end(&w);
        if (log_result(o->dir, &sb)) return die();
    }
    strbuf_free(&sb);
    vector_index_free(ix);
    return 0;
}

/* The best of all rounds for one side: exact QPS (max), build seconds (min), and per efSearch
 * its recall and best QPS, in ascending efSearch. */
#define MAX_EF 64
typedef struct {
    double exact_qps, exact_s, exact_cpu_qps, agreement, build_s, save_s, load_s;
    int nq, n, k, M, efc, identical, nef;
    int ef[MAX_EF];
    double recall[MAX_EF], qps[MAX_EF];
    int nfilter;
    double filter_allowed[8], filter_recall[8], filter_qps[8], filter_wrong[8];
} side_best;

static double field(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? cJSON_IsTrue(v) : NAN;
}

static void take(side_best *b, const cJSON *o) {
    const char *phase = cJSON_GetStringValue(cJSON_GetObjectItem(o, "phase"));
    if (!phase) return;
    if (!strcmp(phase, "exact") && field(o, "nq") / field(o, "cpu_s") > b->exact_cpu_qps)
        b->exact_cpu_qps = field(o, "nq") / field(o, "cpu_s");
    if (!strcmp(phase, "exact") && !(field(o, "qps") <= b->exact_qps)) {
        b->exact_qps = field(o, "qps");
        b->exact_s = field(o, "search_s");
        b->agreement = field(o, "agreement_with_faiss");
        b->nq = (int)field(o, "nq"), b->n = (int)field(o, "n"), b->k = (int)field(o, "k");
    } else if (!strcmp(phase, "build") && !(field(o, "build_s") >= b->build_s)) {
        b->build_s = field(o, "build_s");
        b->save_s = field(o, "save_s"), b->load_s = field(o, "load_s");
        b->M = (int)field(o, "M"), b->efc = (int)field(o, "efc");
        b->identical = (int)field(o, "loaded_index_identical");
    } else if (!strcmp(phase, "filter")) {
        int i = 0;
        while (i < b->nfilter && b->filter_allowed[i] != field(o, "allowed")) i++;
        if (i == 8) return;
        if (i == b->nfilter) b->nfilter++, b->filter_qps[i] = 0;
        b->filter_allowed[i] = field(o, "allowed");
        b->filter_recall[i] = field(o, "recall");
        b->filter_wrong[i] = field(o, "disallowed_returned");
        if (field(o, "qps") > b->filter_qps[i]) b->filter_qps[i] = field(o, "qps");
    } else if (!strcmp(phase, "sweep")) {
        int ef = (int)field(o, "ef"), i = 0;
        while (i < b->nef && b->ef[i] < ef) i++;
        if (i == b->nef || b->ef[i] != ef) {
            if (b->nef == MAX_EF) return;
            memmove(b->ef + i + 1, b->ef + i, (size_t)(b->nef - i) * sizeof *b->ef);
            memmove(b->recall + i + 1, b->recall + i, (size_t)(b->nef - i) * sizeof *b->recall);
            memmove(b->qps + i + 1, b->qps + i, (size_t)(b->nef - i) * sizeof *b->qps);
            b->nef++;
            b->ef[i] = ef;
            b->qps[i] = 0;
        }
        b->recall[i] = field(o, "recall");
        if (field(o, "qps") > b->qps[i]) b->qps[i] = field(o, "qps");
    }
}

/* QPS at a recall level on the sweep's Pareto frontier: each point's QPS raised to the best QPS
 * of any point with at least its recall (so a noisy slow measurement cannot hide a faster
 * setting), then log-linear between the frontier points around the target. NAN if the target
 * is never reached; *ef_hit is the first efSearch that reaches it. */
static double qps_at(const side_best *b, double target, int *ef_hit) {
    double front[MAX_EF];
    for (int i = 0; i < b->nef; i++) {
        front[i] = b->qps[i];
        for (int j = 0; j < b->nef; j++)
            if (b->recall[j] >= b->recall[i] && b->qps[j] > front[i]) front[i] = b->qps[j];
    }
    for (int i = 0; i < b->nef; i++) {
        if (b->recall[i] < target) continue;
        *ef_hit = b->ef[i];
        if (i == 0 || b->recall[i] == b->recall[i - 1]) return front[i];
        double t = (target - b->recall[i - 1]) / (b->recall[i] - b->recall[i - 1]);
        return exp(log(front[i - 1]) + t * (log(front[i]) - log(front[i - 1])));
    }
    *ef_hit = 0;
    return NAN;
}

static int run_report(const bench_opts *o) {
    char *path = path_join(o->dir, "results.jsonl"), *text;
    size_t len;
    if (file_read_all(path, &text, &len)) return die();
    side_best needle = {.build_s = INFINITY}, ref = {.build_s = INFINITY};
    int line = 0;
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl) nl = p + strlen(p) - 1;
        line++;
        cJSON *o;
        char origin[600];
        snprintf(origin, sizeof origin, "%s line %d", path, line);
        if (json_parse(p, (size_t)(nl - p + 1), origin, &o)) return die();
        const char *side = cJSON_GetStringValue(cJSON_GetObjectItem(o, "side"));
        if (side) take(!strcmp(side, "needle") ? &needle : &ref, o);
        cJSON_Delete(o);
    }
    free(text);
    free(path);

    printf("exact search, %d queries over %d vectors, k %d (inner product), best of the rounds\n", needle.nq, needle.n,
           needle.k);
    printf("  %-20s %10.1f QPS  (%.2f s)   %7.1f queries per CPU-second\n", "needle exact", needle.exact_qps,
           needle.exact_s, needle.exact_cpu_qps);
    printf("  %-20s %10.1f QPS  (%.2f s)   %7.1f queries per CPU-second\n", "faiss IndexFlatIP", ref.exact_qps,
           ref.exact_s, ref.exact_cpu_qps);
    printf("  needle/faiss         %10.2fx                %7.2fx   (needle's top-%d agrees with faiss's: %.5f)\n",
           needle.exact_qps / ref.exact_qps, needle.exact_cpu_qps / ref.exact_cpu_qps, needle.k, needle.agreement);
    printf("\nHNSW build, M %d, efConstruction %d, all threads\n", needle.M, needle.efc);
    printf("  %-20s %10.1f s\n  %-20s %10.1f s\n", "needle", needle.build_s, "hnswlib", ref.build_s);
    printf("  needle speed-up      %10.2fx    (save %.2f s, load %.2f s, loaded index identical: %s)\n",
           ref.build_s / needle.build_s, needle.save_s, needle.load_s, needle.identical ? "yes" : "NO");
    printf("\nefSearch sweep: recall@%d against exact search, QPS with all threads (best of the rounds)\n", needle.k);
    printf("  %6s  %14s %9s  %14s %9s\n", "ef", "needle recall", "QPS", "hnswlib recall", "QPS");
    double recall64 = NAN;
    for (int i = 0; i < needle.nef; i++) {
        printf("  %6d  %14.4f %9.0f", needle.ef[i], needle.recall[i], needle.qps[i]);
        for (int j = 0; j < ref.nef; j++)
            if (ref.ef[j] == needle.ef[i]) printf("  %14.4f %9.0f", ref.recall[j], ref.qps[j]);
        printf("\n");
        if (needle.ef[i] == 64) recall64 = needle.recall[i];
    }
    printf("\nQPS at equal recall@10 (Pareto frontier of the sweep, log-QPS interpolated)\n");
    static const double targets[] = {0.90, 0.95, 0.99};
    for (int i = 0; i < 3; i++) {
        int efn, efh;
        double qn = qps_at(&needle, targets[i], &efn), qh = qps_at(&ref, targets[i], &efh);
        printf("  recall %.2f: needle %7.0f QPS (reached at ef %3d)  hnswlib %7.0f QPS (ef %3d)  needle/hnswlib %.2fx\n",
               targets[i], qn, efn, qh, efh, qn / qh);
    }
    if (needle.nfilter) printf("\nfiltered HNSW search, efSearch 64, first 1000 queries (needle only)\n");
    for (int i = 0; i < needle.nfilter; i++)
        printf("  %5.1f%% of ids allowed: recall@%d %.4f against exact filtered search, %7.0f QPS, %d disallowed ids returned\n",
               100 * needle.filter_allowed[i], needle.k, needle.filter_recall[i], needle.filter_qps[i],
               (int)needle.filter_wrong[i]);
    int ok = recall64 >= 0.95 && needle.identical;
    printf("\nneedle HNSW recall@10 at efSearch 64: %.4f (target >= 0.95): %s\n", recall64, recall64 >= 0.95 ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    bench_opts o = {NULL, "16,24,32,48,64,96,128,192,256", 10, 1, 16, 200};
    if (argc < 2) goto usage;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--dir")) o.dir = v;
        else if (!strcmp(k, "--efs")) o.efs = v;
        else if (!strcmp(k, "--k")) o.k = atoi(v);
        else if (!strcmp(k, "--repeat")) o.repeat = atoi(v);
        else if (!strcmp(k, "--M")) o.M = atoi(v);
        else if (!strcmp(k, "--efc")) o.efc = atoi(v);
        else goto usage;
    }
    if (!o.dir || o.k < 1 || o.repeat < 1 || (argc % 2)) goto usage;
    if (!strcmp(argv[1], "exact")) return run_exact(&o);
    if (!strcmp(argv[1], "build")) return run_build(&o);
    if (!strcmp(argv[1], "sweep")) return run_sweep(&o);
    if (!strcmp(argv[1], "filter")) return run_filter(&o);
    if (!strcmp(argv[1], "report")) return run_report(&o);
usage:
    fprintf(stderr, "usage: vector_bench exact|build|sweep|filter|report --dir D [--k 10 --repeat 1 --M 16 --efc 200 "
                    "--efs 16,32,64]\n");
    return 2;
}
