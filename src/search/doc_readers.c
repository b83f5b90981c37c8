/* doc_readers.c — JSON lines / BEIR / SQuAD / plain text into doc_input records (docread.h).
 *
 * JSON lines and BEIR corpora are read line by line (getline) so that their size does not
 * matter; each line is parsed on its own, and every error names the file and line. One
 * parser serves both: it accepts Haystack's names ("id", "content", "meta") and BEIR's ("_id",
 * "text", "metadata"). SQuAD files are single JSON documents, read with the DOM. Text must be
 * valid UTF-8: an invalid byte is reported with its offset rather than indexed as garbage. */
#include "needle/docread.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

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

/* 0, or the byte offset + 1 of the first invalid UTF-8 sequence. */
static size_t utf8_invalid_at(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) return i + 1;
        i += (size_t)k;
    }
    return 0;
}

static int check_utf8(const char *origin, const char *what, const char *s, size_t len) {
    size_t bad = utf8_invalid_at(s, len);
    if (bad) return error_set(NEEDLE_EFORMAT, "%s: invalid UTF-8 in %s at byte %zu", origin, what, bad - 1);
    return 0;
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

/* The id as text: a string, or an integer printed in full. */
static int id_text(const cJSON *v, const char *origin, const char *key, char *buf, size_t cap, const char **out) {
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsString(v)) {
        *out = v->valuestring;
        return 0;
    }
    if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)) {
        snprintf(buf, cap, "%.0f", v->valuedouble);
        *out = buf;
        return 0;
    }
    return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" should be a string or an integer", origin, key);
}

static int jsonl_line(const char *line, size_t len, const char *origin, doc_callback cb, void *ctx) {
    cJSON *obj;
    int rc = json_parse(line, len, origin, &obj);
    if (rc) {
        const char *col = strstr(error_message(), "column ");
        return error_set(NEEDLE_EFORMAT, "%s: malformed JSON%s%s", origin, col ? " at " : "", col ? col : "");
    }
    char *meta = NULL, idbuf[32];
    const char *content, *id;
    doc_input d = {0};
    if (!cJSON_IsObject(obj)) { rc = error_set(NEEDLE_EFORMAT, "%s: expected a JSON object", origin); goto done; }
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, "content");
    if (!c || cJSON_IsNull(c)) c = cJSON_GetObjectItemCaseSensitive(obj, "text");
    if (!c || cJSON_IsNull(c)) { rc = error_set(NEEDLE_EFORMAT, "%s: missing field \"content\" (or \"text\")", origin); goto done; }
    if (!cJSON_IsString(c)) { rc = error_set(NEEDLE_EFORMAT, "%s: field \"%s\" should be a string", origin, c->string); goto done; }
    content = c->valuestring;
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(obj, "id");
    if (!idv || cJSON_IsNull(idv)) idv = cJSON_GetObjectItemCaseSensitive(obj, "_id");
    if ((rc = id_text(idv, origin, idv ? idv->string : "id", idbuf, sizeof idbuf, &id))) goto done;
    if (id && !id[0]) { rc = error_set(NEEDLE_EFORMAT, "%s: field \"%s\" is empty", origin, idv->string); goto done; }
    if ((rc = build_meta(obj, origin, &meta))) goto done;
    d.id = id;
    d.content = content;
    d.len = strlen(content);
    d.meta_json = meta;
    d.origin = origin;
    rc = cb(ctx, &d);
done:
    free(meta);
    cJSON_Delete(obj);
    return rc;
}

static int read_jsonl(const char *path, doc_callback cb, void *ctx) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open", path);
    char *line = NULL, origin[1100];
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        line[len] = 0;
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i == len) continue;
        snprintf(origin, sizeof origin, "%s:%zu", path, lineno);
        if ((rc = check_utf8(origin, "the line", line, len))) break;
        rc = jsonl_line(line, len, origin, cb, ctx);
    }
    if (!rc && ferror(fp)) rc = error_errno(NEEDLE_EIO, "%s: read failed", path);
    free(line);
    fclose(fp);
    return rc;
}

/* ------------------------------------------------------------------ SQuAD */

