/* cmd_query.c — `needle query`: ask a question.
 *
 *   --store FILE     BM25 over the store's index (FILE.bm25, built by needle index) with
 *                    metadata filters: the documents as JSON (id, score, content, meta);
 *                    with --dense MODEL, a fine-tuned dense retriever instead, over the
 *                    embeddings `needle retriever embed` stored (exact search, same output);
 *   --pipeline FILE  the pipeline of a pipeline file (docs/pipeline.md) with Haystack's params:
 *                    Haystack's QueryResponse as JSON, or a readable text form (--format text)
 *                    with each answer's score, document and context, and the documents. */
#include "cli.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/pipeline.h"
#include "needle/search_dense.h"
#include "needle/search_store.h"
#include "needle/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_hits(const char *query, const search_hit *hits, size_t n) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "query");
    jsonw_string(&w, query);
    jsonw_key(&w, "documents");
    jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const docstore_record *d = &hits[i].doc;
        jsonw_object_begin(&w);
        jsonw_key(&w, "id"); jsonw_string(&w, d->id);
        jsonw_key(&w, "score"); jsonw_double(&w, hits[i].score);
        jsonw_key(&w, "content"); jsonw_string(&w, d->content);
        jsonw_key(&w, "meta"); jsonw_raw(&w, d->meta_json);
        if (d->source_id) {
            jsonw_key(&w, "source_id"); jsonw_string(&w, d->source_id);
            jsonw_key(&w, "source_start"); jsonw_int(&w, d->source_start);
            jsonw_key(&w, "source_end"); jsonw_int(&w, d->source_end);
        }
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    if (!w.err) printf("%s\n", sb.data);
    strbuf_free(&sb);
}

/* Dense search with the retriever in `model` over its embeddings `name` in the store. */
static int query_dense(docstore *ds, const char *model, const char *name, const char *query, size_t k, const char *filters,
                       search_hit *hits, size_t *n) {
    biencoder b;
    docstore_embeddings e = {0};
    int rc = biencoder_open(&b, model, NULL, 0);
    if (rc) return rc;
    rc = docstore_embeddings_load(ds, name, filters, &e);
    if (rc == NEEDLE_ENOTFOUND)
        error_prefix(rc, "fill the store's embeddings first with `needle retriever embed --store %s --model %s --name %s`: ",
                     docstore_path(ds), model, name);
    if (!rc) rc = search_store_dense(ds, &b, &e, query, k, hits, n);
    docstore_embeddings_free(&e);
    biencoder_free(&b);
    tokenizer_thread_cleanup();
    return rc;
}

static int query_store(const char *store, const char *query, int top_k, const char *filters, const char *dense,
                       const char *name) {
    docstore *ds = NULL;
    bm25_index *ix = NULL;
    search_hit *hits = calloc((size_t)top_k, sizeof *hits);
    size_t n = 0;
    char *bm25 = search_store_bm25_path(store), namebuf[256];
    long long count;
    int rc = 0;
    if (!hits || !bm25) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); goto done; }
    if (dense) {
        if (!(rc = docstore_open(&ds, store, DOCSTORE_READONLY)))
            rc = query_dense(ds, dense, name ? name : biencoder_embedding_name(dense, namebuf, sizeof namebuf), query,
                             (size_t)top_k, filters, hits, &n);
        if (!rc) write_hits(query, hits, n);
        goto done;
    }
    if ((rc = docstore_open(&ds, store, DOCSTORE_READONLY)) || (rc = bm25_index_open(&ix, bm25))) goto done;
    if ((rc = docstore_count(ds, NULL, &count))) goto done;
    if ((unsigned long long)count != bm25_index_num_docs(ix))
        log_warn("%s holds %lld documents but its BM25 index %u: rebuild it with `needle index --store %s`", store, count,
                 bm25_index_num_docs(ix), store);
    if ((rc = search_store_bm25(ds, ix, query, (size_t)top_k, filters, NULL, hits, &n))) goto done;
    write_hits(query, hits, n);
