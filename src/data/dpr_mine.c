/* dpr_mine.c — DPR records with BM25- or dense-mined hard negatives (see dpr_mine.h), and the
 * mining loop that pretrain_mine.c shares (dpr_mine_internal.h).
 *
 * Both sources reduce to one loop: a table of passages (id, title, text), the questions with
 * their positive rows, answers and excluded rows, and a searcher over the table (a BM25 index
 * built in a temporary file, searched on all cores with one searcher per thread; or the
 * passages embedded once by the dense retriever and searched exactly). Questions are searched
 * in blocks, and each question's candidates are filtered in rank order. Paragraph texts are
 * SQuAD-normalised once, on first use, for the answer check. */
#include "dpr_mine_internal.h"
#include "needle/beir.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/retrieval_eval.h"
#include "needle/squad_eval.h"
#include "needle/strtab.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUESTION_BLOCK 512

void dpr_mine_opts_default(dpr_mine_opts *o) {
    memset(o, 0, sizeof *o);
    o->num_hard_negatives = 10;
    o->candidates = 100;
    o->batch = 32;
    o->k1 = 0.9;
    o->b = 0.4;
}

int dpr_text_has_answer(const char *text, const char *answer) {
    size_t n = strlen(answer);
    if (!n) return 0;
    for (const char *p = strstr(text, answer); p; p = strstr(p + 1, answer))
        if ((p == text || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
    return 0;
}

/* ---------------------------------------------------------------- passages and searching */

void mine_passages_free(mine_passages *p) {
    for (size_t i = 0; p->normalized && i < p->n; i++) free(p->normalized[i]);
    free(p->normalized);
    bm25_index_close(p->ix);
    dense_corpus_free(&p->dc);
}

static const char *normalized_text(mine_passages *p, size_t row) {
    if (!p->normalized[row]) {
        strbuf sb;
        strbuf_init(&sb);
        if (squad_normalize(p->texts[row], strlen(p->texts[row]), &sb) || !sb.data) {
            strbuf_free(&sb);
            return "";
        }
        p->normalized[row] = strbuf_detach(&sb);
    }
    return p->normalized[row];
}

/* BM25 over title + " " + text, in a temporary index file. */
static int build_bm25(mine_passages *p) {
    const char *field = "contents";
    bm25_builder *bb;
    int rc = bm25_builder_new(&bb, 1, &field);
    if (rc) return rc;
    strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < p->n && !rc; i++) {
        strbuf_clear(&sb);
        if (p->titles[i][0]) strbuf_printf(&sb, "%s ", p->titles[i]);
        strbuf_puts(&sb, p->texts[i]);
        const char *text = sb.data ? sb.data : "";
        rc = bm25_builder_add(bb, p->ids[i], &text);
    }
    strbuf_free(&sb);
    char tmp[512];
    const char *dir = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/needle-mine-%ld.idx", dir && *dir ? dir : "/tmp", (long)getpid());
    if (!rc) rc = bm25_builder_write(bb, tmp);
    bm25_builder_free(bb);
    if (!rc) rc = bm25_index_open(&p->ix, tmp);
    unlink(tmp); /* the mapping stays valid until closed */
    return rc;
}

int mine_prepare(mine_passages *p, const dpr_mine_opts *o) {
    p->o = o;
    p->normalized = calloc(p->n + 1, sizeof *p->normalized);
    if (!p->normalized) return error_set(NEEDLE_ENOMEM, "out of memory");
    dense_corpus_init(&p->dc);
    if (!o->dense) return build_bm25(p);
    dense_corpus_free(&p->dc);
    return dense_corpus_embed(&p->dc, o->dense, p->n, p->ids, p->titles, p->texts, o->batch);
}

/* The best k rows for each of nq questions (rows [nq, k], -1 past the results). */
static int search_block(mine_passages *p, size_t nq, const char *const *questions, int k, int64_t *rows, float *scores) {
    if (p->o->dense) return dense_search(p->o->dense, &p->dc, nq, questions, k, p->o->batch, rows, scores);
    int rc = 0;
#pragma omp parallel
    {
        bm25_searcher *s = NULL;
        bm25_hit *hits = malloc((size_t)k * sizeof *hits);
        int my = hits ? bm25_searcher_new(&s, p->ix) : error_set(NEEDLE_ENOMEM, "out of memory");
        bm25_query_opts qo;
        bm25_query_opts_default(&qo);
        qo.k1 = p->o->k1;
        qo.b = p->o->b;
#pragma omp for schedule(dynamic, 8)
        for (size_t q = 0; q < nq; q++) {
            size_t n = 0;
            if (!my) my = bm25_search(s, questions[q], (size_t)k, &qo, hits, &n);
            for (int r = 0; r < k; r++) {
                rows[q * k + r] = (size_t)r < n && !my ? (int64_t)hits[r].doc : -1;
                scores[q * k + r] = (size_t)r < n && !my ? hits[r].score : -INFINITY;
            }
        }
#pragma omp critical
        if (my && !rc) rc = my;
        bm25_searcher_free(s);
        free(hits);
    }
    /* a worker's message stays in its thread: say what failed here */
    return rc ? error_set(rc, "mining: searching the BM25 index failed (%s)", error_name(rc)) : 0;
}

/* ---------------------------------------------------------------- questions */

/* Filter one question's candidates and emit its record. */
static int emit_question(mine_passages *p, const mine_question *q, const int64_t *rows, const float *scores, int k,
                         dpr_mine_fn fn, void *ctx, dpr_mine_stats *st) {
    const dpr_mine_opts *o = p->o;
    char **norm_ans = calloc((size_t)(q->n_answers ? q->n_answers : 1), sizeof *norm_ans);
    dpr_passage *pos = malloc((size_t)(q->n_pos ? q->n_pos : 1) * sizeof *pos),
                *neg = malloc((size_t)(o->num_hard_negatives ? o->num_hard_negatives : 1) * sizeof *neg);
    int rc = norm_ans && pos && neg ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    for (int a = 0; a < q->n_answers && !rc; a++) {
        strbuf sb;
        strbuf_init(&sb);
        if ((rc = squad_normalize(q->answers[a], strlen(q->answers[a]), &sb))) break;
        norm_ans[a] = sb.data ? strbuf_detach(&sb) : NULL;
    }
    int n_pos = q->made_pos ? 1 : q->n_pos;
    if (q->made_pos && !rc) pos[0] = *q->made_pos;
    for (int i = 0; i < q->n_pos && !q->made_pos && !rc; i++)
        pos[i] = (dpr_passage){p->titles[q->pos_rows[i]], p->texts[q->pos_rows[i]], p->ids[q->pos_rows[i]], NAN};
    int nn = 0;
    for (int r = 0; r < k && nn < o->num_hard_negatives && !rc; r++) {
        int64_t row = rows[r];
        if (row < 0) break;
        int skip = q->own_id && !strcmp(p->ids[row], q->own_id);
        for (int i = 0; i < q->n_pos && !skip; i++) skip = q->pos_rows[i] == row;
        if (skip) {
            st->relevant_hits++;
            continue;
        }
        int has = 0;
        for (int a = 0; a < q->n_answers && !has; a++) has = norm_ans[a] && dpr_text_has_answer(normalized_text(p, (size_t)row), norm_ans[a]);
        if (has) {
            st->answer_hits++;
            continue;
        }
        neg[nn++] = (dpr_passage){p->titles[row], p->texts[row], p->ids[row], scores[r]};
    }
    dpr_record *rec = NULL;
    const dpr_passage *ctx3[DPR_KINDS] = {pos, neg, NULL};
    int counts[DPR_KINDS] = {n_pos, nn, 0};
    if (!rc) rc = dpr_record_build(q->text, q->answers, q->n_answers, ctx3, counts, &rec);
    if (!rc) rc = fn(ctx, rec);
    if (!rc) {
        st->records++;
        st->negatives += (size_t)nn;
    }
    free(rec);
    for (int a = 0; norm_ans && a < q->n_answers; a++) free(norm_ans[a]);
    free(norm_ans);
    free(pos);
    free(neg);
    return rc;
}

int mine_questions(mine_passages *p, size_t nq, const mine_question *qs, dpr_mine_fn fn, void *ctx, dpr_mine_stats *st,
                   int own_bar) {
    int k = p->o->candidates < (int)p->n ? p->o->candidates : (int)p->n;
    int64_t *rows = malloc((size_t)QUESTION_BLOCK * k * sizeof *rows);
    float *scores = malloc((size_t)QUESTION_BLOCK * k * sizeof *scores);
    const char **texts = malloc(QUESTION_BLOCK * sizeof *texts);
    int rc = rows && scores && texts ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    progress bar;
    if (own_bar) progress_start(&bar, "mine", nq);
    for (size_t first = 0; first < nq && !rc; first += QUESTION_BLOCK) {
        size_t nb = nq - first < QUESTION_BLOCK ? nq - first : QUESTION_BLOCK;
        for (size_t i = 0; i < nb; i++) texts[i] = qs[first + i].text;
        if ((rc = search_block(p, nb, texts, k, rows, scores))) break;
        for (size_t i = 0; i < nb && !rc; i++)
            rc = emit_question(p, &qs[first + i], rows + i * k, scores + i * k, k, fn, ctx, st);
        if (own_bar) progress_update(&bar, first + nb, NULL);
    }
    if (own_bar) progress_finish(&bar, NULL);
    free(rows);
    free(scores);
    free(texts);
    return rc;
}

/* ---------------------------------------------------------------- SQuAD */

int dpr_mine_squad(const squad_dataset *ds, const dpr_mine_opts *o, dpr_mine_fn fn, void *ctx, dpr_mine_stats *st) {
    memset(st, 0, sizeof *st);
    mine_passages p = {0};
    p.n = ds->n_paragraphs;
    p.ids = malloc((p.n + 1) * sizeof *p.ids);
    p.titles = malloc((p.n + 1) * sizeof *p.titles);
    p.texts = malloc((p.n + 1) * sizeof *p.texts);
    char *id_text = malloc((p.n + 1) * 24);
    mine_question *qs = calloc(ds->n_questions + 1, sizeof *qs);
    int64_t *pos_rows = malloc((ds->n_questions + 1) * sizeof *pos_rows);
    const char **answers = malloc((ds->n_answers + 1) * sizeof *answers);
    int rc = p.ids && p.titles && p.texts && id_text && qs && pos_rows && answers ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    for (size_t i = 0; i < p.n && !rc; i++) {
        const squad_article *a = &ds->articles[ds->paragraphs[i].article];
        snprintf(id_text + i * 24, 24, "%zu", i);
        p.ids[i] = id_text + i * 24;
        p.titles[i] = a->title ? a->title : "";
        p.texts[i] = ds->paragraphs[i].context;
    }
    for (size_t i = 0; i < ds->n_answers && !rc; i++) answers[i] = ds->answers[i].text;
    size_t nq = 0;
    for (size_t i = 0; i < ds->n_questions && !rc; i++) {
        const squad_question *q = &ds->questions[i];
        st->questions++;
        if (q->is_impossible || !q->n_answers) {
            st->skipped++;
            continue;
        }
        pos_rows[nq] = (int64_t)q->paragraph;
        qs[nq] = (mine_question){q->question, answers + q->first_answer, (int)q->n_answers, &pos_rows[nq], 1, NULL, NULL};
        nq++;
    }
    if (!rc) rc = mine_prepare(&p, o);
    if (!rc) rc = mine_questions(&p, nq, qs, fn, ctx, st, 1);
    mine_passages_free(&p);
    free(p.ids);
    free(p.titles);
    free(p.texts);
    free(id_text);
    free(qs);
    free(pos_rows);
    free(answers);
    return rc;
}

/* ---------------------------------------------------------------- BEIR */

void mine_corpus_init(mine_corpus *c) {
    memset(c, 0, sizeof *c);
    strtab_init(&c->ids);
}

int mine_corpus_add(void *ctx, const char *id, const char *title, const char *text) {
    mine_corpus *c = ctx;
    uint32_t row;
    int added;
    int rc = strtab_intern(&c->ids, id, strlen(id), &row, &added);
    if (rc) return rc;
    if (!added) return error_set(NEEDLE_EFORMAT, "corpus: document id '%s' appears twice", id);
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 1024;
        char **t = realloc(c->titles, nc * sizeof *t);
        if (t) c->titles = t;
        char **x = realloc(c->texts, nc * sizeof *x);
        if (x) c->texts = x;
        if (!t || !x) return error_set(NEEDLE_ENOMEM, "out of memory reading the corpus");
        c->cap = nc;
    }
    c->titles[c->n] = strdup(title);
    c->texts[c->n] = strdup(text);
    c->n++;
    return c->titles[c->n - 1] && c->texts[c->n - 1] ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
}

