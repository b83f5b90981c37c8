/* handlers_export.c — GET /export-feedback: the user feedback as a SQuAD 2.0 file that
 * `needle reader train` reads. The conversion (Haystack's rules: which labels become which
 * examples, the context window) is feedback_squad_append, which `needle reader train
 * --from-feedback` runs too; this handler reads the query arguments, runs it on a read-only
 * connection and serialises the result with the SQuAD writer. */
#include "server_internal.h"
#include "needle/error.h"
#include "needle/feedback_squad.h"
#include "needle/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A boolean query argument as FastAPI reads one. */
static int arg_bool(const http_request *req, const char *name, int dflt, int *out, http_response *res) {
    const char *v = http_request_arg(req, name);
    *out = dflt;
    if (!v) return 0;
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) *out = 1;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) *out = 0;
    else {
        http_reply_error(res, 400, "query parameter %s: '%s' is not a boolean", name, v);
        return -1;
    }
    return 0;
}

void handle_export_feedback(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    feedback_squad_opts o = feedback_squad_defaults();
    const char *cs = http_request_arg(req, "context_size");
    if (cs) {
        char *end;
        o.context_size = strtoll(cs, &end, 10);
        if (*end || end == cs || o.context_size < 0) {
            http_reply_error(res, 400, "query parameter context_size: '%s' is not a non-negative integer", cs);
            return;
        }
    }
    if (arg_bool(req, "full_document_context", 1, &o.full_document_context, res) ||
        arg_bool(req, "only_positive_labels", 0, &o.only_positive_labels, res))
        return;
    squad_dataset sq;
    squad_dataset_init(&sq);
    feedback_squad_stats st;
    docstore *ds = NULL;
    int rc = pipeline_reader(a->pipe, &ds);
    if (!rc) rc = feedback_squad_append(ds, &o, &sq, &st);
    pipeline_reader_done(a->pipe, ds);
    strbuf sb;
    strbuf_init(&sb);
    if (!rc) rc = squad_serialize(&sq, SQUAD_V2, &sb);
    squad_dataset_free(&sq);
    if (rc) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
        return;
    }
    log_info("export-feedback: %zu examples written, %zu skipped", st.written, st.skipped);
    http_reply_json(res, 200, &sb);
    http_reply_header(res, "Content-Disposition", "attachment; filename=\"feedback_squad.json\"");
}
