/* squad_read.c — reading SQuAD JSON (v1.1, v2.0 and the variants users have) into a
 * squad_dataset, checking every answer span against its context (see squad.h for the rules).
 *
 * The file is validated as UTF-8 first, so a bad byte is reported with its line and column
 * rather than surfacing later as a wrong offset. Integer question ids are turned into strings
 * (json_quote_integers) before cJSON sees them, because cJSON keeps numbers only as doubles and
 * real files have 64-bit ids (Haystack's samples: 7211011040021040393) that a double would
 * round; prediction files key them by their exact decimal text. */
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/squad.h"
#include "needle/utf8.h"
#include "squad_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One answer as read, before it is checked against the context. */
typedef struct {
    const char *text;
    long long start;
    int plausible;
} raw_answer;

typedef struct {
    raw_answer *items;
    size_t n, cap;
} raw_answers;

static int raw_push(raw_answers *r, const char *text, long long start, int plausible) {
    int rc = array_grow((void **)&r->items, &r->cap, r->n, sizeof *r->items);
    if (rc) return rc;
    r->items[r->n++] = (raw_answer){text, start, plausible};
    return 0;
}

/* Collect the answers of field `key` ("answers" or "plausible_answers"): a list of
 * {text, answer_start}, or Hugging Face datasets' {"text": [...], "answer_start": [...]}. */
static int read_answer_list(const cJSON *qa, const char *key, const char *where, int plausible, raw_answers *out) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(qa, key);
    if (!list || cJSON_IsNull(list)) return 0;
    if (cJSON_IsObject(list)) {
        const cJSON *texts = cJSON_GetObjectItemCaseSensitive(list, "text");
        const cJSON *starts = cJSON_GetObjectItemCaseSensitive(list, "answer_start");
        if (!cJSON_IsArray(texts) || (starts && !cJSON_IsArray(starts)) ||
            (starts && cJSON_GetArraySize(starts) != cJSON_GetArraySize(texts)))
            return error_set(NEEDLE_EFORMAT, "%s: \"%s\" as an object needs a \"text\" list and an \"answer_start\" list of the same length",
                             where, key);
        const cJSON *s = starts ? starts->child : NULL;
        for (const cJSON *t = texts->child; t; t = t->next, s = s ? s->next : NULL) {
            if (!cJSON_IsString(t) || (s && !cJSON_IsNumber(s)))
                return error_set(NEEDLE_EFORMAT, "%s: \"%s\" holds a text that is not a string or a start that is not a number", where, key);
            int rc = raw_push(out, t->valuestring, s ? (long long)s->valuedouble : -1, plausible);
            if (rc) return rc;
        }
        return 0;
    }
    if (!cJSON_IsArray(list)) return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" should be a list", where, key);
    int k = 0;
    for (const cJSON *a = list->child; a; a = a->next, k++) {
        char origin[600];
        snprintf(origin, sizeof origin, "%s.%s[%d]", where, key, k);
        if (!cJSON_IsObject(a)) return error_set(NEEDLE_EFORMAT, "%s: should be an object", origin);
        const char *text;
        long long start;
        int rc = json_get_string(a, "text", origin, &text);
        if (!rc) rc = json_opt_int(a, "answer_start", origin, -1, &start);
        if (!rc) rc = raw_push(out, text, start, plausible);
        if (rc) return rc;
    }
    return 0;
}

/* is_impossible as true/false (or 0/1, which some exporters write). */
static int read_impossible(const cJSON *qa, const char *where, int *known, int *value) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(qa, "is_impossible");
    *known = 1;
    if (!v || cJSON_IsNull(v)) { *known = 0; *value = 0; return 0; }
    if (cJSON_IsBool(v)) { *value = cJSON_IsTrue(v); return 0; }
    if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) { *value = v->valuedouble != 0; return 0; }
    return error_set(NEEDLE_EFORMAT, "%s: field \"is_impossible\" should be true or false", where);
}

