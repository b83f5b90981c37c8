/* squad_slices.c — a SQuAD training file with each question given its own slice of its
 * context around the answer, for training a reader on very long contexts in bounded time
 * (bench/mlm_evidence.sh, on COVID-QA's whole papers).
 *
 * usage: squad_slices SQUAD_JSON SLICE_CHARS SEED OUT_JSON
 *
 * Answers are re-located by squad_load's FIX rule. Each answerable question becomes one
 * paragraph (under its article's title): about SLICE_CHARS code points of its context holding
 * its first answer, the answer's position in the slice drawn uniformly (generator seeded with
 * SEED), the slice widened to whitespace on both sides. A reader trained on the result sees
 * the windows that hold the answer and the nearby ones without it, rather than all of a
 * paper's ~35 windows per question. Prints one JSON line with the counts. */
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

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s SQUAD_JSON SLICE_CHARS SEED OUT_JSON\n", argv[0]);
        return 2;
    }
    long long width = atoll(argv[2]);
    uint64_t seed = strtoull(argv[3], NULL, 10);
    squad_dataset in, slices;
    squad_dataset_init(&slices);
    if (width < 1) {
        fprintf(stderr, "error: SLICE_CHARS must be positive\n");
        return 2;
    }
    if (squad_load(argv[1], NULL, &in)) return fail();
    rng r;
    rng_seed(&r, seed);
    for (size_t a = 0; a < in.n_articles; a++) {
        const squad_article *art = &in.articles[a];
        if (squad_add_article(&slices, art->title)) return fail();
        for (size_t k = 0; k < art->n_paragraphs; k++) {
            const squad_paragraph *p = &in.paragraphs[art->first_paragraph + k];
            for (size_t q = 0; q < p->n_questions; q++)
                if (add_slice(&in, p->first_question + q, width, &r, &slices)) return fail();
        }
    }
    if (squad_write(&slices, argv[4], SQUAD_V1)) return fail();
    size_t chars = 0;
    for (size_t i = 0; i < slices.n_paragraphs; i++) chars += slices.paragraphs[i].context_chars;
    printf("{\"questions\": %zu, \"slices\": %zu, \"mean_slice_chars\": %.0f}\n", in.n_questions,
           slices.n_questions, slices.n_paragraphs ? (double)chars / slices.n_paragraphs : 0.0);
    squad_dataset_free(&in);
    squad_dataset_free(&slices);
    return 0;
}
