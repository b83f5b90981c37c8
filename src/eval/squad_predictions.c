/* squad_predictions.c — the two files a SQuAD evaluation reads besides the dataset: predictions
 * {id: text} and no-answer probabilities {id: number}, in and out. Entries keep file order
 * (the threshold search depends on it for ties) and repeated ids are kept as read; the
 * evaluator resolves them the way Python's dict does. Files are written atomically. */
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/squad_eval.h"
#include "needle/utf8.h"

#include <stdlib.h>
#include <string.h>

void squad_predictions_init(squad_predictions *p) { memset(p, 0, sizeof *p); }

void squad_predictions_free(squad_predictions *p) {
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].id);
        free(p->items[i].text);
    }
    free(p->items);
    squad_predictions_init(p);
}

int squad_predictions_add(squad_predictions *p, const char *id, const char *text) {
    int rc = array_grow((void **)&p->items, &p->cap, p->n, sizeof *p->items);
    if (rc) return rc;
    char *i = strdup(id), *t = strdup(text);
    if (!i || !t) {
        free(i);
        free(t);
        return error_set(NEEDLE_ENOMEM, "out of memory adding a prediction");
    }
    p->items[p->n++] = (squad_prediction){i, t};
    return 0;
}

void squad_na_probs_init(squad_na_probs *p) { memset(p, 0, sizeof *p); }

void squad_na_probs_free(squad_na_probs *p) {
    for (size_t i = 0; i < p->n; i++) free(p->items[i].id);
    free(p->items);
    squad_na_probs_init(p);
}

int squad_na_probs_add(squad_na_probs *p, const char *id, double prob) {
    int rc = array_grow((void **)&p->items, &p->cap, p->n, sizeof *p->items);
    if (rc) return rc;
    char *i = strdup(id);
    if (!i) return error_set(NEEDLE_ENOMEM, "out of memory adding a no-answer probability");
    p->items[p->n++] = (squad_na_prob){i, prob};
    return 0;
}

/* Read a JSON object file, checked as UTF-8, whose members the caller visits. */
static int load_object(const char *path, cJSON **root) {
    char *text;
    size_t len;
    *root = NULL;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    rc = utf8_check_text(text, len, path);
    if (!rc) rc = json_parse(text, len, path, root);
    free(text);
    if (!rc && !cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        rc = error_set(NEEDLE_EFORMAT, "%s: expected a JSON object {question id: value}", path);
    }
    return rc;
}

int squad_predictions_load(const char *path, squad_predictions *p) {
    cJSON *root;
    squad_predictions_init(p);
    int rc = load_object(path, &root);
    for (const cJSON *m = root ? root->child : NULL; m && !rc; m = m->next) {
        if (!cJSON_IsString(m))
            rc = error_set(NEEDLE_EFORMAT, "%s: the prediction for \"%s\" should be a string", path, m->string);
        else rc = squad_predictions_add(p, m->string, m->valuestring);
    }
    cJSON_Delete(root);
    if (rc) squad_predictions_free(p);
    return rc;
}

int squad_na_probs_load(const char *path, squad_na_probs *p) {
    cJSON *root;
    squad_na_probs_init(p);
    int rc = load_object(path, &root);
    for (const cJSON *m = root ? root->child : NULL; m && !rc; m = m->next) {
        if (!cJSON_IsNumber(m))
            rc = error_set(NEEDLE_EFORMAT, "%s: the no-answer probability of \"%s\" should be a number", path, m->string);
        else rc = squad_na_probs_add(p, m->string, m->valuedouble);
    }
    cJSON_Delete(root);
    if (rc) squad_na_probs_free(p);
    return rc;
}

/* Write {key(i): value(i)} for i < n atomically; the two file kinds differ only in the value. */
static int write_object(const char *path, const void *items, size_t n, const char *(*key)(const void *, size_t),
                        void (*value)(jsonw *, const void *, size_t)) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jsonw_key(&w, key(items, i));
        value(&w, items, i);
    }
    jsonw_object_end(&w);
    int rc = w.err ? error_set(w.err, "%s: out of memory serialising", path) : strbuf_putc(&sb, '\n');
    if (!rc) rc = file_write_atomic(path, sb.data, sb.len);
    strbuf_free(&sb);
    return rc;
}

static const char *prediction_id(const void *items, size_t i) { return ((const squad_prediction *)items)[i].id; }
static void prediction_text(jsonw *w, const void *items, size_t i) { jsonw_string(w, ((const squad_prediction *)items)[i].text); }
static const char *na_prob_id(const void *items, size_t i) { return ((const squad_na_prob *)items)[i].id; }
static void na_prob_value(jsonw *w, const void *items, size_t i) { jsonw_double(w, ((const squad_na_prob *)items)[i].prob); }

int squad_predictions_write(const squad_predictions *p, const char *path) {
    return write_object(path, p->items, p->n, prediction_id, prediction_text);
}

int squad_na_probs_write(const squad_na_probs *p, const char *path) {
    return write_object(path, p->items, p->n, na_prob_id, na_prob_value);
}
