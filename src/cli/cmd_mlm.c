/* cmd_mlm.c — `needle mlm train`: masked-language-model training (domain adaptation of a
 * pre-trained checkpoint, or pre-training a new model) on raw text.
 *
 * The command wires the library together: the tokenizer, the model (an HF directory, with a
 * masked-LM head added when the checkpoint has none, or a new one of a named size made by
 * model_init_dir), the corpus files read text by text
 * (corpus_text.h) and tokenised into one corpus, a held-out part (a dev corpus, or a seeded
 * share of the training texts) with fixed masks, packing into blocks, the MLM task and the
 * shared trainer. The result is an HF BertForMaskedLM-style directory with the tokenizer
 * files, which `needle reader train --model` starts from (with a new span head). */
#include "cli.h"
#include "train_cli.h"
#include "needle/corpus_text.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/log.h"
#include "needle/mlm.h"
#include "needle/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FILES = 64 };

/* The dev masks' generator: fixed by --seed, apart from the training generators. */
#define DEV_MASK_SEED_XOR 0x6D6C6D2D64657621ULL

typedef struct {
    const char *model_dir, *init_size, *tokenizer_dir, *dev, *format, *save_dir;
    const char *train[MAX_FILES];
    int n_train;
    double dev_fraction, probability;
    int max_seq_len, whole_word;
    train_cli_args t;
} mlm_args;

typedef struct {
    mlm_corpus *c;
    progress *bar;
    size_t texts;
} reading;

static int on_text(void *ctx, const char *text, size_t len, const char *origin) {
    reading *r = ctx;
    int rc = mlm_corpus_add(r->c, text, len);
    if (rc) return error_prefix(rc, "%s: ", origin);
    if (++r->texts % 1024 == 0) progress_update(r->bar, r->texts, NULL);
    return 0;
}

/* Read and tokenise files[0..n) into c. */
static int read_corpus(mlm_corpus *c, const char *const *files, int n, doc_format fmt) {
    progress bar;
    progress_start(&bar, "texts", 0);
    reading r = {c, &bar, 0};
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) rc = corpus_text_read(files[i], fmt, on_text, &r);
    if (!rc) rc = mlm_corpus_flush(c);
    progress_finish(&bar, NULL);
    return rc;
}

static void log_blocks(const char *what, const mlm_blocks *b, size_t texts) {
    size_t tokens = 0;
    for (int i = 0; i < b->n; i++) tokens += (size_t)b->length[i];
    log_info("%s: %zu texts -> %d blocks of %d tokens (%zu tokens with [CLS]/[SEP], %.1f%% padding)", what, texts, b->n,
             b->len, tokens, b->n ? 100.0 * (1 - (double)tokens / ((double)b->n * b->len)) : 0.0);
}

/* Training blocks, and dev blocks with fixed masks when a dev set is asked for. */
static int make_blocks(const mlm_args *a, const tokenizer *tk, mlm_masker *mk, mlm_blocks *train, mlm_blocks *dev,
                       int *has_dev) {
    doc_format fmt;
    int rc = doc_format_parse(a->format, &fmt);
    if (rc) return rc;
    mlm_corpus c, cd;
    mlm_corpus_init(&c, tk, 0);
    mlm_corpus_init(&cd, tk, 0);
    size_t *tr = NULL, *dv = NULL, ntr = 0, ndv = 0;
    *has_dev = 0;
    if ((rc = read_corpus(&c, a->train, a->n_train, fmt))) goto done;
    log_info("corpus: %zu texts, %zu tokens (before [CLS]/[SEP])", c.n_texts, c.n_ids);
    if (a->dev) {
        if ((rc = read_corpus(&cd, &a->dev, 1, fmt))) goto done;
        rc = mlm_blocks_pack(&cd, NULL, 0, tk, a->max_seq_len, dev);
        ndv = cd.n_texts;
    } else if (a->dev_fraction > 0) {
        if ((rc = mlm_corpus_split(&c, a->dev_fraction, (uint64_t)a->t.seed, &tr, &ntr, &dv, &ndv))) goto done;
        rc = mlm_blocks_pack(&c, dv, ndv, tk, a->max_seq_len, dev);
    }
    if (rc) goto done;
    *has_dev = a->dev || a->dev_fraction > 0;
    if ((rc = mlm_blocks_pack(&c, tr, tr ? ntr : 0, tk, a->max_seq_len, train))) goto done;
    log_blocks("training", train, tr ? ntr : c.n_texts);
    if (*has_dev) {
        log_blocks(a->dev ? a->dev : "dev split", dev, ndv);
        rc = mlm_blocks_mask_fixed(dev, mk, (uint64_t)a->t.seed ^ DEV_MASK_SEED_XOR);
    }
done:
    free(tr);
    free(dv);
    mlm_corpus_free(&c);
    mlm_corpus_free(&cd);
    return rc;
}

