/* dpr_shuffle.c — the bounded shuffle buffer over a DPR stream (see dpr_data.h).
 *
 * The buffer is filled with the first K records; each draw takes a uniformly random slot and
 * refills it with the stream's next record (or, once the stream has ended, with the last
 * slot). Memory is K records whatever the file's size, and the order depends only on the
 * seed, so replaying a stream from its start reproduces every draw (the retriever task's
 * resume relies on it). */
#include "needle/dpr_data.h"
#include "needle/error.h"
#include "needle/rng.h"

#include <stdlib.h>

struct dpr_shuffle {
    dpr_stream *s;
    dpr_record **buf;
    size_t cap, n;
    int ended, filled;
    rng r;
};

int dpr_shuffle_open(dpr_shuffle **out, const char *path, const dpr_read_opts *o, size_t buffer, uint64_t seed) {
    *out = NULL;
    if (buffer < 1) return error_set(NEEDLE_EINVAL, "the shuffle buffer must hold at least one record");
    dpr_shuffle *sh = calloc(1, sizeof *sh);
    if (!sh || !(sh->buf = malloc(buffer * sizeof *sh->buf))) {
        free(sh);
        return error_set(NEEDLE_ENOMEM, "out of memory for a shuffle buffer of %zu records", buffer);
    }
    sh->cap = buffer;
    rng_seed(&sh->r, seed ^ 0x9E3779B97F4A7C15ULL);
    int rc = dpr_stream_open(&sh->s, path, o, seed);
    if (rc) {
        dpr_shuffle_close(sh);
        return rc;
    }
    *out = sh;
    return 0;
}

/* The stream's next record into slot i, or close the gap when the stream has ended. */
static int refill(dpr_shuffle *sh, size_t i) {
    dpr_record *r = NULL;
    int rc = sh->ended ? 0 : dpr_stream_next(sh->s, &r);
    if (rc < 0) return rc;
    if (rc == 1) {
        sh->buf[i] = r;
        return 0;
    }
    sh->ended = 1;
    sh->buf[i] = sh->buf[--sh->n];
    return 0;
}

int dpr_shuffle_next(dpr_shuffle *sh, dpr_record **rec) {
    *rec = NULL;
    if (!sh->filled) {
        while (!sh->ended && sh->n < sh->cap) {
            dpr_record *r;
            int rc = dpr_stream_next(sh->s, &r);
            if (rc < 0) return rc;
            if (rc == 0) sh->ended = 1;
            else sh->buf[sh->n++] = r;
        }
        sh->filled = 1;
    }
    if (!sh->n) return 0;
    size_t j = (size_t)rng_below(&sh->r, sh->n);
    *rec = sh->buf[j];
    int rc = refill(sh, j);
    if (rc) {
        free(*rec);
        *rec = NULL;
        return rc;
    }
    return 1;
}

void dpr_shuffle_close(dpr_shuffle *sh) {
    if (!sh) return;
    for (size_t i = 0; i < sh->n; i++) free(sh->buf[i]);
    free(sh->buf);
    dpr_stream_close(sh->s);
    free(sh);
}
