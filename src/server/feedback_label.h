/* feedback_label.h — Haystack 1.x labels (user feedback) to and from the store's labels: the
 * checks a posted label must pass, the answer span it is stored with, and the Label JSON that
 * GET /feedback returns. Shared by the feedback and export handlers. */
#ifndef NEEDLE_SERVER_FEEDBACK_LABEL_H
#define NEEDLE_SERVER_FEEDBACK_LABEL_H

#include <cJSON.h>

#include "needle/docstore.h"
#include "needle/json.h"

typedef struct {
    docstore_label label; /* its strings point into the parsed body and into meta_json */
    char *meta_json;      /* owned: the user's meta plus the reserved "_label" record */
    char doc_id[33];      /* the content hash, when the document came without an id */
} feedback_label;

/* Check a CreateLabelSerialized object and turn it into a store label. Errors are
 * NEEDLE_EFORMAT / NEEDLE_EINVAL with a message naming the field ("feedback: answer: ..."). */
int feedback_label_parse(const cJSON *body, feedback_label *out);
void feedback_label_free(feedback_label *fl);

/* Write a stored label as Haystack's Label JSON. */
void feedback_label_write(jsonw *w, const docstore_label *l);

/* The document content the label was given with (from "_label"), malloc'ed; NULL when the
 * label has none (then the caller falls back to the store's document). */
char *feedback_label_document_content(const docstore_label *l);

#endif