/* --init-size: a new model of a named size for the tokenizer, written to <save-dir>/init (the
 * untrained start, kept so that a baseline can start from the same weights) and loaded from
 * there; a resumed run loads the one it wrote. */
static int init_model(const mlm_args *a, model *m) {
    char *dir = path_join(a->save_dir, "init"), *cfg_path = dir ? path_join(dir, "config.json") : NULL;
    int rc = cfg_path ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc && !(a->t.resume && file_exists(cfg_path))) {
        model_config c;
        model_config_default(&c, MODEL_BERT);
        c.head = MODEL_HEAD_MLM;
        c.has_pooler = 0;
        rc = model_size_apply(a->init_size, &c);
        if (!rc) rc = model_init_dir(&c, a->tokenizer_dir, dir, (uint64_t)a->t.seed);
    }
    if (!rc) rc = model_load(m, dir, MODEL_HEAD_MLM, 0, (uint64_t)a->t.seed);
    free(cfg_path);
    free(dir);
    return rc;
}

static int train(const mlm_args *a) {
    tokenizer *tk = NULL;
    model m;
    mlm_masker mk;
    mlm_blocks tr, dv;
    mlm_task task;
    int has_dev = 0, status = 1, model_ok = 0, ran = 0;
    memset(&mk, 0, sizeof mk);
    memset(&tr, 0, sizeof tr);
    memset(&dv, 0, sizeof dv);
    memset(&task, 0, sizeof task);
    if (tokenizer_load(a->tokenizer_dir, &tk)) goto done;
    if (a->init_size ? init_model(a, &m) : model_load(&m, a->model_dir, MODEL_HEAD_MLM, 0, (uint64_t)a->t.seed)) goto done;
    model_ok = 1;
    if (a->max_seq_len > m.cfg.P) {
        error_set(NEEDLE_EINVAL, "--max-seq-len %d exceeds the model's %d positions", a->max_seq_len, m.cfg.P);
        goto done;
    }
    if (tokenizer_vocab_size(tk) > m.cfg.V) {
        error_set(NEEDLE_EINVAL, "the tokenizer has %d ids, the model's vocabulary only %d: not this model's tokenizer",
                  tokenizer_vocab_size(tk), m.cfg.V);
        goto done;
    }
    if (mlm_masker_init(&mk, tk, a->probability, a->whole_word, a->max_seq_len)) goto done;
    if (make_blocks(a, tk, &mk, &tr, &dv, &has_dev)) goto done;
    if (!tr.n) {
        error_set(NEEDLE_EINVAL, "no training text left (the corpus is empty, or all of it went to dev)");
        goto done;
    }
    if (has_dev && !dv.n) {
        error_set(NEEDLE_EINVAL, "the dev set has no text");
        goto done;
    }
    if (mlm_task_init(&task, &m, &tr, has_dev ? &dv : NULL, &mk, a->t.batch, a->tokenizer_dir)) goto done;
    trainer_task k = mlm_task_bind(&task);
    status = train_cli_run(&k, &a->t, a->save_dir, NULL);
    ran = 1;
done:
    if (status == 1 && !ran) cli_fail();
    mlm_task_free(&task);
    mlm_blocks_free(&tr);
    mlm_blocks_free(&dv);
    mlm_masker_free(&mk);
    if (model_ok) model_free(&m);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    return status;
}