typedef struct {
    squad_dataset *ds;
    squad_offsets_mode mode;
    squad_offsets offsets;
    raw_answers raw;
    int v2_content; /* a question is impossible, has no answers or has plausible_answers */
} reader;

/* Check one answer against the context, count what was found and append it (or drop it). */
static int add_checked_answer(reader *r, const squad_paragraph *p, const raw_answer *a) {
    squad_load_stats *st = &r->ds->stats;
    size_t len = strlen(a->text);
    if (len == 0) {
        st->answers_empty++;
        return r->mode == SQUAD_OFFSETS_KEEP ? squad_append_answer(r->ds, a->text, a->start, 0, 0, 0, a->plausible) : 0;
    }
    if (a->start >= 0 && (size_t)a->start <= r->offsets.chars) {
        size_t b = squad_offsets_byte(&r->offsets, (size_t)a->start);
        if (b + len <= p->context_bytes && !memcmp(p->context + b, a->text, len)) {
            st->answers_exact++;
            return squad_append_answer(r->ds, a->text, a->start, b, b + len, 1, a->plausible);
        }
    }
    size_t c;
    if (!squad_offsets_find(&r->offsets, p->context, a->text, len, a->start, &c)) {
        st->answers_not_found++;
        return r->mode == SQUAD_OFFSETS_KEEP ? squad_append_answer(r->ds, a->text, a->start, 0, 0, 0, a->plausible) : 0;
    }
    if (a->start < 0) st->answers_no_start++;
    else st->answers_fixed++;
    if (r->mode == SQUAD_OFFSETS_KEEP) return squad_append_answer(r->ds, a->text, a->start, 0, 0, 0, a->plausible);
    size_t b = squad_offsets_byte(&r->offsets, c);
    return squad_append_answer(r->ds, a->text, (long long)c, b, b + len, 1, a->plausible);
}

static int read_question(reader *r, const cJSON *qa, const char *where) {
    if (!cJSON_IsObject(qa)) return error_set(NEEDLE_EFORMAT, "%s: should be an object", where);
    const char *id, *question;
    int rc = json_opt_id(qa, "id", where, &id);
    if (rc) return rc;
    if (!id) return error_set(NEEDLE_EFORMAT, "%s: missing field \"id\"", where);
    if ((rc = json_get_string(qa, "question", where, &question))) return rc;
    int known = 0, impossible = 0;
    if ((rc = read_impossible(qa, where, &known, &impossible))) return rc;
    r->raw.n = 0;
    if ((rc = read_answer_list(qa, "answers", where, 0, &r->raw))) return rc;
    size_t n_gold = r->raw.n;
    if ((rc = read_answer_list(qa, "plausible_answers", where, 1, &r->raw))) return rc;
    if (!known) impossible = n_gold == 0;
    if (impossible || n_gold == 0 || cJSON_GetObjectItemCaseSensitive(qa, "plausible_answers")) r->v2_content = 1;

    squad_dataset *ds = r->ds;
    const squad_paragraph *p = &ds->paragraphs[ds->n_paragraphs - 1];
    size_t answers_before = ds->n_answers;
    if ((rc = squad_add_question(ds, id, question, impossible))) return rc;
    for (size_t i = 0; i < r->raw.n; i++)
        if ((rc = add_checked_answer(r, p, &r->raw.items[i]))) return rc;
    squad_question *q = &ds->questions[ds->n_questions - 1];
    if (r->mode == SQUAD_OFFSETS_FIX && !impossible && q->n_answers == 0) {
        /* an answerable question with nothing to learn from: take it back out */
        for (size_t i = answers_before; i < ds->n_answers; i++) free(ds->answers[i].text);
        ds->n_answers = answers_before;
        free(q->id);
        free(q->question);
        ds->n_questions--;
        ds->paragraphs[ds->n_paragraphs - 1].n_questions--;
        ds->stats.questions_dropped++;
    }
    return 0;
}

