/* distill.h — distillation of an extractive reader (a student span model learning from a
 * teacher span model) as a trainer task, the two stages FARM / Haystack 1.x offer:
 *
 * Prediction layer (FARMReader.distil_prediction_layer_from; haystack DistillationTrainer):
 *   the teacher's start/end logits of every training window are computed ONCE, before the first
 *   step, in evaluation mode (Haystack's DistillationDataSilo caches them the same way), and
 *   optionally kept in a file that later runs (a resumed one, another student) load instead of
 *   running the teacher again. Each micro-batch then costs one student forward + backward on
 *   w·T²·D(student/T, teacher/T) + (1 − w)·CE(labels) (distill_loss.h).
 * Intermediate layers (FARMReader.distil_intermediate_layers_from; TinyBERT's first stage):
 *   the teacher runs on each micro-batch (its hidden states and attention matrices are far too
 *   large to cache, which is also why Haystack does not) and the student learns
 *   Σ_l MSE(att_s[l], att_t[(l+1)k − 1]) + Σ_i MSE(h_s[i]·Wᵀ, h_t[i·k]) with k = teacher layers /
 *   student layers, hidden state 0 the embeddings' output and W one learned bias-free
 *   projection [C_teacher, C_student] shared by every hidden state (TinyBERT's W_h; Haystack
 *   applies a single one too), absent when the widths agree. W is trained and checkpointed with
 *   the student (a second trained model) but not saved with it.
 *
 * Both models read the same windows (the student's tokenizer made them): they must share the
 * vocabulary; token types are given to each model as its family takes them. The intermediate
 * stage needs the same number of attention heads and a teacher depth that is a multiple of
 * the student's. */
#ifndef NEEDLE_DISTILL_H
#define NEEDLE_DISTILL_H

#include <stdint.h>

#include "needle/distill_loss.h"
#include "needle/model.h"
#include "needle/reader.h"
#include "needle/trainer.h"

typedef struct {
    int intermediate;          /* 1: intermediate-layer stage; 0: prediction layer */
    distill_kind kind;         /* prediction layer: kl_div (default) or mse */
    double temperature;        /* T > 0 (Haystack's default 1) */
    double weight;             /* w in [0, 1]: the distillation term's weight (Haystack's default 0.5) */
    int teacher_batch;         /* windows per teacher forward when caching its logits */
    const char *teacher_cache; /* file of cached teacher logits (read if it matches, else written), or NULL */
    uint64_t seed;             /* the projection's initialisation */
} distill_options;

/* Haystack's defaults: prediction layer, kl_div, T 1, w 0.5; teacher batches of 32. */
distill_options distill_defaults(void);

typedef struct {
    model *student, *teacher;
    reader_windows train;           /* the student's view of the windows */
    reader_windows teacher_view;    /* the same windows as the teacher takes them */
    distill_options opt;
    const char *tokenizer_dir;      /* copied into saved models (NULL: none) */
    reader_eval *eval;              /* the student's dev evaluation, or NULL */
    int max_batch, k;               /* k: teacher layers per student layer (intermediate) */
    float *teacher_logits;          /* prediction layer: [n][2][L], computed once */
    long teacher_windows;           /* windows the teacher has been run on by this task */
    int has_proj;
    model proj;                     /* intermediate with different widths: W */
    model *trained[2];              /* the student (and W): what the trainer steps */
    /* one micro-batch */
    int32_t *ids, *types, *ttypes, *mask, *starts, *ends;
    float *tlogits, *scratch;       /* [2, B, L] gathered teacher logits; loss scratch */
    float **d_hidden, **d_att;      /* intermediate: per student layer */
} distill_task;

/* Whether student and teacher can be distilled with these options (span heads, one vocabulary;
 * for the intermediate stage equal heads and a teacher depth that is a multiple of the
 * student's; T > 0, w in [0, 1]). distill_task_init checks it too; callers may check before
 * reading any data. */
int distill_check(const model *student, const model *teacher, const distill_options *opt);
/* Bind a student and a teacher (both span models) to the training windows. Allocates the
 * student's training buffers (max_batch x L) and the teacher's (inference, or MODEL_KEEP for
 * the intermediate stage); for the prediction layer, runs the teacher over every window (or
 * loads opt.teacher_cache). student_view and teacher_view are views of the same windows
 * (reader_windows_of with each model). */
int distill_task_init(distill_task *dt, model *student, model *teacher, const reader_windows *student_view,
                      const reader_windows *teacher_view, const distill_options *opt, int max_batch,
                      const char *tokenizer_dir);
void distill_task_free(distill_task *dt);
/* The trainer's view (task "distill" or "distill-intermediate"; ctx points at dt). The
 * prediction-layer stage never uses the teacher after init: callers may free it. */
trainer_task distill_task_bind(distill_task *dt);

/* The teacher-logit cache file: a 64-byte header (magic "NDLTLOGT", u32 version, u32 header
 * size, u64 windows, u32 L, u32 reserved, u64 hash of the windows' ids, types and mask, u64
 * hash of the teacher's parameters, u64 hash of the payload) and n·2·L float32 logits. A
 * file made for other windows or another teacher is not used (and is replaced); a damaged one is
 * an error. */
int distill_cache_read(const char *path, const reader_windows *w, const model *teacher, float *lg, int *found);
int distill_cache_write(const char *path, const reader_windows *w, const model *teacher, const float *lg);

#endif
