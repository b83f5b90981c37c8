/* covid_qa_prep.c — the COVID-QA files of the MLM evidence run (bench/mlm_evidence.sh).
 *
 * usage: covid_qa_prep COVID_QA_JSON TEST_FRACTION SEED SLICE_CHARS OUT_DIR
 *
 * Splits COVID-QA by paper with squad_split (TEST_FRACTION of the questions to test, papers
 * shuffled by SEED; answers re-located by squad_load's FIX rule) and writes into OUT_DIR:
 *   test.json         the test papers, whole (the reader is evaluated on full papers);
 *   train_full.json   the training papers, whole (the masked-LM corpus takes their text, so
 *                     pre-training never reads a test paper);
 *   train_slices.json each training question with its own slice of its paper: about
 *                     SLICE_CHARS code points holding the answer, the answer's position in
 *                     the slice drawn uniformly (generator seeded with SEED), the slice widened
 *                     to whitespace on both sides. A reader trained on it sees the windows
 *                     that hold the answer and the nearby ones without it (COVID-QA's whole
 *                     papers give ~35 windows per question, too many to train on here).
 * Prints one JSON line with the counts. */
#include "needle/error.h"
#include "needle/rng.h"
#include "needle/squad.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(void) {
    fprintf(stderr, "error: %s\n", error_message());
    return 1;
}

/* Byte offset of code point `cp` in s (s valid UTF-8, as squad_load guarantees). */
static size_t byte_of(const char *s, size_t cp) {
    size_t b = 0;
    for (size_t k = 0; k < cp && s[b]; k++) {
        b++;
        while ((s[b] & 0xC0) == 0x80) b++;
    }
    return b;
}

static int is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

/* One question of `ds` as its own paragraph of `out`, cut to about `width` code points. */
static int add_slice(const squad_dataset *ds, size_t q, long long width, rng *r, squad_dataset *out) {
    const squad_question *qu = &ds->questions[q];
    const squad_paragraph *p = &ds->paragraphs[qu->paragraph];
    const squad_answer *an = NULL;
    for (size_t i = 0; i < qu->n_answers && !an; i++)
        if (ds->answers[qu->first_answer + i].located) an = &ds->answers[qu->first_answer + i];
    if (!an) return 0; /* squad_load dropped the unlocatable ones already */
    long long n = (long long)p->context_chars, s = an->start, e = s; /* answer [s, e) in code points */
    for (const char *c = an->text; *c; c++) e += (*c & 0xC0) != 0x80;
    long long lo = e - width > 0 ? e - width : 0, hi = s < n - width ? s : n - width;
    if (hi < lo) hi = lo;
    long long a = lo + (long long)rng_below(r, (uint64_t)(hi - lo + 1)), b = a + width < n ? a + width : n;
    if (b < e) b = e;
    size_t ba = byte_of(p->context, (size_t)a), bb = byte_of(p->context, (size_t)b);
    while (ba > 0 && !is_space(p->context[ba - 1])) { /* back to the start of a word */
        ba--;
        while (ba > 0 && (p->context[ba] & 0xC0) == 0x80) ba--;
        a--;
    }
    while (p->context[bb] && !is_space(p->context[bb])) bb++; /* on to the end of a word */
    char *slice = strndup(p->context + ba, bb - ba);
    if (!slice) return error_set(NEEDLE_ENOMEM, "out of memory");
    int rc = squad_add_paragraph(out, slice);
    if (!rc) rc = squad_add_question(out, qu->id, qu->question, 0);
    if (!rc) rc = squad_add_answer(out, an->text, s - a, 0);
    free(slice);
    if (!rc && !out->answers[out->n_answers - 1].located)
        rc = error_set(NEEDLE_EINVAL, "question %s: the slice lost its answer", qu->id);
    return rc;
}

static int write_to(const squad_dataset *ds, const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return squad_write(ds, path, SQUAD_V1);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s COVID_QA_JSON TEST_FRACTION SEED SLICE_CHARS OUT_DIR\n", argv[0]);
        return 2;
    }
    double fraction = atof(argv[2]);
    uint64_t seed = strtoull(argv[3], NULL, 10);
    long long width = atoll(argv[4]);
    squad_dataset all, train, test, slices;
    squad_dataset_init(&slices);
    if (squad_load(argv[1], NULL, &all) || squad_split(&all, fraction, seed, &train, &test)) return fail();
    rng r;
    rng_seed(&r, seed);
    for (size_t a = 0; a < train.n_articles; a++) {
        const squad_article *art = &train.articles[a];
        if (squad_add_article(&slices, art->title)) return fail();
        for (size_t k = 0; k < art->n_paragraphs; k++) {
            const squad_paragraph *p = &train.paragraphs[art->first_paragraph + k];
            for (size_t q = 0; q < p->n_questions; q++)
                if (add_slice(&train, p->first_question + q, width, &r, &slices)) return fail();
        }
    }
    if (write_to(&test, argv[5], "test.json") || write_to(&train, argv[5], "train_full.json") ||
        write_to(&slices, argv[5], "train_slices.json"))
        return fail();
    size_t chars = 0;
    for (size_t i = 0; i < slices.n_paragraphs; i++) chars += slices.paragraphs[i].context_chars;
    printf("{\"test_papers\": %zu, \"test_questions\": %zu, \"train_papers\": %zu, \"train_questions\": %zu, "
           "\"slices\": %zu, \"mean_slice_chars\": %.0f}\n",
           test.n_articles, test.n_questions, train.n_articles, train.n_questions, slices.n_questions,
           slices.n_paragraphs ? (double)chars / slices.n_paragraphs : 0.0);
    squad_dataset_free(&all);
    squad_dataset_free(&train);
    squad_dataset_free(&test);
    squad_dataset_free(&slices);
    return 0;
}
