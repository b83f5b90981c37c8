/* cmd_tokenizer.c — `needle tokenizer train`: learn a WordPiece vocabulary from a domain
 * corpus as Hugging Face's WordPieceTrainer does (BertWordPieceTokenizer's defaults: special
 * tokens [PAD] [UNK] [CLS] [SEP] [MASK], min_frequency 2, limit_alphabet 1000) and write a
 * BERT tokenizer directory that transformers and needle load.
 *
 * The corpus files are read and counted first (progress per document), then the vocabulary
 * is trained (progress per merge), written, and a JSON summary goes to stdout: vocabulary
 * size reached, why training stopped, words counted and the time of each phase. */
#include "cli.h"

#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/strbuf.h"
#include "needle/train_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FILES = 256, MAX_SPECIALS = 64 };

/* Split "a,b,c" in place into at most MAX_SPECIALS tokens; empty items are refused. */
static int split_specials(char *s, const char **out, int *n) {
    *n = 0;
    if (!*s) return 0;
    for (char *p = s;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (!*p || *n == MAX_SPECIALS) return -1;
        out[(*n)++] = p;
        if (!comma) return 0;
        p = comma + 1;
    }
}

static void print_summary(const wp_vocab *v, const word_counts *wc, int n_files, double t_count, double t_train) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "vocab_size");
    jsonw_int(&w, v->n);
    jsonw_key(&w, "special_tokens");
    jsonw_int(&w, v->n_special);
    jsonw_key(&w, "alphabet");
    jsonw_int(&w, v->n_alphabet);
    jsonw_key(&w, "continuing_pieces");
    jsonw_int(&w, v->n_continuing);
    jsonw_key(&w, "merges");
    jsonw_int(&w, v->n_merges);
    jsonw_key(&w, "stopped_by");
    jsonw_string(&w, v->stop);
    jsonw_key(&w, "files");
    jsonw_int(&w, n_files);
    jsonw_key(&w, "distinct_words");
    jsonw_int(&w, (long long)word_counts_distinct(wc));
    jsonw_key(&w, "words");
    jsonw_int(&w, (long long)word_counts_total(wc));
    jsonw_key(&w, "count_seconds");
    jsonw_double(&w, t_count);
    jsonw_key(&w, "train_seconds");
    jsonw_double(&w, t_train);
    jsonw_object_end(&w);
    if (!w.err) printf("%s\n", sb.data);
    strbuf_free(&sb);
}

int cmd_tokenizer_train(int argc, char **argv) {
    const char *corpus = NULL, *format = "auto", *out = NULL, *initial = NULL, *order_file = NULL;
    const char *specials_arg = "[PAD],[UNK],[CLS],[SEP],[MASK]";
    int vocab_size = 30000, min_freq = 2, limit_alphabet = 1000, lowercase = 0, cased = 0;
    const cli_opt opts[] = {
        {"corpus", OPT_STRING, &corpus, "corpus file; more files may follow as arguments", 1},
        {"format", OPT_STRING, &format, "auto, text, jsonl (\"text\"/\"content\"), squad (contexts), beir (title + text)", 0},
        {"vocab-size", OPT_INT, &vocab_size, "target vocabulary size, special tokens included", 0},
        {"min-frequency", OPT_INT, &min_freq, "stop when the most frequent pair is rarer than this", 0},
        {"special-tokens", OPT_STRING, &specials_arg, "comma-separated special tokens, placed first (needs [UNK], [CLS], [SEP])", 0},
        {"lowercase", OPT_FLAG, &lowercase, "uncased: lowercase and strip accents (the default)", 0},
        {"cased", OPT_FLAG, &cased, "keep case and accents", 0},
        {"limit-alphabet", OPT_INT, &limit_alphabet, "keep at most this many characters (-1: all)", 0},
        {"initial-alphabet", OPT_STRING, &initial, "characters always kept in the alphabet", 0},
        {"continuing-order", OPT_STRING, &order_file, "a vocab.txt whose numbering of the ## pieces to reuse (reproduces a "
                                                      "Hugging Face run exactly; default: by code point)", 0},
        {"out", OPT_STRING, &out, "directory for tokenizer.json, vocab.txt, tokenizer_config.json, special_tokens_map.json", 1},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle tokenizer train --corpus FILE [FILE...] [--format F] --vocab-size N --out DIR",
                           "Learn a WordPiece vocabulary from a corpus as Hugging Face's WordPieceTrainer does (BertNormalizer, "
                           "BertPreTokenizer, BPE merges with the ## prefix) and write a BERT tokenizer that transformers "
                           "loads. Prints a JSON summary.",
                           opts, 0, MAX_FILES - 1};
    char *pos[MAX_FILES];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (lowercase && cased) {
        fprintf(stderr, "needle: error: --lowercase and --cased exclude each other\n");
        return 2;
    }
    if (vocab_size < 1 || min_freq < 0 || limit_alphabet < -1) {
        fprintf(stderr, "needle: error: --vocab-size must be positive, --min-frequency and --limit-alphabet not negative\n");
        return 2;
    }
    doc_format fmt;
    if (doc_format_parse(format, &fmt)) return cli_fail();
    char *specials_buf = strdup(specials_arg);
    const char *specials[MAX_SPECIALS];
    int n_specials;
    if (!specials_buf || split_specials(specials_buf, specials, &n_specials)) {
        fprintf(stderr, "needle: error: --special-tokens: empty token or more than %d tokens\n", MAX_SPECIALS);
        free(specials_buf);
        return 2;
    }
    const char *files[MAX_FILES];
    int n_files = 0;
    files[n_files++] = corpus;
    for (int i = 0; i < npos; i++) files[n_files++] = pos[i];

    word_counts *wc = NULL;
    wp_vocab v = {0};
    char *order_text = NULL, **order = NULL;
    size_t n_order = 0;
    int status = 0;
    if (order_file && file_read_lines(order_file, &order_text, &order, &n_order)) status = cli_fail();
    if (word_counts_create(!cased, &wc)) status = cli_fail();
    double t0 = clock_seconds();
    progress pr;
    if (!status) progress_start(&pr, "documents", 0);
    for (int i = 0; i < n_files && !status; i++)
        if (train_corpus_count(wc, files[i], fmt, &pr)) status = cli_fail();
    if (!status) {
        char msg[96];
        snprintf(msg, sizeof msg, "%zu distinct words", word_counts_distinct(wc));
        progress_finish(&pr, msg);
    }
    double t1 = clock_seconds();
    wp_train_opts o = wp_train_opts_default();
    o.vocab_size = vocab_size;
    o.min_frequency = (uint64_t)min_freq;
    o.limit_alphabet = limit_alphabet;
    o.initial_alphabet = initial;
    o.special_tokens = specials;
    o.n_special = n_specials;
    o.continuing_order = (const char *const *)order;
    o.n_continuing_order = (int)n_order;
    if (!status && wordpiece_train(wc, &o, &v)) status = cli_fail();
    double t2 = clock_seconds();
    if (!status && tokenizer_write_wordpiece(out, &v, !cased)) status = cli_fail();
    if (!status) {
        if (v.n < vocab_size) log_warn("tokenizer train: vocabulary of %d tokens, short of %d (%s)", v.n, vocab_size, v.stop);
        print_summary(&v, wc, n_files, t1 - t0, t2 - t1);
    }
    wp_vocab_free(&v);
    word_counts_free(wc);
    free(order_text);
    free(order);
    free(specials_buf);
    return status;
}
