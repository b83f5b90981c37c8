/* task_mlm.c — masked-language-model training as a trainer task (see mlm.h).
 *
 * Each micro-batch gathers its blocks' rows into contiguous [B, L] arrays and masks them there
 * (the stored blocks stay unmasked, so every epoch draws new masks from the same data), with
 * one copy of B·L ints and no allocation. The attention mask comes from each block's length.
 * Only the masked positions go through the head (model_batch.head_rows), and the loss writes
 * its gradient over their [rows, V] logits in place — the largest activation of a step is not
 * duplicated. Training and evaluation share the gathering and the forward pass;
 * only evaluation reads the arg-max before the loss overwrites the logits. */
#include "needle/mlm.h"
#include "needle/error.h"
#include "needle/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every label is -100 or a token of the model's vocabulary. */
static int check_labels(const mlm_blocks *b, int V, const char *what) {
    if (!b->labels) return 0;
    for (size_t i = 0; i < (size_t)b->n * b->len; i++)
        if (b->labels[i] != MLM_IGNORE && (b->labels[i] < 0 || b->labels[i] >= V))
            return error_set(NEEDLE_EINVAL, "%s block %zu: label %d outside the model's vocabulary of %d", what,
                             i / (size_t)b->len, b->labels[i], V);
    return 0;
}

static int check_blocks(const mlm_blocks *b, int len, int V, const char *what) {
    if (b->n < 1 || b->len != len)
        return error_set(NEEDLE_EINVAL, "%s: %d blocks of %d tokens (training blocks have %d)", what, b->n, b->len, len);
    for (int i = 0; i < b->n; i++)
        if (b->length[i] < 1 || b->length[i] > len)
            return error_set(NEEDLE_EINVAL, "%s block %d: length %d of %d", what, i, b->length[i], len);
    return check_labels(b, V, what);
}

int mlm_task_init(mlm_task *t, model *m, const mlm_blocks *train, const mlm_blocks *dev, mlm_masker *masker,
                  int max_batch, const char *tokenizer_dir) {
    memset(t, 0, sizeof *t);
    if (m->cfg.head != MODEL_HEAD_MLM)
        return error_set(NEEDLE_EINVAL, "masked-LM training needs a masked-LM head; this model has another");
    int L = train->len, V = m->cfg.V, rc;
    if (max_batch < 1 || L < 1) return error_set(NEEDLE_EINVAL, "mlm: blocks of %d tokens, batch %d", L, max_batch);
    if (L > m->cfg.P) return error_set(NEEDLE_EINVAL, "blocks of %d tokens exceed the model's %d positions", L, m->cfg.P);
    if ((rc = check_blocks(train, L, V, "training")) || (dev && (rc = check_blocks(dev, L, V, "dev")))) return rc;
    if (dev && !dev->labels) return error_set(NEEDLE_EINVAL, "the dev blocks have no fixed masks");
    if (!train->labels && !masker) return error_set(NEEDLE_EINVAL, "training blocks without fixed masks need a masker");
    if (masker && (masker->vocab > V || masker->max_len < L))
        return error_set(NEEDLE_EINVAL, "the tokenizer's %d ids exceed the model's vocabulary of %d (or blocks of %d "
                         "tokens exceed the masker's %d)", masker->vocab, V, L, masker->max_len);
    t->m = m;
    t->train = train;
    t->dev = dev;
    t->masker = masker;
    t->tokenizer_dir = tokenizer_dir;
    t->max_batch = max_batch;
    size_t bt = (size_t)max_batch * (size_t)L;
    t->ids = malloc(bt * sizeof *t->ids);
    t->types = malloc(bt * sizeof *t->types);
    t->mask = malloc(bt * sizeof *t->mask);
    t->labels = malloc(bt * sizeof *t->labels);
    t->rows = malloc(bt * sizeof *t->rows);
    t->row_labels = malloc(bt * sizeof *t->row_labels);
    if (!t->ids || !t->types || !t->mask || !t->labels || !t->rows || !t->row_labels) {
        mlm_task_free(t);
        return error_set(NEEDLE_ENOMEM, "out of memory for masked-LM batches");
    }
    rc = model_alloc(m, max_batch, L, MODEL_TRAIN);
    if (rc) mlm_task_free(t);
    return rc;
}

void mlm_task_free(mlm_task *t) {
    free(t->ids);
    free(t->types);
    free(t->mask);
    free(t->labels);
    free(t->rows);
    free(t->row_labels);
    t->ids = t->types = t->mask = t->labels = t->rows = t->row_labels = NULL;
}

/* Gather blocks examples[0..n) of b into the batch arrays, masking them with r when b has no
 * fixed masks; then the forward pass (training mode when dropout_rng is given). Sets *tokens
 * to the tokens before padding. */