static int read_paragraph(reader *r, const cJSON *par, const char *where) {
    if (!cJSON_IsObject(par)) return error_set(NEEDLE_EFORMAT, "%s: should be an object", where);
    const char *context;
    int rc = json_get_string(par, "context", where, &context);
    if (rc) return rc;
    if ((rc = squad_add_paragraph(r->ds, context))) return rc;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(par, "id");
    if (cJSON_IsString(id) && (rc = squad_set_paragraph_id(r->ds, id->valuestring))) return rc;
    const squad_paragraph *p = &r->ds->paragraphs[r->ds->n_paragraphs - 1];
    if ((rc = squad_offsets_build(&r->offsets, p->context, p->context_bytes))) return rc;
    const cJSON *qas = cJSON_GetObjectItemCaseSensitive(par, "qas");
    if (!qas || cJSON_IsNull(qas)) return 0;
    if (!cJSON_IsArray(qas)) return error_set(NEEDLE_EFORMAT, "%s: field \"qas\" should be a list", where);
    int k = 0;
    for (const cJSON *qa = qas->child; qa; qa = qa->next, k++) {
        char origin[560];
        snprintf(origin, sizeof origin, "%s.qas[%d]", where, k);
        if ((rc = read_question(r, qa, origin))) return rc;
    }
    return 0;
}

static int read_article(reader *r, const cJSON *art, const char *where) {
    if (!cJSON_IsObject(art)) return error_set(NEEDLE_EFORMAT, "%s: should be an object", where);
    const char *title;
    int rc = json_opt_string(art, "title", where, NULL, &title);
    if (rc) return rc;
    const cJSON *pars = cJSON_GetObjectItemCaseSensitive(art, "paragraphs");
    if (!cJSON_IsArray(pars)) return error_set(NEEDLE_EFORMAT, "%s: field \"paragraphs\" should be a list", where);
    if ((rc = squad_add_article(r->ds, title))) return rc;
    int k = 0;
    for (const cJSON *par = pars->child; par; par = par->next, k++) {
        char origin[520];
        snprintf(origin, sizeof origin, "%s.paragraphs[%d]", where, k);
        if ((rc = read_paragraph(r, par, origin))) return rc;
    }
    return 0;
}

