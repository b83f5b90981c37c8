/* model_run.c — one evaluation-mode pass of a model directory over a batch stored in a
 * safetensors file, with the outputs written under Hugging Face's names (the engine of
 * `needle model run`): hidden_states.<i>, last_hidden_state, pooler_output, the head's
 * logits, the loss when labels are present, and optionally grad.<parameter> for all
 * parameters. Outputs point into the model's buffers; nothing is copied before writing. */
#include "needle/error.h"
#include "needle/kernels.h"
#include "needle/model.h"
#include "needle/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    st_entry *e;
    char **names;
    int n, cap;
} outputs;

static int out_add(outputs *o, const char *name, int ndim, const int64_t *shape, const float *data) {
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 64;
        st_entry *e = realloc(o->e, (size_t)cap * sizeof *e);
        if (e) o->e = e;
        char **nm = realloc(o->names, (size_t)cap * sizeof *nm);
        if (nm) o->names = nm;
        if (!e || !nm) return error_set(NEEDLE_ENOMEM, "out of memory");
        o->cap = cap;
    }
    if (!(o->names[o->n] = strdup(name))) return error_set(NEEDLE_ENOMEM, "out of memory");
    st_entry *e = &o->e[o->n];
    memset(e, 0, sizeof *e);
    e->name = o->names[o->n];
    e->dtype = ST_F32;
    e->ndim = ndim;
    for (int i = 0; i < ndim; i++) e->shape[i] = shape[i];
    e->data = data;
    o->n++;
    return 0;
}

static void out_free(outputs *o) {
    for (int i = 0; i < o->n; i++) free(o->names[i]);
    free(o->names);
    free(o->e);
}

/* An optional integer tensor of exactly `numel` elements (NULL when absent). */
static int read_ints(const safetensors *st, const char *path, const char *name, size_t numel, int32_t **out) {
    *out = NULL;
    const st_tensor *t = safetensors_find(st, name);
    if (!t) return 0;
    if (t->numel != numel)
        return error_set(NEEDLE_EFORMAT, "%s: tensor '%s' has %zu elements, expected %zu", path, name, t->numel, numel);
    if (!(*out = malloc(numel * sizeof **out))) return error_set(NEEDLE_ENOMEM, "out of memory");
    return safetensors_read_i32(st, t, *out);
}

static int check_labels(const int32_t *y, size_t n, int K, const char *path, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (y[i] != -100 && (y[i] < 0 || y[i] >= K))
            return error_set(NEEDLE_EINVAL, "%s: tensor '%s': label %d at index %zu is outside [0, %d) and not -100", path, name, y[i], i, K);
    return 0;
}

/* The head's loss and its gradient into dl (NULL loss when no labels were given). */
static int head_loss(model *m, const safetensors *st, const char *path, float *dl, float *loss, int *have) {
    const model_config *c = &m->cfg;
    int B = m->B, T = m->T, rc = 0;
    int32_t *a = NULL, *b = NULL;
    float *f = NULL;
    *have = 0;
    if (c->head == MODEL_HEAD_SPAN) {
        rc = read_ints(st, path, "start_positions", (size_t)B, &a);
        if (!rc) rc = read_ints(st, path, "end_positions", (size_t)B, &b);
        if (!rc && a && b) {
            *loss = span_loss(dl, model_logits(m), a, b, B, T);
            *have = 1;
        }
    } else if (c->head == MODEL_HEAD_MLM) {
        rc = read_ints(st, path, "labels", (size_t)B * T, &a);
        if (!rc && a) rc = check_labels(a, (size_t)B * T, c->V, path, "labels");
        if (!rc && a) {
            *loss = xent_loss(dl, model_logits(m), a, B * T, c->V);
            *have = 1;
        }
    } else if (c->head == MODEL_HEAD_CLS && safetensors_find(st, "labels")) {
        const st_tensor *t = safetensors_find(st, "labels");
        if (t->numel != (size_t)B) return error_set(NEEDLE_EFORMAT, "%s: tensor 'labels' should hold %d labels", path, B);
        if (c->num_labels == 1) {
            if (!(f = malloc((size_t)B * sizeof *f)) || !(a = malloc((size_t)B * sizeof *a))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
            else if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64) rc = safetensors_read_f32(st, t, f);
            else if (!(rc = safetensors_read_i32(st, t, a)))
                for (int i = 0; i < B; i++) f[i] = (float)a[i];
            if (!rc) *loss = mse_loss(dl, model_logits(m), f, B), *have = 1;
        } else {
            rc = read_ints(st, path, "labels", (size_t)B, &a);
            if (!rc) rc = check_labels(a, (size_t)B, c->num_labels, path, "labels");
            if (!rc) *loss = xent_loss(dl, model_logits(m), a, B, c->num_labels), *have = 1;
        }
    }
    free(a);
    free(b);
    free(f);
    return rc;
}