void mine_corpus_free(mine_corpus *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->titles[i]);
        free(c->texts[i]);
    }
    free(c->titles);
    free(c->texts);
    strtab_free(&c->ids);
}

int mine_corpus_table(const mine_corpus *c, mine_passages *p) {
    p->n = c->n;
    p->ids = malloc((c->n + 1) * sizeof *p->ids);
    p->titles = (const char **)c->titles, p->texts = (const char **)c->texts;
    if (!p->ids) return error_set(NEEDLE_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n; i++) p->ids[i] = strtab_str(&c->ids, (uint32_t)i);
    return 0;
}

int dpr_mine_beir(const char *corpus, const char *queries, const trec_qrels *qrels, const dpr_mine_opts *o, dpr_mine_fn fn,
                  void *ctx, dpr_mine_stats *st) {
    memset(st, 0, sizeof *st);
    mine_corpus c;
    mine_corpus_init(&c);
    beir_query *bq = NULL;
    size_t n_bq = 0, nq = 0, n_rows = 0;
    mine_passages p = {0};
    mine_question *qs = NULL;
    int64_t *rows = NULL;
    int32_t *qidx = NULL;
    int rc = beir_corpus_read(corpus, mine_corpus_add, &c);
    if (!rc) rc = beir_queries_read(queries, &bq, &n_bq);
    if (!rc) rc = mine_corpus_table(&c, &p);
    if (rc) goto done;
    size_t judged = 0;
    for (uint32_t q = 0; q < qrels->qids.count; q++) judged += qrels->q[q].n;
    qs = calloc(qrels->qids.count + 1, sizeof *qs);
    rows = malloc((judged + 1) * sizeof *rows);
    qidx = malloc((qrels->qids.count + 1) * sizeof *qidx);
    if (!qs || !rows || !qidx) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t q = 0; q < qrels->qids.count; q++) qidx[q] = -1;
    for (size_t i = 0; i < n_bq; i++) {
        uint32_t q;
        if (strtab_find(&qrels->qids, bq[i].id, strlen(bq[i].id), &q)) qidx[q] = (int32_t)i;
    }
    for (uint32_t q = 0; q < qrels->qids.count && !rc; q++) {
        const trec_qrels_query *jq = &qrels->q[q];
        int64_t *first = rows + n_rows;
        int np = 0;
        st->questions++;
        for (size_t j = 0; j < jq->n && !rc; j++) {
            if (jq->j[j].rel < 1) continue;
            const char *doc = strtab_str(&qrels->docs, jq->j[j].doc);
            uint32_t row;
            if (!strtab_find(&c.ids, doc, strlen(doc), &row))
                rc = error_set(NEEDLE_ENOTFOUND, "%s: document '%s' (judged relevant to query '%s') is not in the corpus", corpus,
                               doc, strtab_str(&qrels->qids, q));
            else first[np++] = row;
        }
        if (rc) break;
        if (!np) {
            st->skipped++;
            continue;
        }
        if (qidx[q] < 0) {
            rc = error_set(NEEDLE_ENOTFOUND, "%s: query '%s' of the qrels is not in this file", queries, strtab_str(&qrels->qids, q));
            break;
        }
        n_rows += (size_t)np;
        qs[nq++] = (mine_question){bq[qidx[q]].text, NULL, 0, first, np, bq[qidx[q]].id, NULL};
    }
    if (!rc) rc = mine_prepare(&p, o);
    if (!rc) rc = mine_questions(&p, nq, qs, fn, ctx, st, 1);
done:
    mine_passages_free(&p);
    free(p.ids);
    free(qs);
    free(rows);
    free(qidx);
    beir_queries_free(bq, n_bq);
    mine_corpus_free(&c);
    return rc;
}
