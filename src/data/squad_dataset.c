/* squad_dataset.c — the in-memory SQuAD dataset: building it element by element, freeing it,
 * and the version rule. The reader, the splitter and exporters all build through the same
 * append functions, so the index ranges that tie the four flat arrays together are
 * maintained in one place. */
#include "needle/array.h"
#include "needle/squad.h"
#include "needle/error.h"
#include "needle/utf8.h"
#include "squad_internal.h"

#include <stdlib.h>
#include <string.h>

void squad_dataset_init(squad_dataset *ds) {
    memset(ds, 0, sizeof *ds);
    ds->version = SQUAD_V1;
}

void squad_dataset_free(squad_dataset *ds) {
    for (size_t i = 0; i < ds->n_articles; i++) free(ds->articles[i].title);
    for (size_t i = 0; i < ds->n_paragraphs; i++) {
        free(ds->paragraphs[i].context);
        free(ds->paragraphs[i].id);
    }
    for (size_t i = 0; i < ds->n_questions; i++) {
        free(ds->questions[i].id);
        free(ds->questions[i].question);
    }
    for (size_t i = 0; i < ds->n_answers; i++) free(ds->answers[i].text);
    free(ds->articles);
    free(ds->paragraphs);
    free(ds->questions);
    free(ds->answers);
    free(ds->version_field);
    squad_dataset_init(ds);
}

static int dup(const char *s, char **out) {
    *out = NULL;
    if (!s) return 0;
    *out = strdup(s);
    return *out ? 0 : error_set(NEEDLE_ENOMEM, "out of memory copying a SQuAD string");
}

int squad_add_article(squad_dataset *ds, const char *title) {
    int rc = array_grow((void **)&ds->articles, &ds->cap_articles, ds->n_articles, sizeof *ds->articles);
    if (rc) return rc;
    squad_article *a = &ds->articles[ds->n_articles];
    memset(a, 0, sizeof *a);
    if ((rc = dup(title, &a->title))) return rc;
    a->first_paragraph = ds->n_paragraphs;
    ds->n_articles++;
    return 0;
}

int squad_add_paragraph(squad_dataset *ds, const char *context) {
    if (!ds->n_articles) return error_set(NEEDLE_EINVAL, "squad_add_paragraph: no article to add to");
    if (!context) return error_set(NEEDLE_EINVAL, "squad_add_paragraph: context is NULL");
    int rc = array_grow((void **)&ds->paragraphs, &ds->cap_paragraphs, ds->n_paragraphs, sizeof *ds->paragraphs);
    if (rc) return rc;
    squad_paragraph *p = &ds->paragraphs[ds->n_paragraphs];
    memset(p, 0, sizeof *p);
    if ((rc = dup(context, &p->context))) return rc;
    p->context_bytes = strlen(context);
    p->context_chars = utf8_char_count(context, p->context_bytes);
    p->article = ds->n_articles - 1;
    p->first_question = ds->n_questions;
    ds->articles[ds->n_articles - 1].n_paragraphs++;
    ds->n_paragraphs++;
    return 0;
}

int squad_set_paragraph_id(squad_dataset *ds, const char *id) {
    if (!ds->n_paragraphs) return error_set(NEEDLE_EINVAL, "squad_set_paragraph_id: no paragraph");
    squad_paragraph *p = &ds->paragraphs[ds->n_paragraphs - 1];
    char *copy;
    int rc = dup(id, &copy);
    if (rc) return rc;
    free(p->id);
    p->id = copy;
    return 0;
}

int squad_add_question(squad_dataset *ds, const char *id, const char *question, int is_impossible) {
    if (!ds->n_paragraphs) return error_set(NEEDLE_EINVAL, "squad_add_question: no paragraph to add to");
    if (!id || !question) return error_set(NEEDLE_EINVAL, "squad_add_question: id or question is NULL");
    int rc = array_grow((void **)&ds->questions, &ds->cap_questions, ds->n_questions, sizeof *ds->questions);
    if (rc) return rc;
    squad_question *q = &ds->questions[ds->n_questions];
    memset(q, 0, sizeof *q);
    if ((rc = dup(id, &q->id)) || (rc = dup(question, &q->question))) {
        free(q->id);
        return rc;
    }
    q->is_impossible = is_impossible != 0;
    q->paragraph = ds->n_paragraphs - 1;
    q->first_answer = ds->n_answers;
    ds->paragraphs[ds->n_paragraphs - 1].n_questions++;
    ds->n_questions++;
    return 0;
}

int squad_append_answer(squad_dataset *ds, const char *text, long long start, size_t byte_start,
                        size_t byte_end, int located, int plausible) {
    if (!ds->n_questions) return error_set(NEEDLE_EINVAL, "squad_add_answer: no question to add to");
    if (!text) return error_set(NEEDLE_EINVAL, "squad_add_answer: text is NULL");
    squad_question *q = &ds->questions[ds->n_questions - 1];
    if (!plausible && q->n_plausible)
        return error_set(NEEDLE_EINVAL, "question %s: answers must be added before plausible answers", q->id);
    int rc = array_grow((void **)&ds->answers, &ds->cap_answers, ds->n_answers, sizeof *ds->answers);
    if (rc) return rc;
    squad_answer *a = &ds->answers[ds->n_answers];
    if ((rc = dup(text, &a->text))) return rc;
    a->start = start;
    a->byte_start = byte_start;
    a->byte_end = byte_end;
    a->located = located;
    if (plausible) q->n_plausible++;
    else q->n_answers++;
    ds->n_answers++;
    return 0;
}

int squad_add_answer(squad_dataset *ds, const char *text, long long start, int plausible) {
    if (!ds->n_questions) return error_set(NEEDLE_EINVAL, "squad_add_answer: no question to add to");
    if (!text) return error_set(NEEDLE_EINVAL, "squad_add_answer: text is NULL");
    const squad_paragraph *p = &ds->paragraphs[ds->questions[ds->n_questions - 1].paragraph];
    size_t len = strlen(text), b = 0;
    int located = 0;
    if (start >= 0 && (size_t)start <= p->context_chars) {
        b = utf8_byte_offset(p->context, p->context_bytes, (size_t)start);
        located = len > 0 && b + len <= p->context_bytes && !memcmp(p->context + b, text, len);
    }
    return squad_append_answer(ds, text, start, located ? b : 0, located ? b + len : 0, located, plausible);
}

int squad_version_parse(const char *text) {
    if (!text) return 0;
    if (*text == 'v' || *text == 'V') text++;
    if (text[0] == '1' && (text[1] == 0 || text[1] == '.')) return SQUAD_V1;
    if (text[0] == '2' && (text[1] == 0 || text[1] == '.')) return SQUAD_V2;
    return 0;
}

squad_version squad_detect_version(const squad_dataset *ds) {
    int v = squad_version_parse(ds->version_field);
    if (v) return (squad_version)v;
    for (size_t i = 0; i < ds->n_questions; i++) {
        const squad_question *q = &ds->questions[i];
        if (q->is_impossible || q->n_answers == 0 || q->n_plausible) return SQUAD_V2;
    }
    return SQUAD_V1;
}