done:
    if (rc) rc = cli_fail();
    search_hits_free(hits, n);
    free(hits);
    free(bm25);
    bm25_index_close(ix);
    docstore_close(ds);
    return rc;
}

/* `len` code points of s starting at code point `from`, appended to sb. */
static void put_chars(strbuf *sb, const char *s, long long from, long long len) {
    size_t n = strlen(s);
    size_t a = utf8_byte_offset(s, n, (size_t)(from < 0 ? 0 : from));
    size_t b = utf8_byte_offset(s, n, (size_t)(from < 0 ? 0 : from) + (size_t)(len < 0 ? 0 : len));
    strbuf_append(sb, s + a, b - a);
}

/* Text on one line: newlines and tabs as spaces. */
static void print_flat(const char *s) {
    for (; *s; s++) putchar(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s);
}

/* A context on one line, the answer marked [[like this]], at most ~300 characters. */
static void print_context(const pipeline_answer *a) {
    if (!a->context) return;
    strbuf sb;
    strbuf_init(&sb);
    long long n = (long long)utf8_char_count(a->context, strlen(a->context));
    if (a->context_start >= 0 && a->context_end >= a->context_start) {
        long long from = a->context_start > 150 ? a->context_start - 150 : 0;
        long long to = a->context_end + 150 < n ? a->context_end + 150 : n;
        if (from) strbuf_puts(&sb, "…");
        put_chars(&sb, a->context, from, a->context_start - from);
        strbuf_puts(&sb, "[[");
        put_chars(&sb, a->context, a->context_start, a->context_end - a->context_start);
        strbuf_puts(&sb, "]]");
        put_chars(&sb, a->context, a->context_end, to - a->context_end);
        if (to < n) strbuf_puts(&sb, "…");
    } else {
        put_chars(&sb, a->context, 0, n < 300 ? n : 300);
        if (n > 300) strbuf_puts(&sb, "…");
    }
    printf("     ");
    if (sb.data) print_flat(sb.data);
    printf("\n");
    strbuf_free(&sb);
}

static void print_text(const char *query, const pipeline_result *r) {
    const pipeline_output *f = r->final;
    printf("Question: %s\n", query);
    if (f->gives_answers) {
        printf("\nAnswers (%s, %s):\n", f->node, f->type);
        if (!f->n_answers) printf("  (none)\n");
        for (size_t i = 0; i < f->n_answers; i++) {
            const pipeline_answer *a = &f->answers[i];
            printf("  %zu. ", i + 1);
            print_flat(a->answer && a->answer[0] ? a->answer : "(no answer)");
            if (!isnan(a->score)) printf("   score %.4f", a->score);
            if (a->document_id) printf("   document %s", a->document_id);
            printf("\n");
            print_context(a);
        }
    }
    printf("\nDocuments:\n");
    if (!f->n_docs) printf("  (none)\n");
    for (size_t i = 0; i < f->n_docs; i++) {
        const pipeline_doc *d = &f->docs[i];
        printf("  %zu. %s", i + 1, d->id);
        if (!isnan(d->score)) printf("   score %.4f", d->score);
        printf("\n");
        pipeline_answer as_text = {.context = d->content, .context_start = -1};
        print_context(&as_text);
    }
}

static int query_pipeline(const char *file, const char *name, const char *query, const char *params_text, const char *format) {
    cJSON *params = NULL;
    pipeline *p = NULL;
    pipeline_result r = {0};
    int rc = 0;
    if (params_text && (rc = json_parse(params_text, strlen(params_text), "--params", &params))) return cli_fail();
    if (params && !cJSON_IsObject(params)) {
        cJSON_Delete(params);
        fprintf(stderr, "needle: error: --params should be a JSON object, e.g. '{\"Retriever\": {\"top_k\": 5}}'\n");
        return 2;
    }
    if (!(rc = pipeline_open_file(&p, file, name))) rc = pipeline_query(p, query, params, &r);
    if (!rc && !strcmp(format, "text")) print_text(query, &r);
    else if (!rc) {
        strbuf sb;
        strbuf_init(&sb);
        jsonw w;
        jsonw_init(&w, &sb);
        jsonw_object_begin(&w);
        pipeline_write_result(&w, query, &r);
        jsonw_object_end(&w);
        if (w.err) rc = error_set(NEEDLE_ENOMEM, "out of memory writing the answer");
        else printf("%s\n", sb.data);
        strbuf_free(&sb);
    }
    pipeline_result_free(&r);
    pipeline_close(p);
    cJSON_Delete(params);
    return rc ? cli_fail() : 0;
}

