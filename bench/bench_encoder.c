/* bench_encoder.c — needle's side of bench/encoder.sh: a full training step (forward with
 * dropout 0.1, span loss, backward, AdamW) and an evaluation-mode forward of a BERT-shaped
 * QA model built from a config (random HF initialisation), plus the measured sgemm peak of
 * OpenBLAS (what PyTorch uses here) and of needle's gemm on this machine. Prints one JSON line per measurement for the script to tabulate.
 *
 *   bench_encoder peak
 *   bench_encoder step|forward L C NH F B T ITERS   (fastest of ITERS after a warm-up)
 *   bench_encoder memory L C NH F B T        (one step; peak resident memory)
 *
 * FLOPs per token of a forward: 2·(4C² + 2CF)·L + 4·T·C·L (Q·Kᵀ and P·V) + 4C (span head);
 * a training step counts three times that (backward = two GEMMs per forward GEMM). */
#include "needle/adamw.h"
#include "needle/error.h"
#include "needle/kernels.h"
#include "needle/model.h"
#include "needle/progress.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

static double forward_flops(int L, int C, int F, int B, int T) {
    double tok = (double)B * T;
    return tok * (2.0 * (4.0 * C * C + 2.0 * C * F) * L + 4.0 * T * C * L + 4.0 * C);
}

/* Best of three 2048³ products, through OpenBLAS or through needle's gemm. */
static double peak_gflops(int openblas) {
    int n = 2048;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
    double best = 0;
    for (int r = 0; r < 4; r++) { /* the first is a warm-up */
        double t = clock_seconds();
        if (openblas) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        else gemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n);
        double g = 2.0 * n * n * n / (clock_seconds() - t) / 1e9;
        best = r && g > best ? g : best;
    }
    free(a), free(b), free(c);
    return best;
}

/* CPU time of the process (all threads), seconds. */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int die(void) {
    fprintf(stderr, "bench_encoder: %s\n", error_message());
    return 1;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "peak")) {
        printf("{\"what\": \"peak\", \"threads\": %d, \"sgemm_gflops\": %.1f, \"needle_gemm_gflops\": %.1f, "
               "\"openblas\": \"%s\", \"core\": \"%s\"}\n",
               omp_get_max_threads(), peak_gflops(1), peak_gflops(0), openblas_get_config(), openblas_get_corename());
        return 0;
    }
    if (argc < 8) {
        fprintf(stderr, "usage: bench_encoder peak | step|forward|memory L C NH F B T [ITERS]\n");
        return 2;
    }
    const char *what = argv[1];
    int L = atoi(argv[2]), C = atoi(argv[3]), NH = atoi(argv[4]), F = atoi(argv[5]), B = atoi(argv[6]), T = atoi(argv[7]);
    int memory = !strcmp(what, "memory"), iters = memory ? 0 : argc > 8 ? atoi(argv[8]) : 1, train = strcmp(what, "forward") != 0;
    model_config cfg;
    model_config_default(&cfg, MODEL_BERT);
    cfg.L = L, cfg.C = cfg.E = C, cfg.NH = NH, cfg.F = F, cfg.head = MODEL_HEAD_SPAN, cfg.has_pooler = 0;
    model m;
    if (model_create(&m, &cfg, 1) || model_alloc(&m, B, T, train ? MODEL_TRAIN : MODEL_INFER)) return die();
    int32_t *ids = malloc(sizeof(int32_t) * B * T), *tt = malloc(sizeof(int32_t) * B * T), *mask = malloc(sizeof(int32_t) * B * T);
    int32_t *sp = malloc(sizeof(int32_t) * B), *ep = malloc(sizeof(int32_t) * B);
    rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < B * T; i++) ids[i] = (int32_t)rng_below(&r, (uint64_t)cfg.V), tt[i] = i % T >= T / 4, mask[i] = 1;
    for (int b = 0; b < B; b++) sp[b] = (int32_t)rng_below(&r, (uint64_t)T), ep[b] = (int32_t)rng_below(&r, (uint64_t)T);
    model_batch batch = {.B = B, .T = T, .input_ids = ids, .token_type_ids = tt, .attention_mask = mask};
    adamw_state opt;
    adamw_config oc = adamw_defaults();
    oc.lr = 1e-4;
    if (train && adamw_init(&opt, m.n_floats)) return die();
    float *dl = malloc(sizeof(float) * 2 * B * T), loss = 0;
    double dt = 0, cpu = 0; /* the fastest timed iteration: robust to other processes on the machine */
    int runs = iters + 1; /* the first is a warm-up (memory: the only one) */
    for (int it = 0; it < runs; it++) {
        double t0 = clock_seconds(), c0 = cpu_seconds();
        if (!train) {
            if (model_forward(&m, &batch, NULL)) return die();
        } else {
            model_zero_grad(&m);
            if (model_forward(&m, &batch, &r)) return die();
            loss = span_loss(dl, model_logits(&m), sp, ep, B, T);
            if (model_backward(&m, &(model_grad_in){.d_logits = dl})) return die();
            adamw_step(&opt, &oc, m.params, m.n_params);
        }
        double t = clock_seconds() - t0;
        if (it > 0 && (dt == 0 || t < dt)) dt = t, cpu = cpu_seconds() - c0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double flops = forward_flops(L, C, F, B, T) * (train ? 3 : 1);
    printf("{\"what\": \"%s\", \"side\": \"needle\", \"L\": %d, \"C\": %d, \"B\": %d, \"T\": %d, \"seconds\": %.4f, "
           "\"cpu_seconds\": %.4f, \"tokens_per_s\": %.1f, \"gflops\": %.2f, \"loss\": %.4f, \"peak_rss_mb\": %.1f, "
           "\"model_mb\": %.1f}\n",
           what, L, C, B, T, dt, cpu, dt > 0 ? B * T / dt : 0, dt > 0 ? flops / dt / 1e9 : 0, loss, ru.ru_maxrss / 1024.0,
           model_bytes(&m) / 1e6);
    if (train) adamw_free(&opt);
    free(ids), free(tt), free(mask), free(sp), free(ep), free(dl);
    model_free(&m);
    return 0;
}