static int squad_paragraph(const cJSON *par, const char *title, const char *origin, doc_callback cb, void *ctx) {
    const char *context;
    int rc = json_get_string(par, "context", origin, &context);
    if (rc) return rc;
    if ((rc = check_utf8(origin, "the context", context, strlen(context)))) return rc;
    const cJSON *qas = cJSON_GetObjectItemCaseSensitive(par, "qas");
    if (qas && !cJSON_IsNull(qas) && !cJSON_IsArray(qas)) return error_set(NEEDLE_EFORMAT, "%s: field \"qas\" should be a list", origin);
    size_t nq = qas ? (size_t)cJSON_GetArraySize(qas) : 0, na_total = 0;
    for (const cJSON *q = qas ? qas->child : NULL; q; q = q->next) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(q, "answers");
        na_total += cJSON_IsArray(a) ? (size_t)cJSON_GetArraySize(a) : 0;
    }
    doc_question *qs = calloc(nq ? nq : 1, sizeof *qs);
    doc_answer *as = calloc(na_total ? na_total : 1, sizeof *as);
    char (*ids)[32] = calloc(nq ? nq : 1, 32);
    char *meta = NULL, qorigin[1200];
    if (!qs || !as || !ids) { rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", origin); goto done; }
    size_t qi = 0, ai = 0;
    for (const cJSON *q = qas ? qas->child : NULL; q && !rc; q = q->next, qi++) {
        snprintf(qorigin, sizeof qorigin, "%s.qas[%zu]", origin, qi);
        doc_question *dq = &qs[qi];
        if ((rc = json_get_string(q, "question", qorigin, &dq->question))) break;
        if ((rc = id_text(cJSON_GetObjectItemCaseSensitive(q, "id"), qorigin, "id", ids[qi], 32, &dq->id))) break;
        if (!dq->id) dq->id = "";
        if ((rc = json_opt_bool(q, "is_impossible", qorigin, 0, &dq->is_impossible))) break;
        const cJSON *answers = cJSON_GetObjectItemCaseSensitive(q, "answers");
        if (answers && !cJSON_IsNull(answers) && !cJSON_IsArray(answers)) {
            rc = error_set(NEEDLE_EFORMAT, "%s: field \"answers\" should be a list", qorigin);
            break;
        }
        dq->answers = as + ai;
        size_t k = 0;
        for (const cJSON *a = answers ? answers->child : NULL; a && !rc; a = a->next, k++) {
            char aorigin[1300];
            snprintf(aorigin, sizeof aorigin, "%s.answers[%zu]", qorigin, k);
            if (!(rc = json_get_string(a, "text", aorigin, &as[ai].text))) rc = json_get_int(a, "answer_start", aorigin, &as[ai].start);
            ai++;
        }
        dq->n_answers = k;
        if (!k) dq->is_impossible = 1;
    }
    if (rc) goto done;
    cJSON *m = cJSON_CreateObject();
    if (!m || (title && !cJSON_AddStringToObject(m, "title", title)) || !(meta = cJSON_PrintUnformatted(m))) {
        cJSON_Delete(m);
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
        goto done;
    }
    cJSON_Delete(m);
    doc_input d = {NULL, context, strlen(context), meta, qs, nq, origin};
    rc = cb(ctx, &d);
done:
    free(meta);
    free(qs);
    free(as);
    free(ids);
    return rc;
}

static int read_squad(const char *path, doc_callback cb, void *ctx) {
    cJSON *root;
    int rc = json_load_file(path, &root);
    if (rc) return rc;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsArray(data)) {
        rc = error_set(NEEDLE_EFORMAT, "%s: not a SQuAD file (no \"data\" list)", path);
        goto done;
    }
    size_t ai = 0;
    char origin[1100];
    for (const cJSON *art = data->child; art && !rc; art = art->next, ai++) {
        snprintf(origin, sizeof origin, "%s: data[%zu]", path, ai);
        const char *title;
        if ((rc = json_opt_string(art, "title", origin, NULL, &title))) break;
        const cJSON *pars = cJSON_GetObjectItemCaseSensitive(art, "paragraphs");
        if (!cJSON_IsArray(pars)) {
            rc = error_set(NEEDLE_EFORMAT, "%s: missing list \"paragraphs\"", origin);
            break;
        }
        size_t pi = 0;
        for (const cJSON *p = pars->child; p && !rc; p = p->next, pi++) {
            snprintf(origin, sizeof origin, "%s: data[%zu].paragraphs[%zu]", path, ai, pi);
            rc = squad_paragraph(p, title, origin, cb, ctx);
        }
    }
done:
    cJSON_Delete(root);
    return rc;
}

/* ------------------------------------------------------------------ text */

static int read_text(const char *path, doc_callback cb, void *ctx) {
    char *text, *meta = NULL;
    size_t len;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    if ((rc = check_utf8(path, "the text", text, len))) goto done;
    if (memchr(text, 0, len)) { rc = error_set(NEEDLE_EFORMAT, "%s: holds NUL bytes; not a text file", path); goto done; }
    const char *base = strrchr(path, '/');
    cJSON *m = cJSON_CreateObject();
    if (!m || !cJSON_AddStringToObject(m, "name", base ? base + 1 : path) || !(meta = cJSON_PrintUnformatted(m))) {
        cJSON_Delete(m);
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    cJSON_Delete(m);
    doc_input d = {NULL, text, len, meta, NULL, 0, path};
    rc = cb(ctx, &d);
done:
    free(meta);
    free(text);
    return rc;
}

int doc_read(const char *path, doc_format fmt, doc_callback cb, void *ctx) {
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
    case DOCFMT_SQUAD: return read_squad(path, cb, ctx);
    case DOCFMT_TEXT: return read_text(path, cb, ctx);
    default: return error_set(NEEDLE_EINVAL, "unknown input format %d", (int)fmt);
    }
}
