/* squad_split.c — carving a dev split out of a training file (see squad_split in squad.h).
 *
 * Questions about the same text must not fall on both sides, or dev measures memorisation:
 * SQuAD files repeat a title across article entries and the same context across articles
 * (augmented or merged files), so the unit is a connected group of articles linked by a shared
 * title or an identical context (union-find). The shuffle uses the project's seeded xoshiro
 * generator, so a seed names the same split on every machine. */
#define _GNU_SOURCE
#include "needle/error.h"
#include "needle/rng.h"
#include "needle/squad.h"
#include "squad_internal.h"

#include <stdlib.h>
#include <string.h>

static size_t find_root(size_t *parent, size_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void join(size_t *parent, size_t a, size_t b) {
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a < b) parent[b] = a;
    else if (b < a) parent[a] = b;
}

static int by_title(const void *x, const void *y, void *arg) {
    const squad_dataset *ds = arg;
    const char *a = ds->articles[*(const size_t *)x].title, *b = ds->articles[*(const size_t *)y].title;
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int by_context(const void *x, const void *y, void *arg) {
    const squad_dataset *ds = arg;
    return strcmp(ds->paragraphs[*(const size_t *)x].context, ds->paragraphs[*(const size_t *)y].context);
}

/* Union-find over units (articles, or paragraphs when by_paragraph): link units whose items
 * share a title (articles only) or an identical context. */
static int link_units(const squad_dataset *ds, int by_paragraph, size_t *parent, size_t n_units) {
    size_t n = ds->n_articles > ds->n_paragraphs ? ds->n_articles : ds->n_paragraphs;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return error_set(NEEDLE_ENOMEM, "out of memory splitting a SQuAD dataset");
    for (size_t i = 0; i < n_units; i++) parent[i] = i;
    if (!by_paragraph) {
        for (size_t i = 0; i < ds->n_articles; i++) order[i] = i;
        qsort_r(order, ds->n_articles, sizeof *order, by_title, (void *)ds);
        for (size_t i = 1; i < ds->n_articles; i++)
            if (ds->articles[order[i]].title && !by_title(&order[i - 1], &order[i], (void *)ds)) join(parent, order[i - 1], order[i]);
    }
    for (size_t i = 0; i < ds->n_paragraphs; i++) order[i] = i;
    qsort_r(order, ds->n_paragraphs, sizeof *order, by_context, (void *)ds);
    for (size_t i = 1; i < ds->n_paragraphs; i++) {
        if (by_context(&order[i - 1], &order[i], (void *)ds)) continue;
        size_t a = order[i - 1], b = order[i];
        if (!by_paragraph) {
            a = ds->paragraphs[a].article;
            b = ds->paragraphs[b].article;
        }
        join(parent, a, b);
    }
    free(order);
    return 0;
}

static size_t count_groups(size_t *parent, size_t n) {
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) groups += find_root(parent, i) == i;
    return groups;
}

static int copy_question(squad_dataset *dst, const squad_dataset *src, const squad_question *q) {
    int rc = squad_add_question(dst, q->id, q->question, q->is_impossible);
    for (size_t i = 0; !rc && i < q->n_answers + q->n_plausible; i++) {
        const squad_answer *a = &src->answers[q->first_answer + i];
        rc = squad_append_answer(dst, a->text, a->start, a->byte_start, a->byte_end, a->located, i >= q->n_answers);
    }
    return rc;
}

/* Copy paragraph p into dst, opening its article there first when dst's last article is another. */
static int copy_paragraph(squad_dataset *dst, size_t *last_article, const squad_dataset *src, size_t p) {
    const squad_paragraph *par = &src->paragraphs[p];
    int rc = 0;
    if (*last_article != par->article) {
        rc = squad_add_article(dst, src->articles[par->article].title);
        *last_article = par->article;
    }
    if (!rc) rc = squad_add_paragraph(dst, par->context);
    if (!rc && par->id) rc = squad_set_paragraph_id(dst, par->id);
    for (size_t q = par->first_question; !rc && q < par->first_question + par->n_questions; q++)
        rc = copy_question(dst, src, &src->questions[q]);
    return rc;
}

static int start_copy(squad_dataset *dst, const squad_dataset *src) {
    squad_dataset_init(dst);
    dst->version = src->version;
    if (src->version_field && !(dst->version_field = strdup(src->version_field)))
        return error_set(NEEDLE_ENOMEM, "out of memory");
    return 0;
}

int squad_split(const squad_dataset *all, double dev_fraction, uint64_t seed, squad_dataset *train, squad_dataset *dev) {
    squad_dataset_init(train);
    squad_dataset_init(dev);
    if (!(dev_fraction > 0 && dev_fraction < 1))
        return error_set(NEEDLE_EINVAL, "dev fraction must be between 0 and 1 (exclusive), not %g", dev_fraction);
    if (all->n_questions == 0) return error_set(NEEDLE_EINVAL, "cannot split a dataset without questions");
    size_t n_units = all->n_paragraphs > all->n_articles ? all->n_paragraphs : all->n_articles;
    size_t *parent = malloc(n_units * sizeof *parent);
    size_t *questions = calloc(n_units, sizeof *questions);
    int *order = malloc(n_units * sizeof *order);
    unsigned char *to_dev = calloc(n_units, 1);
    int by_paragraph = 0, rc = 0;
    if (!parent || !questions || !order || !to_dev) { rc = error_set(NEEDLE_ENOMEM, "out of memory splitting a SQuAD dataset"); goto done; }
    n_units = all->n_articles;
    if ((rc = link_units(all, 0, parent, n_units))) goto done;
    if (count_groups(parent, n_units) < 2) {
        by_paragraph = 1;
        n_units = all->n_paragraphs;
        if ((rc = link_units(all, 1, parent, n_units))) goto done;
    }
    size_t groups = 0;
    for (size_t u = 0; u < n_units; u++)
        if (find_root(parent, u) == u) order[groups++] = (int)u;
    if (groups < 2) { rc = error_set(NEEDLE_EINVAL, "cannot split: every question is about the same text"); goto done; }
    for (size_t p = 0; p < all->n_paragraphs; p++)
        questions[find_root(parent, by_paragraph ? p : all->paragraphs[p].article)] += all->paragraphs[p].n_questions;

    rng r;
    rng_seed(&r, seed);
    rng_shuffle(&r, order, groups);
    double target = dev_fraction * (double)all->n_questions;
    size_t dev_questions = 0;
    for (size_t g = 0; g + 1 < groups && (double)dev_questions < target; g++) {
        to_dev[order[g]] = 1;
        dev_questions += questions[order[g]];
    }

    if ((rc = start_copy(train, all)) || (rc = start_copy(dev, all))) goto done;
    size_t last_train = (size_t)-1, last_dev = (size_t)-1;
    for (size_t p = 0; p < all->n_paragraphs && !rc; p++) {
        int d = to_dev[find_root(parent, by_paragraph ? p : all->paragraphs[p].article)];
        rc = copy_paragraph(d ? dev : train, d ? &last_dev : &last_train, all, p);
    }
done:
    free(parent);
    free(questions);
    free(order);
    free(to_dev);
    if (rc) {
        squad_dataset_free(train);
        squad_dataset_free(dev);
    }
    return rc;
}