static int compare_ids(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int count_duplicate_ids(squad_dataset *ds) {
    if (ds->n_questions < 2) return 0;
    char **ids = malloc(ds->n_questions * sizeof *ids);
    if (!ids) return error_set(NEEDLE_ENOMEM, "out of memory checking question ids");
    for (size_t i = 0; i < ds->n_questions; i++) ids[i] = ds->questions[i].id;
    qsort(ids, ds->n_questions, sizeof *ids, compare_ids);
    for (size_t i = 1; i < ds->n_questions; i++)
        if (!strcmp(ids[i], ids[i - 1])) ds->stats.duplicate_ids++;
    free(ids);
    return 0;
}

/* One line: what was read, then every repair or loss that happened (a warning if any). */
static void log_summary(const squad_dataset *ds, const char *origin, squad_offsets_mode mode) {
    const squad_load_stats *st = &ds->stats;
    size_t impossible = 0;
    for (size_t i = 0; i < ds->n_questions; i++) impossible += ds->questions[i].is_impossible;
    strbuf sb;
    strbuf_init(&sb);
    const char *fate = mode == SQUAD_OFFSETS_FIX ? "dropped" : "kept as is";
    if (st->answers_fixed)
        strbuf_printf(&sb, "; %zu answers whose answer_start missed their text %s", st->answers_fixed,
                      mode == SQUAD_OFFSETS_FIX ? "re-located to the nearest occurrence" : "(offsets kept as is)");
    if (st->answers_no_start) strbuf_printf(&sb, "; %zu answers without answer_start located", st->answers_no_start);
    if (st->answers_not_found) strbuf_printf(&sb, "; %zu answers not in their context %s", st->answers_not_found, fate);
    if (st->answers_empty) strbuf_printf(&sb, "; %zu empty answers %s", st->answers_empty, fate);
    if (st->questions_dropped)
        strbuf_printf(&sb, "; %zu answerable questions left without answers dropped", st->questions_dropped);
    if (st->duplicate_ids) strbuf_printf(&sb, "; %zu questions repeat an earlier id", st->duplicate_ids);
    log_message(sb.len ? LOG_WARN : LOG_INFO, "%s: SQuAD v%s, %zu articles, %zu paragraphs, %zu questions (%zu impossible), %zu answers%s",
                origin, ds->version == SQUAD_V2 ? "2.0" : "1.1", ds->n_articles, ds->n_paragraphs, ds->n_questions,
                impossible, ds->n_answers, sb.data ? sb.data : "");
    strbuf_free(&sb);
}

static int read_document(reader *r, const cJSON *root, const char *origin, int forced_version) {
    const cJSON *data = root;
    int rc;
    if (cJSON_IsObject(root)) {
        data = cJSON_GetObjectItemCaseSensitive(root, "data");
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
        if (cJSON_IsString(ver) || cJSON_IsNumber(ver)) {
            char num[32];
            if (cJSON_IsNumber(ver)) snprintf(num, sizeof num, "%g", ver->valuedouble);
            r->ds->version_field = strdup(cJSON_IsString(ver) ? ver->valuestring : num);
            if (!r->ds->version_field) return error_set(NEEDLE_ENOMEM, "out of memory");
        }
    }
    if (!cJSON_IsArray(data))
        return error_set(NEEDLE_EFORMAT, "%s: not a SQuAD file: expected an object with a \"data\" list of articles", origin);
    int k = 0;
    for (const cJSON *art = data->child; art; art = art->next, k++) {
        char where[480];
        snprintf(where, sizeof where, "%.400s: data[%d]", origin, k);
        if ((rc = read_article(r, art, where))) return rc;
    }
    if (r->ds->version_field && !squad_version_parse(r->ds->version_field))
        log_warn("%s: unknown SQuAD version \"%s\"; deciding by the content", origin, r->ds->version_field);
    /* decided on the file's content, before FIX mode dropped anything */
    int from_field = squad_version_parse(r->ds->version_field);
    r->ds->version = forced_version ? (squad_version)forced_version
                     : from_field  ? (squad_version)from_field
                     : r->v2_content ? SQUAD_V2 : SQUAD_V1;
    return count_duplicate_ids(r->ds);
}

int squad_parse(const char *text, size_t len, const char *origin, const squad_load_opts *opts, squad_dataset *ds) {
    static const char *const id_keys[] = {"id", NULL};
    squad_load_opts defaults = {SQUAD_OFFSETS_FIX, 0};
    if (!opts) opts = &defaults;
    if (opts->version != 0 && opts->version != SQUAD_V1 && opts->version != SQUAD_V2)
        return error_set(NEEDLE_EINVAL, "%s: SQuAD version must be 1 or 2, not %d", origin, opts->version);
    squad_dataset_init(ds);
    reader r = {ds, opts->offsets, {0}, {0}, 0};
    char *quoted = NULL;
    size_t quoted_len = 0;
    cJSON *root = NULL;
    int rc = utf8_check_text(text, len, origin);
    if (!rc) rc = json_quote_integers(text, len, id_keys, 0, &quoted, &quoted_len);
    if (!rc) rc = json_parse(quoted ? quoted : text, quoted ? quoted_len : len, origin, &root);
    free(quoted);
    if (!rc) rc = read_document(&r, root, origin, opts->version);
    cJSON_Delete(root);
    squad_offsets_free(&r.offsets);
    free(r.raw.items);
    if (rc) {
        squad_dataset_free(ds);
        return rc;
    }
    log_summary(ds, origin, opts->offsets);
    return 0;
}

int squad_load(const char *path, const squad_load_opts *opts, squad_dataset *ds) {
    char *text;
    size_t len;
    squad_dataset_init(ds);
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    rc = squad_parse(text, len, path, opts, ds);
    free(text);
    return rc;
}
