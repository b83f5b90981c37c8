/* ingest.c — from doc_input to stored passages and labels (see ingest.h).
 *
 * A passage is stored under its content hash (Haystack's id), except that a document kept
 * whole (split none) keeps its own id when it has one, so BEIR corpora keep their ids for
 * evaluation. Every passage names its source (the document's id, or the hash of its original
 * text) and its [start, end) in code points of that original. SQuAD answers come checked
 * against their context by the SQuAD reader (squad.h), which also re-locates misplaced ones
 * when asked (SQUAD_OFFSETS_FIX): one rule for the code base. An answer whose answer_start
 * misses its text is otherwise not used, as Haystack's add_eval_data does. Each answer is then
 * located inside a passage; one a passage boundary cuts is dropped and counted, as Haystack
 * does. */
#include "needle/error.h"
#include "needle/ingest.h"
#include "needle/log.h"
#include "needle/murmur3.h"
#include "needle/progress.h"
#include "needle/utf8.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

void ingest_opts_default(ingest_opts *o) {
    preprocess_opts_default(&o->pre);
    o->dup = DOCSTORE_DUP_SKIP;
    o->squad_offsets = SQUAD_OFFSETS_KEEP;
}

/* meta_json with "page": page added (a new string), for documents made of pages. */
static char *meta_with_page(const char *meta_json, int page) {
    cJSON *m = cJSON_Parse(meta_json ? meta_json : "{}");
    if (!m) return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(m, "page");
    char *out = cJSON_AddNumberToObject(m, "page", page) ? cJSON_PrintUnformatted(m) : NULL;
    cJSON_Delete(m);
    return out;
}

static int add_labels(docstore *ds, const doc_input *d, const passage_list *pl, ingest_stats *st) {
    int rc = 0;
    for (size_t q = 0; q < d->n_questions && !rc; q++) {
        const doc_question *dq = &d->questions[q];
        cJSON *m = cJSON_CreateObject();
        char *meta = m && cJSON_AddStringToObject(m, "squad_id", dq->id) ? cJSON_PrintUnformatted(m) : NULL;
        cJSON_Delete(m);
        if (!meta) return error_set(NEEDLE_ENOMEM, "%s: out of memory", d->origin);
        docstore_label l;
        docstore_label_init(&l);
        l.question = dq->question;
        l.origin = DOCSTORE_ORIGIN_GOLD;
        l.is_correct_answer = l.is_correct_document = 1;
        l.meta_json = meta;
        if (dq->is_impossible) {
            l.no_answer = 1;
            l.answer = "";
            l.document_id = pl->n ? pl->items[0].id : NULL;
            if (!(rc = docstore_labels_add(ds, &l, 1, NULL))) st->labels++;
        }
        for (size_t k = 0; k < dq->n_answers && !dq->is_impossible && !rc; k++) {
            const doc_answer *a = &dq->answers[k];
            if (!a->located) {
                log_debug("%s: question %s: answer '%s' is not at its answer_start %lld; dropped", d->origin, dq->id, a->text, a->start);
                st->answers_dropped++;
                continue;
            }
            size_t s = (size_t)a->start, len_chars = utf8_char_count(a->text, strlen(a->text)), pi, ps, pe;
            int lrc = preprocess_locate(pl, d->content, d->len, s, s + len_chars, &pi, &ps, &pe);
            if (lrc == NEEDLE_ENOTFOUND) {
                st->answers_dropped++;
                continue;
            }
            if (lrc) { rc = error_prefix(lrc, "%s: question %s: ", d->origin, dq->id); break; }
            const passage *p = &pl->items[pi];
            size_t bs = utf8_byte_offset(p->content, p->len, ps), be = utf8_byte_offset(p->content, p->len, pe);
            char *answer = strndup(p->content + bs, be - bs);
            if (!answer) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); break; }
            l.answer = answer;
            l.answer_start = (long long)ps;
            l.answer_end = (long long)pe;
            l.document_id = p->id;
            if (!(rc = docstore_labels_add(ds, &l, 1, NULL))) st->labels++;
            free(answer);
        }
        free(meta);
    }
    return rc;
}

int ingest_document(docstore *ds, const ingest_opts *o, const doc_input *d, ingest_stats *st) {
    passage_list pl;
    int rc = preprocess_document(&o->pre, d->content, d->len, &pl);
    if (rc) return error_prefix(rc, "%s: ", d->origin);
    st->documents++;
    st->passages += pl.n;
    st->empty += pl.n == 0;
    char source[33];
    if (!d->id) murmur3_hex_id(d->content, d->len, source);
    const char *source_id = d->id ? d->id : source;
    int paged = memchr(d->content, '\f', d->len) != NULL;
    docstore_doc *docs = calloc(pl.n ? pl.n : 1, sizeof *docs);
    char **metas = calloc(pl.n ? pl.n : 1, sizeof *metas);
    if (!docs || !metas) { rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", d->origin); goto done; }
    for (size_t i = 0; i < pl.n; i++) {
        const passage *p = &pl.items[i];
        docstore_doc_init(&docs[i]);
        docs[i].id = o->pre.split_by == SPLIT_NONE && d->id ? d->id : p->id;
        docs[i].content = p->content;
        docs[i].meta_json = d->meta_json;
        if (paged) {
            if (!(metas[i] = meta_with_page(d->meta_json, p->page))) { rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", d->origin); goto done; }
            docs[i].meta_json = metas[i];
        }
        docs[i].source_id = source_id;
        docs[i].source_start = (long long)p->char_start;
        docs[i].source_end = (long long)p->char_end;
        docs[i].split_index = p->split_index;
    }
    size_t added = 0;
    if ((rc = docstore_add(ds, docs, pl.n, o->dup, &added))) { rc = error_prefix(rc, "%s: ", d->origin); goto done; }
    st->added += added;
    rc = add_labels(ds, d, &pl, st);
done:
    for (size_t i = 0; metas && i < pl.n; i++) free(metas[i]);
    free(metas);
    free(docs);
    passage_list_free(&pl);
    return rc;
}

typedef struct {
    docstore *ds;
    const ingest_opts *o;
    ingest_stats *st;
    progress p;
} file_ctx;

static int on_document(void *ctx, const doc_input *d) {
    file_ctx *fc = ctx;
    int rc = ingest_document(fc->ds, fc->o, d, fc->st);
    if (!rc && fc->st->documents % 1000 == 0) {
        char status[64];
        snprintf(status, sizeof status, "%zu passages", fc->st->passages);
        progress_update(&fc->p, fc->st->documents, status);
    }
    return rc;
}

int ingest_file(docstore *ds, const ingest_opts *o, const char *path, doc_format fmt, ingest_stats *st) {
    file_ctx fc = {ds, o, st, {{0}, 0, 0, 0, 0, 0}};
    squad_load_stats squad;
    doc_read_opts ro = {o->squad_offsets, &squad};
    progress_start(&fc.p, "indexing documents", 0);
    int rc = doc_read(path, fmt, &ro, on_document, &fc);
    if (o->squad_offsets == SQUAD_OFFSETS_FIX) {
        /* what the reader moved or dropped before ingest saw the answers */
        st->answers_moved += squad.answers_fixed;
        st->answers_dropped += squad.answers_not_found + squad.answers_empty;
    }
    char status[64];
    snprintf(status, sizeof status, "%zu passages", st->passages);
    progress_update(&fc.p, st->documents, status);
    progress_finish(&fc.p, status);
    return rc;
}
