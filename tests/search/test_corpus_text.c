/* test_corpus_text.c — what counts as a text in each corpus format (corpus_text.h): plain text
 * by non-blank line (Hugging Face datasets' "text" loader), JSON lines' content/text, SQuAD
 * contexts, BEIR title + line break + text; and errors that name the file and line. */
#include "../test.h"
#include "needle/corpus_text.h"
#include "needle/file.h"

#include <stdlib.h>

typedef struct {
    int n;
    char texts[16][256];
    char origins[16][300];
} collected;

static int collect(void *ctx, const char *text, size_t len, const char *origin) {
    collected *c = ctx;
    if (c->n < 16) {
        snprintf(c->texts[c->n], sizeof c->texts[0], "%.*s", (int)len, text);
        snprintf(c->origins[c->n], sizeof c->origins[0], "%s", origin);
    }
    c->n++;
    return 0;
}

static char *write_tmp(const char *name, const char *content) {
    char *p = path_join(test_tmpdir(), name);
    CHECK_OK(file_write_atomic(p, content, strlen(content)));
    return p;
}

TEST(corpus_text_plain_lines) {
    char *p = write_tmp("corpus.txt", "first line\n\n  \t\nsecond line\r\nthird");
    collected c = {0};
    CHECK_OK(corpus_text_read(p, DOCFMT_AUTO, collect, &c));
    CHECK_INT(c.n, 3);
    CHECK_STR(c.texts[0], "first line");
    CHECK_STR(c.texts[1], "second line");
    CHECK_STR(c.texts[2], "third");
    CHECK(strstr(c.origins[1], "corpus.txt:4") != NULL);
    free(p);
}

TEST(corpus_text_jsonl_squad_beir) {
    char *p = write_tmp("docs.jsonl", "{\"content\": \"alpha beta\"}\n\n{\"text\": \"gamma\", \"id\": 7}\n");
    collected c = {0};
    CHECK_OK(corpus_text_read(p, DOCFMT_AUTO, collect, &c));
    CHECK_INT(c.n, 2);
    CHECK_STR(c.texts[0], "alpha beta");
    CHECK_STR(c.texts[1], "gamma");
    free(p);
    memset(&c, 0, sizeof c);
    CHECK_OK(corpus_text_read(FIXTURES "/search/squad_tiny.json", DOCFMT_AUTO, collect, &c));
    CHECK(c.n >= 1);
    CHECK_STR(c.texts[0], "My name is Carla and I live together with Abdul in Berlin");
    memset(&c, 0, sizeof c);
    CHECK_OK(corpus_text_read(FIXTURES "/search/beir-mini", DOCFMT_AUTO, collect, &c));
    CHECK_INT(c.n, 6);
    CHECK_STR(c.texts[0], "Photosynthesis\nPlants convert light into chemical energy in chloroplasts.");
    CHECK(strstr(c.origins[0], "document d1") != NULL);
    /* a title without text, and a text without title, stand alone */
    p = write_tmp("corpus.jsonl", "{\"_id\": \"a\", \"title\": \"Only a title\", \"text\": \"\"}\n"
                                  "{\"_id\": \"b\", \"title\": \"\", \"text\": \"Only text\"}\n"
                                  "{\"_id\": \"c\", \"title\": \"\", \"text\": \"\"}\n");
    memset(&c, 0, sizeof c);
    CHECK_OK(corpus_text_read(p, DOCFMT_BEIR, collect, &c));
    CHECK_INT(c.n, 2);
    CHECK_STR(c.texts[0], "Only a title");
    CHECK_STR(c.texts[1], "Only text");
    free(p);
}

TEST(corpus_text_errors_name_the_place) {
    char *p = write_tmp("bad.jsonl", "{\"content\": \"ok\"}\n{\"content\": 3}\n");
    collected c = {0};
    CHECK_ERR(corpus_text_read(p, DOCFMT_AUTO, collect, &c), NEEDLE_EFORMAT, "bad.jsonl:2");
    free(p);
    p = write_tmp("bad.txt", "fine\n\xff\xfe broken\n");
    CHECK_ERR(corpus_text_read(p, DOCFMT_TEXT, collect, &c), NEEDLE_EFORMAT, "bad.txt");
    free(p);
    CHECK_ERR(corpus_text_read("/nonexistent/x.txt", DOCFMT_TEXT, collect, &c), NEEDLE_ENOTFOUND, "/nonexistent/x.txt");
}
