/* reader_data.h — SQuAD-format data into the windows a reader trains and predicts on.
 *
 * Each question becomes one qa_example: its question, its paragraph's context and its first
 * answer (for training the answer re-located by squad_load's SQUAD_OFFSETS_FIX mode; a
 * question without a located answer, e.g. SQuAD v2's impossible ones, has none), featurised by
 * qa_features_add (Hugging Face run_qa's windows and labels: a window without the whole answer
 * is labelled 0/0, [CLS], "no answer"). Window i's example index is its question's index in
 * the dataset, which is what prediction maps answers back through. */
#ifndef NEEDLE_READER_DATA_H
#define NEEDLE_READER_DATA_H

#include <stddef.h>

#include "needle/qa_features.h"
#include "needle/reader.h"
#include "needle/reader_predict.h"
#include "needle/squad.h"
#include "needle/tokenizer.h"

typedef struct {
    int max_seq_len;    /* L, special tokens included (384) */
    int stride;         /* context tokens shared by consecutive windows, HF's meaning (128) */
    int max_query_len;  /* questions cut to this many tokens (64, as run_squad and FARM); 0: whole */
    int threads;        /* tokenizer threads (0: all cores) */
} reader_data_opts;

typedef struct {
    size_t questions;        /* featurised */
    size_t with_answer;      /* questions with a located answer */
    size_t windows;
    size_t windows_answer;   /* windows that contain their question's whole answer */
    size_t windows_cls;      /* windows labelled [CLS] (no answer in them) */
} reader_data_stats;

reader_data_opts reader_data_defaults(void);
/* Featurise every question of ds into f (initialised here; free with qa_features_free). The
 * counts go to *st and to one log line naming `origin`. */
int reader_featurize(const squad_dataset *ds, const tokenizer *tk, const reader_data_opts *o, const char *origin,
                     qa_features *f, reader_data_stats *st);

/* Views of the windows for training and for prediction by model m. Token types are given only
 * to the families whose HF tokenizers return them (BERT, ELECTRA, DPR): RoBERTa and DistilBERT
 * get none, as transformers feeds them. */
reader_windows reader_windows_of(const qa_features *f, const model *m);
reader_pred_windows reader_pred_windows_of(const qa_features *f, const model *m);

#endif
