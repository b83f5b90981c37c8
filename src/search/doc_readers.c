/* doc_readers.c — JSON lines / BEIR / SQuAD / plain text into doc_input records (docread.h).
 *
 * JSON lines and BEIR corpora are read line by line by json_lines_read (json.h), so that
 * their size does not matter, every error names the file and line and integer ids keep all
 * their digits. One line parser serves both: it accepts Haystack's names ("id", "content",
 * "meta") and BEIR's ("_id", "text", "metadata"). SQuAD files are read by the one SQuAD
 * reader, squad_load, and handed over paragraph by paragraph. Text must be valid UTF-8: an
 * invalid byte is reported with its line and column rather than indexed as garbage. */
#include "needle/docread.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const FORMAT_NAMES[] = {"auto", "jsonl", "beir", "squad", "text"};

int doc_format_parse(const char *name, doc_format *out) {
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, FORMAT_NAMES[i])) { *out = (doc_format)i; return 0; }
    return error_set(NEEDLE_EINVAL, "unknown input format '%s' (expected auto, jsonl, beir, squad or text)", name);
}

const char *doc_format_name(doc_format f) { return (unsigned)f < 5 ? FORMAT_NAMES[f] : "?"; }

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

doc_format doc_format_detect(const char *path) {
    if (dir_exists(path) || ends_with(path, "corpus.jsonl")) return DOCFMT_BEIR;
    if (ends_with(path, ".jsonl")) return DOCFMT_JSONL;
    if (ends_with(path, ".json")) return DOCFMT_SQUAD;
    return DOCFMT_TEXT;
}

/* "meta" (or "metadata") copied, with "title" added when given and not already there. */
static int build_meta(const cJSON *obj, const char *origin, char **out) {
    *out = NULL;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "meta");
    const char *meta_key = "meta";
    if (!meta || cJSON_IsNull(meta)) {
        meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        meta_key = "metadata";
    }
    if (meta && !cJSON_IsNull(meta) && !cJSON_IsObject(meta))
        return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" should be an object", origin, meta_key);
    const char *title;
    int rc = json_opt_string(obj, "title", origin, NULL, &title);
    if (rc) return rc;
    cJSON *m = meta && cJSON_IsObject(meta) ? cJSON_Duplicate(meta, 1) : cJSON_CreateObject();
    if (!m) return error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
    if (title && title[0] && !cJSON_GetObjectItemCaseSensitive(m, "title")) cJSON_AddStringToObject(m, "title", title);
    *out = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return *out ? 0 : error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
}

/* {key: value} as JSON ({} when value is NULL): the meta of SQuAD paragraphs and text files. */
static int one_field_meta(const char *key, const char *value, const char *origin, char **out) {
    cJSON *m = cJSON_CreateObject();
    *out = NULL;
    if (m && (!value || cJSON_AddStringToObject(m, key, value))) *out = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return *out ? 0 : error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
}

typedef struct {
    doc_callback cb;
    void *ctx;
} jsonl_ctx;

static int jsonl_line(void *ctx, const cJSON *obj, const char *origin) {
    jsonl_ctx *jc = ctx;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, "content");
    if (!c || cJSON_IsNull(c)) c = cJSON_GetObjectItemCaseSensitive(obj, "text");
    if (!c || cJSON_IsNull(c)) return error_set(NEEDLE_EFORMAT, "%s: missing field \"content\" (or \"text\")", origin);
    if (!cJSON_IsString(c)) return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" should be a string", origin, c->string);
    const char *id_key = "id", *id;
    int rc = json_opt_id(obj, id_key, origin, &id);
    if (!rc && !id) rc = json_opt_id(obj, id_key = "_id", origin, &id);
    if (rc) return rc;
    if (id && !id[0]) return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" is empty", origin, id_key);
    char *meta;
    if ((rc = build_meta(obj, origin, &meta))) return rc;
    doc_input d = {id, c->valuestring, strlen(c->valuestring), meta, NULL, 0, origin};
    rc = jc->cb(jc->ctx, &d);
    free(meta);
    return rc;
}

