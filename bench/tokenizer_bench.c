/* tokenizer_bench.c — encoding throughput of needle's tokenizers on the SQuAD v1.1 dev
 * contexts (the 2,067 distinct paragraphs), the text a reader and a dense index see.
 *
 * usage: tokenizer_bench SQUAD_JSON TOKENIZER [THREADS [ROUNDS]]
 * Encodes every context with special tokens and offsets (no truncation) ROUNDS times with
 * tokenizer_encode_batch on THREADS threads and prints the best round as one JSON line:
 * MB/s of UTF-8 text and tokens/s. The first round also warms the per-thread BPE caches,
 * as a long-running indexer's would be. bench/tokenizer_bench.sh runs this beside Hugging
 * Face's tokenizers on the same texts. */
#include "needle/error.h"
#include "needle/json.h"
#include "needle/progress.h"
#include "needle/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SQUAD_JSON TOKENIZER [THREADS [ROUNDS]]\n", argv[0]);
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 1, rounds = argc > 4 ? atoi(argv[4]) : 5;
    cJSON *doc;
    tokenizer *tk;
    if (json_load_file(argv[1], &doc) || tokenizer_load(argv[2], &tk)) {
        fprintf(stderr, "error: %s\n", error_message());
        return 1;
    }
    int cap = 4096, n = 0;
    const char **texts = malloc((size_t)cap * sizeof *texts);
    size_t *lens = malloc((size_t)cap * sizeof *lens), bytes = 0;
    const cJSON *art, *para;
    cJSON_ArrayForEach(art, cJSON_GetObjectItem(doc, "data")) {
        cJSON_ArrayForEach(para, cJSON_GetObjectItem(art, "paragraphs")) {
            if (n == cap) {
                cap *= 2;
                texts = realloc(texts, (size_t)cap * sizeof *texts);
                lens = realloc(lens, (size_t)cap * sizeof *lens);
            }
            texts[n] = cJSON_GetObjectItem(para, "context")->valuestring;
            lens[n] = strlen(texts[n]);
            bytes += lens[n++];
        }
    }
    tok_windows *out = calloc((size_t)n, sizeof *out);
    tok_options opt = tok_options_default();
    double best = 1e30;
    long long tokens = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = clock_seconds();
        if (tokenizer_encode_batch(tk, n, texts, lens, NULL, NULL, &opt, out, threads)) {
            fprintf(stderr, "error: %s\n", error_message());
            return 1;
        }
        double dt = clock_seconds() - t0;
        if (dt < best) best = dt;
        tokens = 0;
        for (int i = 0; i < n; i++) tokens += out[i].w[0].n;
    }
    printf("{\"system\": \"needle\", \"tokenizer\": \"%s\", \"threads\": %d, \"texts\": %d, \"bytes\": %zu, \"tokens\": %lld, "
           "\"seconds\": %.4f, \"mb_per_s\": %.2f, \"tokens_per_s\": %.0f}\n",
           argv[2], threads, n, bytes, tokens, best, bytes / best / 1e6, tokens / best);
    for (int i = 0; i < n; i++) tok_windows_free(&out[i]);
    free(out);
    free(texts);
    free(lens);
    tokenizer_free(tk);
    cJSON_Delete(doc);
    return 0;
}
