/* squad_slice.c — SQuAD data cut down to the passages of a document store (see squad_slice.h).
 *
 * Each context is preprocessed exactly as `needle index` preprocesses it (preprocess_document
 * with the same options), and each answer is placed with preprocess_locate — the function
 * ingest.c uses to attach gold labels to passages — so a sliced question's paragraph is the
 * very passage the store holds and its label names. */
#include "needle/squad_slice.h"
#include "needle/error.h"
#include "needle/utf8.h"

#include <stdlib.h>
#include <string.h>

/* Where one answer of a question lies: passage pi, code points [ps, pe) of its content. */
typedef struct {
    size_t pi, ps, pe;
} spot;

static int locate(const passage_list *pl, const squad_paragraph *para, const squad_answer *a, spot *s) {
    if (!a->located || a->start < 0) return NEEDLE_EINVAL;
    size_t start = (size_t)a->start, len = utf8_char_count(a->text, strlen(a->text));
    return preprocess_locate(pl, para->context, para->context_bytes, start, start + len, &s->pi, &s->ps, &s->pe);
}

static int add_answer(squad_dataset *out, const passage *p, const spot *s) {
    size_t bs = utf8_byte_offset(p->content, p->len, s->ps), be = utf8_byte_offset(p->content, p->len, s->pe);
    char *text = strndup(p->content + bs, be - bs);
    if (!text) return error_set(NEEDLE_ENOMEM, "out of memory slicing SQuAD data");
    int rc = squad_add_answer(out, text, (long long)s->ps, 0);
    free(text);
    return rc;
}

/* One paragraph: its questions' passages, then one output paragraph per passage used. */
static int slice_paragraph(const squad_dataset *in, size_t pa, const preprocess_opts *pre, squad_dataset *out,
                           int *article_open, squad_slice_stats *st) {
    const squad_paragraph *para = &in->paragraphs[pa];
    passage_list pl;
    int rc = preprocess_document(pre, para->context, para->context_bytes, &pl);
    if (rc) return rc;
    spot *where = calloc(para->n_questions ? para->n_questions : 1, sizeof *where);
    int *ok = calloc(para->n_questions ? para->n_questions : 1, sizeof *ok);
    if (!where || !ok) rc = error_set(NEEDLE_ENOMEM, "out of memory slicing SQuAD data");
    for (size_t k = 0; k < para->n_questions && !rc; k++) {
        const squad_question *q = &in->questions[para->first_question + k];
        st->questions++;
        if (q->is_impossible || !q->n_answers) {
            st->impossible++;
            continue;
        }
        int located = 0, placed = 0;
        for (size_t a = 0; a < q->n_answers && !placed && !rc; a++) {
            int lrc = locate(&pl, para, &in->answers[q->first_answer + a], &where[k]);
            if (lrc == NEEDLE_EINVAL) continue;
            located = 1;
            if (lrc == NEEDLE_ENOTFOUND) continue;
            if (lrc) rc = lrc;
            else placed = 1;
        }
        if (!placed) {
            if (!located) st->unlocated++;
            else st->crossing++;
            continue;
        }
        ok[k] = 1;
    }
    for (size_t pi = 0; pi < pl.n && !rc; pi++) {
        int opened = 0;
        for (size_t k = 0; k < para->n_questions && !rc; k++) {
            if (!ok[k] || where[k].pi != pi) continue;
            const squad_question *q = &in->questions[para->first_question + k];
            if (!*article_open && !(rc = squad_add_article(out, in->articles[para->article].title))) *article_open = 1;
            if (!rc && !opened && !(rc = squad_add_paragraph(out, pl.items[pi].content))) {
                opened = 1;
                st->passages++;
            }
            if (!rc) rc = squad_add_question(out, q->id, q->question, 0);
            if (!rc) rc = add_answer(out, &pl.items[pi], &where[k]);
            /* the question's other answers, when they lie in the same passage */
            int first = 1;
            for (size_t a = 0; a < q->n_answers && !rc; a++) {
                spot s;
                int lrc = locate(&pl, para, &in->answers[q->first_answer + a], &s);
                if (lrc == NEEDLE_EINVAL || lrc == NEEDLE_ENOTFOUND) continue;
                if (lrc) rc = lrc;
                else if (first && s.pi == pi && s.ps == where[k].ps && s.pe == where[k].pe) first = 0; /* the one added */
                else if (s.pi == pi) rc = add_answer(out, &pl.items[pi], &s);
                else st->other_answers++;
            }
            if (!rc) st->kept++;
        }
    }
    free(where);
    free(ok);
    passage_list_free(&pl);
    return rc;
}

int squad_slice(const squad_dataset *in, const preprocess_opts *pre, squad_dataset *out, squad_slice_stats *st) {
    memset(st, 0, sizeof *st);
    int rc = 0;
    for (size_t ar = 0; ar < in->n_articles && !rc; ar++) {
        const squad_article *a = &in->articles[ar];
        int article_open = 0;
        for (size_t p = a->first_paragraph; p < a->first_paragraph + a->n_paragraphs && !rc; p++)
            rc = slice_paragraph(in, p, pre, out, &article_open, st);
    }
    out->version = SQUAD_V1;
    return rc;
}