int cmd_mlm_train(int argc, char **argv) {
    mlm_args a;
    memset(&a, 0, sizeof a);
    train_cli_defaults(&a.t, 8, 3, 5e-5, 0);
    a.format = "auto";
    a.probability = 0.15;
    a.max_seq_len = 128;
    const char *first = NULL;
    cli_opt opts[48] = {
        {"model", OPT_STRING, &a.model_dir, "Hugging Face model directory to start from (a masked-LM head is added "
                                            "if missing)", 0},
        {"init-size", OPT_STRING, &a.init_size, "instead of --model: a new BERT of this size (tiny, mini, small, medium, "
                                                "base) for --tokenizer, written to <save-dir>/init first", 0},
        {"tokenizer", OPT_STRING, &a.tokenizer_dir, "tokenizer directory or tokenizer.json (default: --model)", 0},
        {"train", OPT_STRING, &first, "corpus file; more files may follow as arguments", 1},
        {"format", OPT_STRING, &a.format, "auto, text (a text per line), jsonl (\"content\"/\"text\"), squad (contexts), "
                                          "beir (title + text)", 0},
        {"dev", OPT_STRING, &a.dev, "held-out corpus file (same --format), evaluated by masked-LM loss and perplexity", 0},
        {"dev-fraction", OPT_DOUBLE, &a.dev_fraction, "without --dev: hold out this share of the training tokens, "
                                                      "whole texts drawn with --seed", 0},
        {"max-seq-len", OPT_INT, &a.max_seq_len, "tokens per block, [CLS] and [SEP] included", 0},
        {"mlm-probability", OPT_DOUBLE, &a.probability, "share of tokens to predict (80% [MASK], 10% random, 10% kept)", 0},
        {"whole-word-mask", OPT_FLAG, &a.whole_word, "mask \"##\" pieces together with their word", 0},
        {"save-dir", OPT_STRING, &a.save_dir, "output: the final model (HF layout + tokenizer), best/, checkpoints/ "
                                              "(and init/ with --init-size)", 1},
    };
    train_cli_options(&a.t, "blocks", "loss", opts + 11);
    static const char summary[] =
        "Train a masked language model on raw text — domain adaptation of a pre-trained checkpoint, or\n"
        "pre-training a new one — with Hugging Face's semantics: texts tokenised and packed into blocks of\n"
        "--max-seq-len ([CLS] ... [SEP], texts separated by [SEP]), 15% of the tokens chosen afresh (from --seed) every\n"
        "epoch (DataCollatorForLanguageModeling; --whole-word-mask: DataCollatorForWholeWordMask), 80% of them\n"
        "[MASK], 10% random, 10% kept; the trainer's AdamW, schedule, clipping and accumulation. The dev set\n"
        "has fixed masks, so its loss and perplexity compare across evaluations. Writes a BertForMaskedLM-style\n"
        "directory with the tokenizer files; `needle reader train --model` starts from it. SIGTERM/SIGINT\n"
        "finish the step, write a checkpoint and exit; --resume continues bitwise as if never interrupted.";
    const cli_spec spec = {"needle mlm train (--model DIR | --init-size NAME --tokenizer DIR) --train FILE [FILE...] "
                           "[--dev FILE | --dev-fraction X] --save-dir DIR [options]",
                           summary, opts, 0, MAX_FILES - 1};
    char *pos[MAX_FILES];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if ((rc = train_cli_check(&a.t))) return rc;
    if (!a.model_dir == !a.init_size || (a.init_size && !a.tokenizer_dir)) {
        fprintf(stderr, "needle: error: give --model DIR, or --init-size NAME with --tokenizer DIR\n");
        return 2;
    }
    if (a.dev && a.dev_fraction > 0) {
        fprintf(stderr, "needle: error: give --dev or --dev-fraction, not both\n");
        return 2;
    }
    if (a.max_seq_len < 3) {
        fprintf(stderr, "needle: error: --max-seq-len must be at least 3 ([CLS], a token, [SEP])\n");
        return 2;
    }
    a.train[a.n_train++] = first;
    for (int i = 0; i < npos; i++) a.train[a.n_train++] = pos[i];
    if (!a.tokenizer_dir) a.tokenizer_dir = a.model_dir;
    return train(&a);
}