int cmd_query(int argc, char **argv) {
    const char *store = NULL, *filters = NULL, *file = NULL, *name = NULL, *params = NULL, *format = "json";
    const char *dense = NULL, *emb_name = NULL;
    int top_k = 10;
    const cli_opt opts[] = {
        {"store", OPT_STRING, &store, "search this document store's BM25 index (FILE.bm25, built by needle index)", 0},
        {"top-k", OPT_INT, &top_k, "with --store: number of documents to return", 0},
        {"filters", OPT_STRING, &filters, "with --store: metadata filters, Haystack syntax, e.g. '{\"year\": {\"$gte\": 2020}}'", 0},
        {"dense", OPT_STRING, &dense, "with --store: search densely with this retriever (embeddings by needle retriever embed)", 0},
        {"name", OPT_STRING, &emb_name, "with --dense: the embeddings' name in the store (default: the model directory's name)", 0},
        {"pipeline", OPT_STRING, &file, "run the pipeline of this pipeline file (docs/pipeline.md)", 0},
        {"pipeline-name", OPT_STRING, &name, "with --pipeline: which pipeline of the file (default: the only one, or 'query')", 0},
        {"params", OPT_STRING, &params, "with --pipeline: Haystack params as JSON, e.g. '{\"Retriever\": {\"top_k\": 5}, "
                                        "\"filters\": {\"year\": 2020}}'", 0},
        {"format", OPT_STRING, &format, "with --pipeline: json (Haystack's QueryResponse) or text", 0},
        {NULL, 0, NULL, NULL, 0}};
    const cli_spec spec = {"needle query (--store FILE [--top-k N] [--filters JSON] [--dense MODEL] | --pipeline FILE [--params JSON] "
                           "[--format json|text]) \"QUESTION\"",
                           "With --store: search the store's BM25 index (built by needle index) for the best documents,\n"
                           "restricted to those matching the filters, and print them as JSON: id, score, content, meta;\n"
                           "with --dense MODEL, search the embeddings of that fine-tuned retriever instead (filled by\n"
                           "needle retriever embed; exact search under the filters).\n"
                           "With --pipeline: run a pipeline file (retrievers, join, reader; docs/pipeline.md) and print\n"
                           "its answers with scores, document ids and context, and the documents they come from.",
                           opts, 1, 1};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (!store == !file) {
        fprintf(stderr, "needle: error: give one of --store and --pipeline (see --help)\n");
        return 2;
    }
    if (file) {
        if (filters || top_k != 10) {
            fprintf(stderr, "needle: error: with --pipeline, give top_k and filters in --params\n");
            return 2;
        }
        if (strcmp(format, "json") && strcmp(format, "text")) {
            fprintf(stderr, "needle: error: --format is json or text\n");
            return 2;
        }
        if (dense || emb_name) {
            fprintf(stderr, "needle: error: --dense and --name go with --store\n");
            return 2;
        }
        return query_pipeline(file, name, pos[0], params, format);
    }
    if (name || params || strcmp(format, "json")) {
        fprintf(stderr, "needle: error: --pipeline-name, --params and --format go with --pipeline\n");
        return 2;
    }
    if (top_k < 1) {
        fprintf(stderr, "needle: error: --top-k must be at least 1\n");
        return 2;
    }
    return query_store(store, pos[0], top_k, filters, dense, emb_name);
}