int model_run_file(const char *dir, const char *in_path, const char *out_path, int want_grad) {
    model m;
    safetensors st;
    outputs o = {0};
    int32_t *ids = NULL, *mask = NULL, *tt = NULL;
    float *dl = NULL, loss = 0.0f;
    int rc = model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0);
    if (rc) return rc;
    rc = safetensors_open(&st, in_path);
    if (rc) { model_free(&m); return rc; }
    const st_tensor *t = safetensors_find(&st, "input_ids");
    if (!t || t->ndim != 2) {
        rc = error_set(NEEDLE_EFORMAT, "%s: needs a 2-d tensor 'input_ids' [batch, length]", in_path);
        goto done;
    }
    int B = (int)t->shape[0], T = (int)t->shape[1];
    size_t N = (size_t)B * T;
    rc = read_ints(&st, in_path, "input_ids", N, &ids);
    if (!rc) rc = read_ints(&st, in_path, "attention_mask", N, &mask);
    if (!rc) rc = read_ints(&st, in_path, "token_type_ids", N, &tt);
    if (!rc) rc = model_alloc(&m, B, T, MODEL_TRAIN);
    model_batch batch = {.B = B, .T = T, .input_ids = ids, .token_type_ids = tt, .attention_mask = mask};
    if (!rc) rc = model_forward(&m, &batch, NULL);
    if (rc) goto done;
    const model_config *c = &m.cfg;
    char name[176];
    for (int l = 0; l <= c->L && !rc; l++) {
        snprintf(name, sizeof name, "hidden_states.%d", l);
        rc = out_add(&o, name, 3, (int64_t[]){B, T, c->C}, model_hidden(&m, l));
    }
    if (!rc) rc = out_add(&o, "last_hidden_state", 3, (int64_t[]){B, T, c->C}, model_hidden(&m, c->L));
    if (!rc && model_pooled(&m)) rc = out_add(&o, "pooler_output", 2, (int64_t[]){B, model_pooled_dim(&m)}, model_pooled(&m));
    float *lg = model_logits(&m);
    size_t nlog = c->head == MODEL_HEAD_SPAN ? 2 * N : c->head == MODEL_HEAD_MLM ? N * c->V : (size_t)B * c->num_labels;
    if (!rc && c->head == MODEL_HEAD_SPAN) {
        rc = out_add(&o, "start_logits", 2, (int64_t[]){B, T}, lg);
        if (!rc) rc = out_add(&o, "end_logits", 2, (int64_t[]){B, T}, lg + N);
    } else if (!rc && c->head == MODEL_HEAD_MLM) {
        rc = out_add(&o, "logits", 3, (int64_t[]){B, T, c->V}, lg);
    } else if (!rc && c->head == MODEL_HEAD_CLS) {
        rc = out_add(&o, "logits", 2, (int64_t[]){B, c->num_labels}, lg);
    }
    int have = 0;
    if (!rc && lg && !(dl = malloc(nlog * sizeof *dl))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc && lg) rc = head_loss(&m, &st, in_path, dl, &loss, &have);
    if (!rc && have) rc = out_add(&o, "loss", 0, NULL, &loss);
    if (!rc && want_grad) {
        if (!have) {
            rc = error_set(NEEDLE_EINVAL, "%s: --grad needs labels for the %s head (start_positions/end_positions, or labels)",
                           in_path, model_config_architecture(c));
            goto done;
        }
        rc = model_backward(&m, &(model_grad_in){.d_logits = dl});
        for (int i = 0; i < m.n_params && !rc; i++) {
            snprintf(name, sizeof name, "grad.%s", m.params[i].name);
            rc = out_add(&o, name, m.params[i].ndim, m.params[i].shape, m.params[i].grad);
        }
    }
    if (!rc) rc = safetensors_write(out_path, o.e, o.n);
done:
    out_free(&o);
    free(ids);
    free(mask);
    free(tt);
    free(dl);
    safetensors_close(&st);
    model_free(&m);
    return rc;
}