static int read_jsonl(const char *path, doc_callback cb, void *ctx) {
    static const char *const id_keys[] = {"id", "_id", NULL};
    jsonl_ctx jc = {cb, ctx};
    return json_lines_read(path, id_keys, jsonl_line, &jc);
}

/* ------------------------------------------------------------------ SQuAD */

/* One document per paragraph; the questions and answers point into the dataset. */
static int read_squad(const char *path, const doc_read_opts *o, doc_callback cb, void *ctx) {
    squad_load_opts lo = {o->squad_offsets, 0};
    squad_dataset ds;
    int rc = squad_load(path, &lo, &ds);
    if (rc) return rc;
    if (o->squad_stats) *o->squad_stats = ds.stats;
    doc_question *qs = calloc(ds.n_questions ? ds.n_questions : 1, sizeof *qs);
    doc_answer *as = calloc(ds.n_answers ? ds.n_answers : 1, sizeof *as);
    char *meta = NULL, origin[1100];
    if (!qs || !as) {
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < ds.n_answers; i++)
        as[i] = (doc_answer){ds.answers[i].text, ds.answers[i].start, ds.answers[i].located};
    for (size_t i = 0; i < ds.n_questions; i++) {
        const squad_question *q = &ds.questions[i];
        qs[i] = (doc_question){q->id, q->question, q->is_impossible, as + q->first_answer, q->n_answers};
    }
    for (size_t a = 0; a < ds.n_articles && !rc; a++) {
        const squad_article *art = &ds.articles[a];
        if ((rc = one_field_meta("title", art->title, path, &meta))) break;
        for (size_t k = 0; k < art->n_paragraphs && !rc; k++) {
            const squad_paragraph *p = &ds.paragraphs[art->first_paragraph + k];
            snprintf(origin, sizeof origin, "%.1000s: data[%zu].paragraphs[%zu]", path, a, k);
            doc_input d = {NULL, p->context, p->context_bytes, meta, qs + p->first_question, p->n_questions, origin};
            rc = cb(ctx, &d);
        }
        free(meta);
        meta = NULL;
    }
done:
    free(qs);
    free(as);
    squad_dataset_free(&ds);
    return rc;
}

/* ------------------------------------------------------------------ text */

static int read_text(const char *path, doc_callback cb, void *ctx) {
    char *text, *meta = NULL;
    size_t len;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    if ((rc = utf8_check_text(text, len, path))) goto done;
    if (memchr(text, 0, len)) { rc = error_set(NEEDLE_EFORMAT, "%s: holds NUL bytes; not a text file", path); goto done; }
    const char *base = strrchr(path, '/');
    if ((rc = one_field_meta("name", base ? base + 1 : path, path, &meta))) goto done;
    doc_input d = {NULL, text, len, meta, NULL, 0, path};
    rc = cb(ctx, &d);
done:
    free(meta);
    free(text);
    return rc;
}

int doc_read(const char *path, doc_format fmt, const doc_read_opts *opts, doc_callback cb, void *ctx) {
    const doc_read_opts defaults = {SQUAD_OFFSETS_KEEP, NULL};
    if (!opts) opts = &defaults;
    if (opts->squad_stats) memset(opts->squad_stats, 0, sizeof *opts->squad_stats);
    if (fmt == DOCFMT_AUTO) fmt = doc_format_detect(path);
    switch (fmt) {
    case DOCFMT_JSONL: return read_jsonl(path, cb, ctx);
    case DOCFMT_BEIR: {
        if (!dir_exists(path)) return read_jsonl(path, cb, ctx);
        char *corpus = path_join(path, "corpus.jsonl");
        if (!corpus) return error_set(NEEDLE_ENOMEM, "out of memory");
        int rc = file_exists(corpus) ? read_jsonl(corpus, cb, ctx)
                                     : error_set(NEEDLE_ENOTFOUND, "%s: a BEIR folder needs corpus.jsonl", path);
        free(corpus);
        return rc;
    }
    case DOCFMT_SQUAD: return read_squad(path, opts, cb, ctx);
    case DOCFMT_TEXT: return read_text(path, cb, ctx);
    default: return error_set(NEEDLE_EINVAL, "unknown input format %d", (int)fmt);
    }
}
