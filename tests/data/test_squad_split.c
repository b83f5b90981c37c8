/* test_squad_split.c — the dev split carved from a training file: deterministic for a seed,
 * close to the asked fraction, never the same title or context on both sides, paragraphs as
 * the unit only when there is a single article. */
#include "../test.h"
#include "needle/squad.h"

#include <stdlib.h>

/* Every context of `a` is absent from `b`, and every title of `a` too. */
static int disjoint(const squad_dataset *a, const squad_dataset *b) {
    for (size_t i = 0; i < a->n_paragraphs; i++)
        for (size_t j = 0; j < b->n_paragraphs; j++)
            if (!strcmp(a->paragraphs[i].context, b->paragraphs[j].context)) return 0;
    for (size_t i = 0; i < a->n_articles; i++)
        for (size_t j = 0; j < b->n_articles; j++)
            if (a->articles[i].title && b->articles[j].title && !strcmp(a->articles[i].title, b->articles[j].title))
                return 0;
    return 1;
}

static int same_ids(const squad_dataset *a, const squad_dataset *b) {
    if (a->n_questions != b->n_questions) return 0;
    for (size_t i = 0; i < a->n_questions; i++)
        if (strcmp(a->questions[i].id, b->questions[i].id)) return 0;
    return 1;
}

TEST(squad_split_is_deterministic_and_disjoint) {
    squad_dataset all, train, dev, train2, dev2, train3, dev3;
    CHECK_OK(squad_load("data/covid-qa/200423_covidQA.json", NULL, &all));
    CHECK_OK(squad_split(&all, 0.1, 42, &train, &dev));
    CHECK_OK(squad_split(&all, 0.1, 42, &train2, &dev2));
    CHECK_OK(squad_split(&all, 0.1, 7, &train3, &dev3));
    CHECK_INT(train.n_questions + dev.n_questions, 1380);
    CHECK_INT(train.n_articles + dev.n_articles, 98);
    CHECK(dev.n_questions >= 138);                /* at least the fraction ... */
    CHECK(dev.n_questions < 138 + 60);            /* ... overshooting by less than one paper */
    CHECK(same_ids(&dev, &dev2));
    CHECK(same_ids(&train, &train2));
    CHECK(!same_ids(&dev, &dev3));
    CHECK(disjoint(&train, &dev));
    CHECK_INT(dev.stats.answers_fixed, 0);
    /* the copies keep the re-located spans */
    for (size_t i = 0; i < dev.n_answers; i++) CHECK(dev.answers[i].located);
    /* order is kept: ids of dev appear in the same relative order as in the input */
    size_t k = 0;
    for (size_t i = 0; i < all.n_questions && k < dev.n_questions; i++)
        if (!strcmp(all.questions[i].id, dev.questions[k].id)) k++;
    CHECK_INT(k, dev.n_questions);
    squad_dataset_free(&train); squad_dataset_free(&dev);
    squad_dataset_free(&train2); squad_dataset_free(&dev2);
    squad_dataset_free(&train3); squad_dataset_free(&dev3);
    squad_dataset_free(&all);
}

static void add(squad_dataset *ds, const char *title, const char *context, const char *id) {
    if (title) CHECK_OK(squad_add_article(ds, title));
    CHECK_OK(squad_add_paragraph(ds, context));
    CHECK_OK(squad_add_question(ds, id, "q", 0));
    CHECK_OK(squad_add_answer(ds, context, 0, 0));
}

TEST(squad_split_groups_shared_titles_and_contexts) {
    /* articles A and A' share a title; B and C share a context; D stands alone: three units,
     * {A, A'}, {B, C}, {D}. For every seed, linked articles land on the same side. */
    squad_dataset all, train, dev;
    squad_dataset_init(&all);
    add(&all, "A", "a1", "1");
    add(&all, "B", "shared", "2");
    add(&all, "A", "a2", "3");
    add(&all, "C", "shared", "4");
    add(&all, "D", "d", "5");
    for (uint64_t seed = 0; seed < 20; seed++) {
        CHECK_OK(squad_split(&all, 0.3, seed, &train, &dev));
        CHECK(disjoint(&train, &dev));
        CHECK(dev.n_questions >= 1 && train.n_questions >= 1);
        CHECK_INT(train.n_questions + dev.n_questions, 5);
        squad_dataset_free(&train);
        squad_dataset_free(&dev);
    }
    squad_dataset_free(&all);
}

TEST(squad_split_single_article_falls_back_to_paragraphs) {
    squad_dataset all, train, dev;
    squad_dataset_init(&all);
    add(&all, "Only", "p1", "1");
    add(&all, NULL, "p2", "2");
    add(&all, NULL, "p1", "3"); /* the same text as the first: must stay with it */
    add(&all, NULL, "p3", "4");
    CHECK_OK(squad_split(&all, 0.25, 1, &train, &dev));
    CHECK_INT(train.n_questions + dev.n_questions, 4);
    CHECK(dev.n_questions >= 1);
    int p1_in_dev = 0;
    for (size_t i = 0; i < dev.n_paragraphs; i++) p1_in_dev += !strcmp(dev.paragraphs[i].context, "p1");
    CHECK(p1_in_dev == 0 || p1_in_dev == 2);
    CHECK_STR(dev.articles[0].title, "Only");
    squad_dataset_free(&train);
    squad_dataset_free(&dev);
    squad_dataset_free(&all);
}

TEST(squad_split_rejects_bad_requests) {
    squad_dataset all, train, dev;
    squad_dataset_init(&all);
    add(&all, "Only", "p1", "1");
    add(&all, NULL, "p1", "2");
    CHECK_ERR(squad_split(&all, 0.5, 1, &train, &dev), NEEDLE_EINVAL, "same text");
    CHECK_ERR(squad_split(&all, 1.0, 1, &train, &dev), NEEDLE_EINVAL, "between 0 and 1");
    CHECK_ERR(squad_split(&all, 0.0, 1, &train, &dev), NEEDLE_EINVAL, "between 0 and 1");
    squad_dataset_free(&all);
}
