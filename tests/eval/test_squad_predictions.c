/* test_squad_predictions.c — prediction and no-answer probability files: written atomically
 * in order, read back unchanged (cJSON, an independent parser, checks the layout), repeated
 * keys resolved as Python's json.load does, and bad files rejected with the file named. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/squad_eval.h"

#include <stdlib.h>

TEST(squad_predictions_write_and_read_back) {
    squad_predictions p, back;
    squad_na_probs na, na_back;
    squad_predictions_init(&p);
    squad_na_probs_init(&na);
    CHECK_OK(squad_predictions_add(&p, "q2", "Z\xc3\xbcrich \"quoted\""));
    CHECK_OK(squad_predictions_add(&p, "7211011040021040393", ""));
    CHECK_OK(squad_na_probs_add(&na, "q2", 0.1));
    CHECK_OK(squad_na_probs_add(&na, "7211011040021040393", 0.9999999999999999));
    char *pp = path_join(test_tmpdir(), "pred.json"), *np = path_join(test_tmpdir(), "na.json");
    CHECK_OK(squad_predictions_write(&p, pp));
    CHECK_OK(squad_na_probs_write(&na, np));
    cJSON *doc;
    CHECK_OK(json_load_file(pp, &doc));
    CHECK_STR(doc->child->string, "q2");
    CHECK_STR(cJSON_GetObjectItem(doc, "q2")->valuestring, "Z\xc3\xbcrich \"quoted\"");
    cJSON_Delete(doc);
    CHECK_OK(squad_predictions_load(pp, &back));
    CHECK_OK(squad_na_probs_load(np, &na_back));
    CHECK_INT(back.n, 2);
    CHECK_STR(back.items[1].id, "7211011040021040393");
    CHECK_STR(back.items[1].text, "");
    CHECK_INT(na_back.n, 2);
    CHECK(na_back.items[1].prob == 0.9999999999999999);
    CHECK(na_back.items[0].prob == 0.1);
    squad_predictions_free(&back);
    squad_na_probs_free(&na_back);
    squad_predictions_free(&p);
    squad_na_probs_free(&na);
    free(pp);
    free(np);
}

TEST(squad_predictions_repeated_keys_and_bad_files) {
    /* {"a": "x", "b": "y", "a": "z"}: Python keeps "a" first with "z" */
    char *path = path_join(test_tmpdir(), "dup.json");
    const char *text = "{\"a\": \"x\", \"b\": \"y\", \"a\": \"z\"}";
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    squad_predictions p;
    CHECK_OK(squad_predictions_load(path, &p));
    CHECK_INT(p.n, 3); /* kept as read; squad_evaluate resolves repeats (see test_squad_metrics.c) */
    squad_predictions_free(&p);
    text = "[\"not\", \"an object\"]";
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    CHECK_ERR(squad_predictions_load(path, &p), NEEDLE_EFORMAT, "dup.json: expected a JSON object");
    squad_na_probs na;
    text = "{\"a\": \"0.5\"}";
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    CHECK_ERR(squad_na_probs_load(path, &na), NEEDLE_EFORMAT, "the no-answer probability of \"a\" should be a number");
    free(path);
}
