/* test_server.c — the HTTP API end to end on a live loopback server over a fresh store.
 * References: Haystack 1.x's REST API (rest_api/controller/ files, rest_api/schema.py) for
 * shapes and semantics — eval-feedback's accuracies, export-feedback's SQuAD layout, its
 * exclusion rule and context window arithmetic, worked by hand below — and Lucene's BM25
 * formula computed by hand for the one score checked. */
#include "../test.h"
#include "http_client.h"
#include "needle/json.h"
#include "needle/squad.h"
#include "needle/server.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    pipeline *p;
    server *s;
    int port;
} fixture;

static int fixture_start(fixture *f, const char *name, const char *key) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", test_tmpdir(), name);
    remove(path);
    f->p = NULL;
    f->s = NULL;
    CHECK_OK(pipeline_open_store(&f->p, path));
    if (!f->p) return -1;
    server_config cfg;
    server_config_default(&cfg);
    cfg.port = 0;
    cfg.threads = 2;
    cfg.max_query_bytes = 64;
    cfg.api_key = key;
    CHECK_OK(server_start(&f->s, &cfg, f->p));
    if (!f->s) {
        pipeline_close(f->p);
        return -1;
    }
    f->port = server_port(f->s);
    return 0;
}

static void fixture_stop(fixture *f) {
    CHECK_OK(server_stop(f->s, 5));
    pipeline_close(f->p);
}

/* POST/GET and parse the JSON reply; *status gets the HTTP status. */
static cJSON *call(fixture *f, const char *method, const char *target, const char *body, int *status) {
    test_reply r;
    cJSON *j = NULL;
    *status = 0;
    if (test_http(f->port, method, target, NULL, body, &r)) return NULL;
    *status = r.status;
    if (json_parse(r.body.data ? r.body.data : "", r.body.len, "reply", &j)) j = NULL;
    if (!j) fprintf(stderr, "  unparsable reply (%d): %s\n", r.status, r.body.data ? r.body.data : "");
    test_reply_free(&r);
    return j;
}

