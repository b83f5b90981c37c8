/* cmd_retriever_embed.c — `needle retriever embed`: fill a document store's embeddings with a
 * dense retriever's passage encoder, so that `needle query --dense` (and the pipeline) can
 * search the store with it.
 *
 * Documents are taken in blocks from the store's iterator over documents that still lack an
 * embedding under the model's name; each block is embedded (sorted by length, on all cores)
 * and stored in one transaction. A killed run therefore keeps every finished block and a rerun
 * embeds only what is left; documents added later are embedded by running it again. A
 * document's title is its metadata's "title" when that is a string (the passage is then the
 * (title, content) pair the retriever was trained on). */
#include "cli.h"
#include "needle/biencoder.h"
#include "needle/docstore.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMBED_BLOCK 1024

typedef struct {
    char *ids[EMBED_BLOCK], *titles[EMBED_BLOCK], *texts[EMBED_BLOCK];
    size_t n;
} block;

static void block_clear(block *b) {
    for (size_t i = 0; i < b->n; i++) free(b->ids[i]), free(b->titles[i]), free(b->texts[i]);
    b->n = 0;
}

/* The next documents without an embedding (at most EMBED_BLOCK); *total counts them all when
 * `count_only`. */
static int next_block(docstore *ds, const char *filters, const char *name, block *b, int count_only, size_t *total) {
    docstore_iter *it;
    int rc = docstore_iter_docs(ds, filters, name, &it);
    if (rc) return rc;
    docstore_record r;
    while ((rc = docstore_iter_next_doc(it, &r)) == 1) {
        if (count_only) {
            (*total)++;
            continue;
        }
        cJSON *meta = NULL;
        const cJSON *title = NULL;
        if (r.meta_json && !json_parse(r.meta_json, strlen(r.meta_json), "metadata", &meta))
            title = cJSON_GetObjectItemCaseSensitive(meta, "title");
        b->ids[b->n] = strdup(r.id);
        b->titles[b->n] = strdup(cJSON_IsString(title) ? title->valuestring : "");
        b->texts[b->n] = strdup(r.content);
        cJSON_Delete(meta);
        if (!b->ids[b->n] || !b->titles[b->n] || !b->texts[b->n]) {
            b->n++;
            rc = error_set(NEEDLE_ENOMEM, "out of memory");
            break;
        }
        if (++b->n == EMBED_BLOCK) {
            rc = 0;
            break;
        }
    }
    docstore_iter_free(it);
    return rc < 0 ? rc : 0;
}

int cmd_retriever_embed(int argc, char **argv) {
    const char *store = NULL, *model = NULL, *name = NULL, *filters = NULL;
    int batch = 32;
    const cli_opt opts[] = {
        {"store", OPT_STRING, &store, "the document store file", 1},
        {"model", OPT_STRING, &model, "dense retriever directory (DPR, sentence-transformers or needle layout)", 1},
        {"name", OPT_STRING, &name, "name of the embeddings in the store (default: the model directory's name)", 0},
        {"filters", OPT_STRING, &filters, "only documents matching these metadata filters (Haystack syntax)", 0},
        {"batch", OPT_INT, &batch, "passages per embedding batch", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle retriever embed --store FILE --model DIR [--name NAME] [--filters JSON]",
                           "Embed every document of the store that has no embedding under NAME yet with the retriever's\n"
                           "passage encoder, in blocks of 1024 committed one by one (a rerun continues where a killed run\n"
                           "stopped). Then `needle query --dense DIR` searches the store with the same retriever.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (batch < 1) {
        fprintf(stderr, "needle: error: --batch must be at least 1\n");
        return 2;
    }
    char namebuf[256];
    if (!name) name = biencoder_embedding_name(model, namebuf, sizeof namebuf);
    docstore *ds = NULL;
    biencoder b;
    int have_b = 0;
    block *blk = calloc(1, sizeof *blk);
    float *vecs = NULL;
    size_t total = 0, done = 0;
    double t0 = clock_seconds();
    progress bar;
    if (!blk) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = docstore_open(&ds, store, 0);
    if (!rc && !(rc = biencoder_open(&b, model, NULL, 0))) have_b = 1;
    if (!rc) rc = next_block(ds, filters, name, blk, 1, &total);
    int dim = have_b ? biencoder_dim(&b) : 0;
    if (!rc && !(vecs = malloc((size_t)EMBED_BLOCK * dim * sizeof *vecs))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    progress_start(&bar, "embed", total);
    while (!rc) {
        if ((rc = next_block(ds, filters, name, blk, 0, NULL)) || !blk->n) break;
        rc = biencoder_embed(&b, BIENC_PASSAGE, blk->n, (const char *const *)blk->titles, (const char *const *)blk->texts,
                             batch, vecs, NULL);
        if (!rc) rc = docstore_embeddings_put(ds, name, (const char *const *)blk->ids, vecs, blk->n, dim);
        done += blk->n;
        progress_update(&bar, done, NULL);
        block_clear(blk);
    }
    progress_finish(&bar, NULL);
    double secs = clock_seconds() - t0;
    if (!rc) {
        strbuf sb;
        strbuf_init(&sb);
        jsonw w;
        jsonw_init(&w, &sb);
        jsonw_object_begin(&w);
        jsonw_key(&w, "store"), jsonw_string(&w, store);
        jsonw_key(&w, "name"), jsonw_string(&w, name);
        jsonw_key(&w, "embedded"), jsonw_int(&w, (long long)done);
        jsonw_key(&w, "dim"), jsonw_int(&w, dim);
        jsonw_key(&w, "seconds"), jsonw_double(&w, secs);
        jsonw_key(&w, "passages_per_s"), jsonw_double(&w, secs > 0 ? done / secs : 0.0);
        jsonw_object_end(&w);
        if (!w.err) printf("%s\n", sb.data);
        strbuf_free(&sb);
    }
    if (blk) block_clear(blk);
    free(blk);
    free(vecs);
    if (have_b) biencoder_free(&b);
    docstore_close(ds);
    tokenizer_thread_cleanup();
    return rc ? cli_fail() : 0;
}
