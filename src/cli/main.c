/* main.c — the needle command: finds the command named by the first one or two words and
 * hands it the remaining arguments. Commands are listed here once, with their summaries,
 * so that `needle --help` and `needle <group>` can list them. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name; /* one or two words: "version", "reader train" */
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"version", cmd_version, "print the version and the libraries needle was built with"},
    {"eval trec", cmd_eval_trec, "score a TREC run against qrels with trec_eval's measures (JSON)"},
    {"eval squad", cmd_eval_squad, "score SQuAD predictions with the official EM/F1 (v1.1 and v2.0)"},
    {"eval pipeline", cmd_eval_pipeline, "evaluate a pipeline file on SQuAD labels: retriever and reader metrics, JSON/text/HTML"},
    {"eval report", cmd_eval_report, "render saved pipeline evaluations side by side (text, HTML with charts)"},
    {"squad split", cmd_squad_split, "split a SQuAD file into training and test files by article (paper)"},
    {"squad slice", cmd_squad_slice, "each question with the passage holding its answer, cut as needle index cuts"},
    {"retriever eval", cmd_retriever_eval, "evaluate a retriever (--bm25, --model, --hybrid) on a BEIR data set (JSON)"},
    {"retriever embed", cmd_retriever_embed, "fill a document store's embeddings with a dense retriever's passage encoder"},
    {"retriever mine", cmd_retriever_mine, "DPR training data with BM25- or dense-mined hard negatives from SQuAD or BEIR data"},
    {"retriever pretrain", cmd_retriever_pretrain, "DPR training data from unlabelled documents (inverse cloze task, cropping) with BM25 hard negatives"},
    {"retriever train", cmd_retriever_train, "fine-tune a dense retriever (DPR or shared encoder) on DPR data or BEIR qrels"},
    {"index", cmd_index, "add documents to a document store through the preprocessor and rebuild its BM25 index"},
    {"query", cmd_query, "ask a question: BM25 over a store (--store) or a pipeline file (--pipeline)"},
    {"model init", cmd_model_init, "create an untrained, HF-initialised model directory of a named size for a tokenizer"},
    {"model run", cmd_model_run, "run an HF model directory on a batch; write outputs, loss and gradients"},
    {"tokenize", cmd_tokenize, "JSON lines of text in, Hugging Face token ids and offsets out"},
    {"tokenizer train", cmd_tokenizer_train, "learn a WordPiece vocabulary from a corpus as Hugging Face does; write a BERT tokenizer"},
    {"serve", cmd_serve, "serve the HTTP API and the search page over a document store"},
    {"reader train", cmd_reader_train, "fine-tune an extractive reader on SQuAD-format data (HF Trainer semantics, resumable)"},
    {"reader predict", cmd_reader_predict, "answer the questions of a SQuAD-format file with a reader (official predictions, top-k answers)"},
    {"reader eval", cmd_reader_eval, "predict and score a reader: official EM/F1 and top-n accuracy (JSON)"},
    {"reranker train", cmd_reranker_train, "train a cross-encoder reranker on triples or BEIR qrels with mined negatives (BCE or listwise)"},
    {"reranker eval", cmd_reranker_eval, "rerank a first-stage run with a cross-encoder; IR measures before and after (JSON)"},
    {"reader distill", cmd_reader_distill, "distil a reader from a teacher (Haystack's prediction-layer KL or TinyBERT intermediate layers)"},
    {"mlm train", cmd_mlm_train, "masked-language-model training on raw text: domain adaptation or pre-training (resumable)"},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void list_commands(const char *group) {
    printf("usage: needle <command> [options]   (each command takes --help)\n\ncommands:\n");
    size_t glen = group ? strlen(group) : 0;
    for (int i = 0; i < n_commands; i++) {
        if (group && (strncmp(commands[i].name, group, glen) || commands[i].name[glen] != ' ')) continue;
        printf("  %-20s %s\n", commands[i].name, commands[i].summary);
    }
}

/* How many words of argv (starting at argv[1]) name command c, or 0 if it does not match. */
static int match(const command *c, int argc, char **argv) {
    const char *sp = strchr(c->name, ' ');
    if (!sp) return argc > 1 && !strcmp(argv[1], c->name) ? 1 : 0;
    size_t len = (size_t)(sp - c->name);
    if (argc > 2 && strlen(argv[1]) == len && !strncmp(argv[1], c->name, len) && !strcmp(argv[2], sp + 1)) return 2;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        list_commands(NULL);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < n_commands; i++) {
        int words = match(&commands[i], argc, argv);
        if (words) return commands[i].run(argc - 1 - words, argv + 1 + words);
    }
    int is_group = 0;
    size_t len = strlen(argv[1]);
    for (int i = 0; i < n_commands; i++)
        if (!strncmp(commands[i].name, argv[1], len) && commands[i].name[len] == ' ') is_group = 1;
    if (is_group) {
        if (argc > 2) fprintf(stderr, "needle: error: unknown command '%s %s'\n\n", argv[1], argv[2]);
        list_commands(argv[1]);
        return 2;
    }
    fprintf(stderr, "needle: error: unknown command '%s' (see needle --help)\n", argv[1]);
    return 2;
}