static const char *str_at(const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int detail_has(const cJSON *j, const char *needle) {
    const char *d = str_at(j, "detail");
    if (!d || !strstr(d, needle)) {
        fprintf(stderr, "  detail \"%s\" lacks \"%s\"\n", d ? d : "(none)", needle);
        return 0;
    }
    return 1;
}

static const char *DOCS =
    "[{\"content\": \"alpha beta\", \"id\": \"d1\", \"meta\": {\"name\": \"one\", \"year\": 2020}},"
    " {\"content\": \"gamma delta\", \"id\": \"d2\", \"meta\": {\"name\": \"two\", \"year\": 2021}, \"lang\": \"en\"}]";

TEST(server_documents_and_query) {
    fixture f;
    if (fixture_start(&f, "docs", NULL)) return;
    int st;
    cJSON *j = call(&f, "POST", "/documents", DOCS, &st);
    CHECK_INT(st, 200);
    CHECK_INT(cJSON_GetObjectItem(j, "written")->valueint, 2);
    cJSON_Delete(j);

    /* Lucene BM25 by hand: N=2, df(alpha)=1, idf = ln(1 + 1.5/1.5) = ln 2; both documents have
     * 2 terms, so L/avgdl = 1 and norm = 1/k1; tf = 1: score = idf * (1/k1) / (1 + 1/k1)
     * = ln 2 / (k1 + 1) = ln 2 / 1.9. Haystack scales it as expit(score / 8). */
    double raw = log(2.0) / 1.9;
    j = call(&f, "POST", "/query", "{\"query\": \"alpha\", \"params\": {\"Retriever\": {\"top_k\": 5, \"scale_score\": false}}}", &st);
    CHECK_INT(st, 200);
    const cJSON *docs = cJSON_GetObjectItem(j, "documents");
    CHECK_INT(cJSON_GetArraySize(docs), 1);
    CHECK_STR(str_at(cJSON_GetArrayItem(docs, 0), "id"), "d1");
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 0), "score")->valuedouble, raw, 1e-6);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "answers")), 0);
    CHECK_STR(str_at(j, "query"), "alpha");
    cJSON_Delete(j);
    j = call(&f, "POST", "/query", "{\"query\": \"alpha\"}", &st);
    docs = cJSON_GetObjectItem(j, "documents");
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetArrayItem(docs, 0), "score")->valuedouble, 1 / (1 + exp(-raw / 8)), 1e-6);
    cJSON_Delete(j);

    /* Extra document keys go into meta (Haystack's Document.from_dict); filters select on meta. */
    j = call(&f, "POST", "/documents/get_by_filters", "{\"filters\": {\"lang\": \"en\"}}", &st);
    CHECK_INT(st, 200);
    CHECK_INT(cJSON_GetArraySize(j), 1);
    CHECK_STR(str_at(cJSON_GetArrayItem(j, 0), "id"), "d2");
    CHECK(!cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "score"));
    cJSON_Delete(j);
    j = call(&f, "POST", "/documents/get_by_filters", "{\"filters\": {\"year\": {\"$gte\": 2020}}}", &st);
    CHECK_INT(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
    /* A filtered query only sees the allowed documents. */
    j = call(&f, "POST", "/query", "{\"query\": \"alpha gamma\", \"params\": {\"filters\": {\"name\": [\"two\"]}}}", &st);
    docs = cJSON_GetObjectItem(j, "documents");
    CHECK_INT(cJSON_GetArraySize(docs), 1);
    CHECK_STR(str_at(cJSON_GetArrayItem(docs, 0), "id"), "d2");
    cJSON_Delete(j);

    j = call(&f, "POST", "/documents/delete_by_filters", "{\"filters\": {\"name\": \"one\"}}", &st);
    CHECK_INT(st, 200);
    CHECK(cJSON_IsTrue(j));
    cJSON_Delete(j);
    /* The deletion is visible to the next query at once. */
    j = call(&f, "POST", "/query", "{\"query\": \"alpha\"}", &st);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "documents")), 0);
    cJSON_Delete(j);
    j = call(&f, "POST", "/documents/get_by_filters", "{}", &st);
    CHECK_INT(cJSON_GetArraySize(j), 1);
    cJSON_Delete(j);
    fixture_stop(&f);
}

TEST(server_request_errors) {
    fixture f;
    if (fixture_start(&f, "errors", NULL)) return;
    int st;
    cJSON *j = call(&f, "POST", "/query", "{\"query\": \"x\", \"top_k\": 3}", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "unknown field \"top_k\""));
    cJSON_Delete(j);
    j = call(&f, "POST", "/query", "{\"query\": \"this question is far longer than the sixty-four bytes that this server allows\"}", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "longer than the limit of 64"));
    cJSON_Delete(j);
    j = call(&f, "POST", "/query", "{\"query\": \"x\", \"params\": {\"Ranker\": {}}}", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "\"Ranker\""));
    cJSON_Delete(j);
    j = call(&f, "POST", "/query", "{\"query\": \"x\", \"params\": {\"filters\": {\"a\": {\"$regex\": \"b\"}}}}", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "$regex"));
    cJSON_Delete(j);
    j = call(&f, "POST", "/query", "{\"query\": \"  \"}", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "empty"));
    cJSON_Delete(j);
    j = call(&f, "POST", "/documents", "[{\"id\": \"x\"}]", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "documents[0]: field \"content\" is missing"));
    cJSON_Delete(j);
    j = call(&f, "POST", "/documents", "{\"documents\": [{\"content\": \"a\", \"embedding\": [1]}]}", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "embedding"));
    cJSON_Delete(j);
    j = call(&f, "POST", "/documents", "{\"documents\": [], \"duplicate_documents\": \"sometimes\"}", &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "sometimes"));
    cJSON_Delete(j);
    j = call(&f, "POST", "/documents/get_by_filters?index=other", "{}", &st);
    CHECK_INT(st, 400);
    cJSON_Delete(j);
    j = call(&f, "GET", "/query", NULL, &st);
    CHECK_INT(st, 405);
    cJSON_Delete(j);
    j = call(&f, "GET", "/export-feedback?only_positive_labels=perhaps", NULL, &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "perhaps"));
    cJSON_Delete(j);
    fixture_stop(&f);
}