static int gather_forward(mlm_task *t, const mlm_blocks *b, const int32_t *examples, int n, rng *mask_rng,
                          rng *dropout_rng, size_t *tokens) {
    int L = b->len;
    if (n > t->max_batch) return error_set(NEEDLE_EINVAL, "micro-batch of %d blocks exceeds %d", n, t->max_batch);
    *tokens = 0;
    for (int i = 0; i < n; i++) {
        int32_t e = examples[i];
        if (e < 0 || e >= b->n) return error_set(NEEDLE_EINVAL, "block %d out of range (%d blocks)", e, b->n);
        size_t src = (size_t)e * L, dst = (size_t)i * L;
        int len = b->length[e];
        memcpy(t->ids + dst, b->input_ids + src, (size_t)L * sizeof *t->ids);
        if (b->token_type_ids) memcpy(t->types + dst, b->token_type_ids + src, (size_t)L * sizeof *t->types);
        for (int k = 0; k < L; k++) t->mask[dst + k] = k < len;
        if (b->labels) {
            memcpy(t->labels + dst, b->labels + src, (size_t)L * sizeof *t->labels);
        } else {
            int rc = mlm_mask(t->masker, t->ids + dst, t->labels + dst, len, mask_rng);
            if (rc < 0) return rc;
            for (int k = len; k < L; k++) t->labels[dst + k] = MLM_IGNORE;
        }
        *tokens += (size_t)len;
    }
    t->n_rows = 0;
    for (int r = 0; r < n * L; r++)
        if (t->labels[r] != MLM_IGNORE) {
            t->rows[t->n_rows] = r;
            t->row_labels[t->n_rows++] = t->labels[r];
        }
    model_batch batch = {.B = n, .T = L, .input_ids = t->ids,
            .token_type_ids = b->token_type_ids ? t->types : NULL, .attention_mask = t->mask,
            .head_rows = t->rows, .n_head_rows = t->n_rows};
    return model_forward(t->m, &batch, dropout_rng);
}

static int mlm_micro_step(void *ctx, const int32_t *examples, int n, float grad_scale, rng *train_rng, double *loss,
                          size_t *tokens) {
    mlm_task *t = ctx;
    int rc = gather_forward(t, t->train, examples, n, train_rng, train_rng, tokens);
    if (rc) return rc;
    size_t rows = (size_t)t->n_rows, V = (size_t)t->m->cfg.V;
    float *logits = model_logits(t->m);
    *loss = xent_loss(logits, logits, t->row_labels, (int)rows, (int)V);
    if (grad_scale != 1.0f)
        for (size_t i = 0; i < rows * V; i++) logits[i] *= grad_scale;
    return model_backward(t->m, &(model_grad_in){.d_logits = logits});
}

static int mlm_evaluate(void *ctx, cJSON **metrics) {
    mlm_task *t = ctx;
    const mlm_blocks *d = t->dev;
    int V = t->m->cfg.V;
    int32_t *idx = malloc((size_t)t->max_batch * sizeof *idx);
    if (!idx) return error_set(NEEDLE_ENOMEM, "out of memory");
    double sum = 0;
    long long count = 0, correct = 0;
    int rc = 0;
    for (int first = 0; first < d->n && !rc; first += t->max_batch) {
        int n = d->n - first < t->max_batch ? d->n - first : t->max_batch;
        for (int i = 0; i < n; i++) idx[i] = first + i;
        size_t tokens;
        if ((rc = gather_forward(t, d, idx, n, NULL, NULL, &tokens))) break;
        float *logits = model_logits(t->m);
        int masked = t->n_rows;
        for (int r = 0; r < masked; r++) {
            const float *x = logits + (size_t)r * V;
            int best = 0;
            for (int k = 1; k < V; k++) best = x[k] > x[best] ? k : best;
            correct += best == t->row_labels[r];
        }
        sum += (double)xent_loss(logits, logits, t->row_labels, masked, V) * masked;
        count += masked;
    }
    free(idx);
    if (rc) return rc;
    double loss = count ? sum / (double)count : 0;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddNumberToObject(o, "loss", loss) || !cJSON_AddNumberToObject(o, "perplexity", exp(loss)) ||
        !cJSON_AddNumberToObject(o, "accuracy", count ? (double)correct / (double)count : 0) ||
        !cJSON_AddNumberToObject(o, "masked_tokens", (double)count)) {
        cJSON_Delete(o);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    *metrics = o;
    return 0;
}

static int mlm_save(void *ctx, const char *dir) {
    mlm_task *t = ctx;
    return hf_save_with_tokenizer(t->m, t->tokenizer_dir, dir);
}

trainer_task mlm_task_bind(mlm_task *t) {
    trainer_task k;
    memset(&k, 0, sizeof k);
    k.name = "mlm";
    k.ctx = t;
    k.n_examples = (size_t)t->train->n;
    k.models = &t->m;
    k.n_models = 1;
    k.default_metric = "loss";
    k.micro_step = mlm_micro_step;
    k.evaluate = t->dev ? mlm_evaluate : NULL;
    k.save = mlm_save;
    return k;
}
