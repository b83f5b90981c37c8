/* retriever_encode.c — needle's side of the corpus-encoding benchmark (bench/retriever_speed.sh):
 * embed N passages with a retriever's passage encoder through biencoder_embed — tokenisation,
 * length sorting, batches, forward, pooling: what `retriever embed` and full-corpus evaluation
 * run — and print passages/s and the process CPU seconds as JSON. The passages are (title, text) pairs whose text is long
 * enough to fill the passage length, so every batch is plen tokens wide, as on the PyTorch side.
 * Usage: retriever_encode MODEL_DIR N BATCH */
#include "needle/biencoder.h"
#include "needle/error.h"
#include "needle/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: retriever_encode MODEL_DIR N BATCH\n");
        return 2;
    }
    size_t n = (size_t)atol(argv[2]);
    int batch = atoi(argv[3]);
    biencoder b;
    if (biencoder_open(&b, argv[1], NULL, 0)) {
        fprintf(stderr, "%s\n", error_message());
        return 1;
    }
    static const char *const words[] = {"protein", "cell", "study", "patients", "expression", "model", "analysis",
                                        "treatment", "response", "levels", "effect", "increased", "function", "data"};
    char *text = malloc(8192);
    size_t len = 0;
    for (int i = 0; len < 8000 - 16; i++) len += (size_t)sprintf(text + len, "%s ", words[(i * 7) % 14]);
    const char **titles = malloc(n * sizeof *titles), **texts = malloc(n * sizeof *texts);
    for (size_t i = 0; i < n; i++) titles[i] = "title", texts[i] = text;
    float *out = malloc(n * (size_t)biencoder_dim(&b) * sizeof *out);
    biencoder_embed(&b, BIENC_PASSAGE, (size_t)batch, titles, texts, batch, out, NULL); /* warm-up */
    double t0 = clock_seconds(), c0 = clock_cpu_seconds();
    if (biencoder_embed(&b, BIENC_PASSAGE, n, titles, texts, batch, out, NULL)) {
        fprintf(stderr, "%s\n", error_message());
        return 1;
    }
    double s = clock_seconds() - t0, c = clock_cpu_seconds() - c0;
    printf("{\"passages\": %zu, \"batch\": %d, \"seconds\": %.4f, \"cpu_seconds\": %.4f, \"passages_per_s\": %.2f}\n", n,
           batch, s, c, n / s);
    free(text), free(titles), free(texts), free(out);
    biencoder_free(&b);
    tokenizer_thread_cleanup();
    return 0;
}