static const char *DOC_JSON = "{\"id\": \"z1\", \"content\": \"Z\xc3\xbcrich lies on Lake Z\xc3\xbcrich, north of the Alps.\", \"meta\": {\"name\": \"zh\"}}";

static cJSON *post_label(fixture *f, const char *answer, int correct_answer, int correct_document, int *st) {
    char body[1024];
    snprintf(body, sizeof body,
             "{\"query\": \"Where is Z\xc3\xbcrich?\", \"document\": %s, %s \"is_correct_answer\": %s, "
             "\"is_correct_document\": %s, \"origin\": \"user-feedback\"}",
             DOC_JSON, answer, correct_answer ? "true" : "false", correct_document ? "true" : "false");
    return call(f, "POST", "/feedback", body, st);
}

TEST(server_feedback_eval_export) {
    fixture f;
    if (fixture_start(&f, "feedback", NULL)) return;
    int st;
    /* Content in code points: "Zürich lies on Lake Zürich, north of the Alps." —
     * "Lake Zürich" starts at 15 and ends at 26; "the Alps" is [37, 45). */
    cJSON *j = post_label(&f, "\"answer\": {\"answer\": \"Lake Z\xc3\xbcrich\", \"offsets_in_document\": [{\"start\": 15, \"end\": 26}]},", 1, 1, &st);
    CHECK_INT(st, 200);
    CHECK_STR(str_at(j, "query"), "Where is Z\xc3\xbcrich?");
    CHECK_STR(str_at(j, "origin"), "user-feedback");
    CHECK(str_at(j, "created_at") != NULL);
    cJSON_Delete(j);
    /* Located from offsets in a context found in the document. */
    j = post_label(&f, "\"answer\": {\"answer\": \"the Alps\", \"context\": \"north of the Alps.\", \"offsets_in_context\": [{\"start\": 9, \"end\": 17}]},", 1, 1, &st);
    CHECK_INT(st, 200);
    const cJSON *off = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "answer"), "offsets_in_document"), 0);
    CHECK_INT(cJSON_GetObjectItem(off, "start")->valueint, 37);
    CHECK_INT(cJSON_GetObjectItem(off, "end")->valueint, 45);
    cJSON_Delete(j);
    j = post_label(&f, "\"answer\": {\"answer\": \"north\"},", 0, 1, &st); /* wrong answer, right document */
    CHECK_INT(st, 200);
    cJSON_Delete(j);
    j = post_label(&f, "\"answer\": null,", 0, 0, &st); /* wrong document */
    CHECK_INT(st, 200);
    cJSON_Delete(j);
    /* Offsets that do not hold the answer, and a correct answer not in the document. */
    j = post_label(&f, "\"answer\": {\"answer\": \"Lake Z\xc3\xbcrich\", \"offsets_in_document\": [{\"start\": 16, \"end\": 27}]},", 1, 1, &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "offsets_in_document [16, 27)"));
    cJSON_Delete(j);
    j = post_label(&f, "\"answer\": {\"answer\": \"Geneva\"},", 1, 1, &st);
    CHECK_INT(st, 400);
    CHECK(detail_has(j, "does not occur"));
    cJSON_Delete(j);
    j = post_label(&f, "\"no_answer\": true, \"answer\": {\"answer\": \"Alps\"},", 0, 0, &st);
    CHECK_INT(st, 400);
    cJSON_Delete(j);

    j = call(&f, "GET", "/feedback", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_INT(cJSON_GetArraySize(j), 4);
    CHECK_STR(str_at(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "document"), "id"), "z1");
    cJSON_Delete(j);

    /* Haystack: accuracy = mean of the flags over user feedback: answers 2/4, documents 3/4. */
    j = call(&f, "POST", "/eval-feedback", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_NEAR(cJSON_GetObjectItem(j, "answer_accuracy")->valuedouble, 0.5, 1e-12);
    CHECK_NEAR(cJSON_GetObjectItem(j, "document_accuracy")->valuedouble, 0.75, 1e-12);
    CHECK_INT(cJSON_GetObjectItem(j, "n_feedback")->valueint, 4);
    cJSON_Delete(j);
    j = call(&f, "POST", "/eval-feedback", "{\"filters\": {\"answer\": \"north\"}}", &st);
    CHECK_NEAR(cJSON_GetObjectItem(j, "answer_accuracy")->valuedouble, 0.0, 1e-12);
    CHECK_INT(cJSON_GetObjectItem(j, "n_feedback")->valueint, 1);
    cJSON_Delete(j);

    /* Export: the wrong-answer-right-document label is left out; the wrong-document one is an
     * impossible question; answer_start counts code points. */
    test_reply r;
    CHECK_OK(test_http(f.port, "GET", "/export-feedback", NULL, NULL, &r));
    CHECK_INT(r.status, 200);
    const char *ctx = "Z\xc3\xbcrich lies on Lake Z\xc3\xbcrich, north of the Alps.";
    char want[4096];
    snprintf(want, sizeof want,
             "{\"version\":\"v2.0\",\"data\":["
             "{\"paragraphs\":[{\"context\":\"%s\",\"id\":\"z1\",\"qas\":[{\"id\":\"1\",\"question\":\"Where is Z\xc3\xbcrich?\","
             "\"answers\":[{\"text\":\"Lake Z\xc3\xbcrich\",\"answer_start\":15}],\"is_impossible\":false}]}]},"
             "{\"paragraphs\":[{\"context\":\"%s\",\"id\":\"z1\",\"qas\":[{\"id\":\"2\",\"question\":\"Where is Z\xc3\xbcrich?\","
             "\"answers\":[{\"text\":\"the Alps\",\"answer_start\":37}],\"is_impossible\":false}]}]},"
             "{\"paragraphs\":[{\"context\":\"%s\",\"id\":\"z1\",\"qas\":[{\"id\":\"4\",\"question\":\"Where is Z\xc3\xbcrich?\","
             "\"answers\":[],\"is_impossible\":true}]}]}]}\n",
             ctx, ctx, ctx);
    CHECK_STR(r.body.data, want);
    /* What the trainer reads: every answer exactly at its offset, nothing re-located or dropped. */
    squad_dataset sq;
    CHECK_OK(squad_parse(r.body.data, r.body.len, "export", NULL, &sq));
    CHECK_INT(sq.version, SQUAD_V2);
    CHECK_INT(sq.n_questions, 3);
    CHECK_INT(sq.stats.answers_exact, 2);
    CHECK_INT(sq.stats.answers_fixed + sq.stats.answers_not_found + sq.stats.questions_dropped, 0);
    CHECK_STR(sq.paragraphs[2].id, "z1");
    CHECK_INT(sq.questions[2].is_impossible, 1);
    squad_dataset_free(&sq);
    test_reply_free(&r);
    /* Haystack's window for context_size 12 and "Lake Zürich" (11) at 15 in 46 code points:
     * add = int(1 / 2) = 0, start = 15, end = min(26, 46) = 26: exactly the answer. For the
     * impossible label (offset 0, empty answer): add = 6, end = 6 + 6 = 12: "Zürich lies ". */
    CHECK_OK(test_http(f.port, "GET", "/export-feedback?full_document_context=false&context_size=12", NULL, NULL, &r));
    cJSON *e = NULL;
    CHECK_OK(json_parse(r.body.data, r.body.len, "export", &e));
    test_reply_free(&r);
    const cJSON *data = cJSON_GetObjectItem(e, "data");
    CHECK_INT(cJSON_GetArraySize(data), 3);
    const cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 0), "paragraphs"), 0);
    CHECK_STR(str_at(p0, "context"), "Lake Z\xc3\xbcrich");
    const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(p0, "qas"), 0), "answers"), 0);
    CHECK_INT(cJSON_GetObjectItem(a0, "answer_start")->valueint, 0);
    const cJSON *p2 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(data, 2), "paragraphs"), 0);
    CHECK_STR(str_at(p2, "context"), "Z\xc3\xbcrich lies ");
    cJSON_Delete(e);
    CHECK_OK(test_http(f.port, "GET", "/export-feedback?only_positive_labels=true", NULL, NULL, &r));
    CHECK_OK(json_parse(r.body.data, r.body.len, "export", &e));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(e, "data")), 2);
    cJSON_Delete(e);
    test_reply_free(&r);

    j = call(&f, "DELETE", "/feedback", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_INT(cJSON_GetObjectItem(j, "deleted")->valueint, 4);
    cJSON_Delete(j);
    j = call(&f, "POST", "/eval-feedback", "{}", &st);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "answer_accuracy")));
    CHECK_INT(cJSON_GetObjectItem(j, "n_feedback")->valueint, 0);
    cJSON_Delete(j);
    fixture_stop(&f);
}

