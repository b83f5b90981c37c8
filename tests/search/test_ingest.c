/* test_ingest.c — SQuAD files through doc_read and ingest_file into a store, as `needle index`
 * does: question ids keep every digit (the ids as written in Haystack's tiny.json, which a
 * double would round to ...128 and ...744), an answer whose answer_start misses its text is
 * dropped by default and moved to where it is with SQUAD_OFFSETS_FIX (positions counted by
 * hand in the fixture's context), and JSON-lines ids above 2^53 survive too. */
#include "../test.h"
#include "needle/docread.h"
#include "needle/file.h"
#include "needle/ingest.h"

#include <stdio.h>
#include <stdlib.h>

/* test_tmpdir() is new for every run, so the store does not exist yet */
static char *fresh_store(const char *name) { return path_join(test_tmpdir(), name); }

static long long count_labels(docstore *ds, const char *filters) {
    long long n = -1;
    if (docstore_labels_count(ds, filters, &n)) test_fail(__FILE__, __LINE__, "counting labels %s", filters);
    return n;
}

TEST(ingest_squad_keeps_64_bit_ids) {
    char *path = fresh_store("squad_ids.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    ingest_opts o;
    ingest_opts_default(&o);
    ingest_stats st = {0};
    CHECK_OK(ingest_file(ds, &o, FIXTURES "/search/squad_tiny.json", DOCFMT_AUTO, &st));
    CHECK_INT(st.documents, 2);
    CHECK_INT(st.labels, 5);
    CHECK_INT(st.answers_dropped, 0);
    CHECK_INT(count_labels(ds, "{\"squad_id\": \"7211011040021040393\"}"), 3);
    CHECK_INT(count_labels(ds, "{\"squad_id\": \"-5782547119306399562\"}"), 2);
    docstore_close(ds);
    free(path);
}

static void ingest_offset_wrong(squad_offsets_mode mode, ingest_stats *st, docstore_label *label, char *answer, size_t cap) {
    char *path = fresh_store(mode == SQUAD_OFFSETS_FIX ? "fix.db" : "keep.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    ingest_opts o;
    ingest_opts_default(&o);
    o.squad_offsets = mode;
    CHECK_OK(ingest_file(ds, &o, FIXTURES "/search/squad_answer_offset_wrong.json", DOCFMT_SQUAD, st));
    docstore_iter *it;
    CHECK_OK(docstore_iter_labels(ds, NULL, &it));
    answer[0] = 0;
    if (docstore_iter_next_label(it, label) == 1) snprintf(answer, cap, "%s", label->answer);
    docstore_iter_free(it);
    docstore_close(ds);
    free(path);
}

TEST(ingest_squad_misplaced_answer_dropped_or_relocated) {
    /* "Berlin has 10 inhabitants.": the file says "10" starts at 0; it is at 11 */
    ingest_stats st = {0};
    docstore_label l;
    char answer[16];
    ingest_offset_wrong(SQUAD_OFFSETS_KEEP, &st, &l, answer, sizeof answer);
    CHECK_INT(st.labels, 0);
    CHECK_INT(st.answers_dropped, 1);
    CHECK_INT(st.answers_moved, 0);
    memset(&st, 0, sizeof st);
    ingest_offset_wrong(SQUAD_OFFSETS_FIX, &st, &l, answer, sizeof answer);
    CHECK_INT(st.labels, 1);
    CHECK_INT(st.answers_dropped, 0);
    CHECK_INT(st.answers_moved, 1);
    CHECK_STR(answer, "10");
    CHECK_INT(l.answer_start, 11);
    CHECK_INT(l.answer_end, 13);
}

typedef struct {
    char ids[128];
    char meta[128];
} seen_docs;

static int note_doc(void *ctx, const doc_input *d) {
    seen_docs *s = ctx;
    size_t n = strlen(s->ids);
    snprintf(s->ids + n, sizeof s->ids - n, "%s;", d->id ? d->id : "-");
    snprintf(s->meta, sizeof s->meta, "%s", d->meta_json);
    return 0;
}

TEST(doc_read_jsonl_ids_keep_every_digit) {
    /* 2^53 + 1 (a double makes it ...992); the meta's own "id" stays a number */
    char *path = path_join(test_tmpdir(), "ids.jsonl");
    const char *text = "{\"id\": 9007199254740993, \"content\": \"a\"}\n{\"_id\": 12, \"text\": \"b\", \"meta\": {\"id\": 5}}\n";
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    seen_docs s = {{0}, {0}};
    CHECK_OK(doc_read(path, DOCFMT_AUTO, NULL, note_doc, &s));
    CHECK_STR(s.ids, "9007199254740993;12;");
    CHECK_STR(s.meta, "{\"id\":5}");
    free(path);
}
