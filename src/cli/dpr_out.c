/* dpr_out.c — the DPR output file of `needle retriever mine` and `retriever pretrain`: records
 * written as they are made, as JSON lines when the name ends in .jsonl or else as one JSON
 * array, through an atomic file, so an interrupted run leaves no partial output. */
#include "cli.h"
#include "needle/error.h"
#include "needle/json.h"

#include <stdio.h>
#include <string.h>

int dpr_out_open(dpr_out *w, const char *path) {
    memset(w, 0, sizeof *w);
    strbuf_init(&w->sb);
    size_t len = strlen(path);
    w->jsonl = len > 6 && !strcmp(path + len - 6, ".jsonl");
    return atomic_file_open(&w->af, path);
}

int dpr_out_record(void *ctx, const dpr_record *r) {
    dpr_out *w = ctx;
    strbuf_clear(&w->sb);
    if (!w->jsonl) strbuf_puts(&w->sb, w->n ? ",\n" : "[\n");
    jsonw j;
    jsonw_init(&j, &w->sb);
    dpr_record_write(&j, r);
    if (w->jsonl) strbuf_putc(&w->sb, '\n');
    if (j.err || !w->sb.data) return error_set(NEEDLE_ENOMEM, "out of memory");
    if (fwrite(w->sb.data, 1, w->sb.len, w->af.fp) != w->sb.len) return error_errno(NEEDLE_EIO, "%s: write failed", w->af.path);
    w->n++;
    return 0;
}

int dpr_out_close(dpr_out *w, int rc) {
    if (!rc && !w->jsonl && fputs(w->n ? "\n]\n" : "[]\n", w->af.fp) < 0) rc = error_errno(NEEDLE_EIO, "%s: write failed", w->af.path);
    if (!rc) rc = atomic_file_commit(&w->af);
    else atomic_file_abort(&w->af);
    strbuf_free(&w->sb);
    return rc;
}