TEST(server_file_upload) {
    fixture f;
    if (fixture_start(&f, "upload", NULL)) return;
    const char *body = "--XbX\r\n"
                       "Content-Disposition: form-data; name=\"meta\"\r\n\r\n{\"source\": \"test\"}\r\n"
                       "--XbX\r\n"
                       "Content-Disposition: form-data; name=\"split_by\"\r\n\r\npassage\r\n"
                       "--XbX\r\n"
                       "Content-Disposition: form-data; name=\"split_length\"\r\n\r\n1\r\n"
                       "--XbX\r\n"
                       "Content-Disposition: form-data; name=\"split_respect_sentence_boundary\"\r\n\r\nfalse\r\n"
                       "--XbX\r\n"
                       "Content-Disposition: form-data; name=\"files\"; filename=\"lyon.md\"\r\n"
                       "Content-Type: text/markdown\r\n\r\n"
                       "# Lyon\n\nLyon lies where the *Rh\xc3\xb4ne* meets the Sa\xc3\xb4ne.\r\n"
                       "--XbX\r\n"
                       "Content-Disposition: form-data; name=\"files\"; filename=\"m.html\"\r\n"
                       "Content-Type: text/html\r\n\r\n"
                       "<h1>Marseille</h1><p>A port &amp; a city.</p>\r\n"
                       "--XbX--\r\n";
    test_reply r;
    CHECK_OK(test_http(f.port, "POST", "/file-upload", "Content-Type: multipart/form-data; boundary=XbX\r\n", body, &r));
    CHECK_INT(r.status, 200);
    cJSON *j = NULL;
    CHECK_OK(json_parse(r.body.data, r.body.len, "upload", &j));
    test_reply_free(&r);
    CHECK_INT(cJSON_GetObjectItem(j, "written")->valueint, 4);
    cJSON_Delete(j);
    int st;
    j = call(&f, "POST", "/documents/get_by_filters", "{\"filters\": {\"name\": \"lyon.md\"}}", &st);
    CHECK_INT(cJSON_GetArraySize(j), 2);
    const cJSON *d1 = cJSON_GetArrayItem(j, 1);
    CHECK_STR(str_at(d1, "content"), "Lyon lies where the Rh\xc3\xb4ne meets the Sa\xc3\xb4ne.");
    const cJSON *meta = cJSON_GetObjectItem(d1, "meta");
    CHECK_STR(str_at(meta, "source"), "test");
    CHECK_INT(cJSON_GetObjectItem(meta, "_split_id")->valueint, 1);
    cJSON_Delete(j);
    j = call(&f, "POST", "/documents/get_by_filters", "{\"filters\": {\"name\": \"m.html\"}}", &st);
    CHECK_INT(cJSON_GetArraySize(j), 2);
    CHECK_STR(str_at(cJSON_GetArrayItem(j, 1), "content"), "A port & a city.");
    cJSON_Delete(j);
    /* One bad file refuses the whole upload: nothing of it lands. */
    const char *bad = "--XbX\r\n"
                      "Content-Disposition: form-data; name=\"files\"; filename=\"ok.txt\"\r\n\r\nfine text\r\n"
                      "--XbX\r\n"
                      "Content-Disposition: form-data; name=\"files\"; filename=\"bad.txt\"\r\n\r\nbad \xff byte\r\n"
                      "--XbX--\r\n";
    CHECK_OK(test_http(f.port, "POST", "/file-upload", "Content-Type: multipart/form-data; boundary=XbX\r\n", bad, &r));
    CHECK_INT(r.status, 400);
    CHECK(strstr(r.body.data, "bad.txt: not valid UTF-8 at byte 4") != NULL);
    test_reply_free(&r);
    j = call(&f, "POST", "/documents/get_by_filters", "{\"filters\": {\"name\": \"ok.txt\"}}", &st);
    CHECK_INT(cJSON_GetArraySize(j), 0);
    cJSON_Delete(j);
    const char *docx = "--XbX\r\n"
                       "Content-Disposition: form-data; name=\"files\"; filename=\"r.docx\"\r\n\r\nPK\r\n--XbX--\r\n";
    CHECK_OK(test_http(f.port, "POST", "/file-upload", "Content-Type: multipart/form-data; boundary=XbX\r\n", docx, &r));
    CHECK_INT(r.status, 415);
    test_reply_free(&r);
    fixture_stop(&f);
}

TEST(server_api_key_and_page) {
    fixture f;
    if (fixture_start(&f, "key", "k3y")) return;
    test_reply r;
    CHECK_OK(test_http(f.port, "POST", "/query", NULL, "{\"query\": \"x\"}", &r));
    CHECK_INT(r.status, 401);
    test_reply_free(&r);
    CHECK_OK(test_http(f.port, "POST", "/query", "Authorization: Bearer k3y\r\n", "{\"query\": \"x\"}", &r));
    CHECK_INT(r.status, 200);
    test_reply_free(&r);
    CHECK_OK(test_http(f.port, "GET", "/feedback", "X-API-Key: k3y\r\n", NULL, &r));
    CHECK_INT(r.status, 200);
    test_reply_free(&r);
    /* The page and /health need no key. */
    char h[128];
    CHECK_OK(test_http(f.port, "GET", "/", NULL, NULL, &r));
    CHECK_INT(r.status, 200);
    CHECK_STR(test_reply_header(&r, "Content-Type", h, sizeof h), "text/html; charset=utf-8");
    CHECK(strstr(r.body.data, "<script src=\"app.js\"") != NULL);
    test_reply_free(&r);
    CHECK_OK(test_http(f.port, "GET", "/app.js", NULL, NULL, &r));
    CHECK_INT(r.status, 200);
    CHECK(strstr(r.body.data, "function cpToUnit") != NULL);
    test_reply_free(&r);
    int st;
    cJSON *j = call(&f, "GET", "/health", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_STR(str_at(j, "status"), "ok");
    CHECK_INT(cJSON_GetObjectItem(j, "documents")->valueint, 0);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "memory"), "rss_mb")));
    cJSON_Delete(j);
    fixture_stop(&f);
}
