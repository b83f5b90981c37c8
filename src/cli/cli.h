/* cli.h — what the command files share: option parsing with --help, error reporting, and
 * the prototypes of the commands that main.c dispatches to.
 *
 * Each command lives in its own cmd_<group>.c file as `int cmd_<group>_<verb>(argc, argv)`
 * receiving the arguments after its command words, and returns the process exit status. */
#ifndef NEEDLE_CLI_H
#define NEEDLE_CLI_H

#include "needle/dpr_data.h"
#include "needle/file.h"
#include "needle/strbuf.h"
#include "needle/trainer.h"

typedef enum { OPT_STRING, OPT_INT, OPT_DOUBLE, OPT_FLAG, OPT_STRINGS } cli_opt_kind;

/* The values of an option that may be given several times (OPT_STRINGS), in order. */
#define CLI_MAX_REPEAT 32
typedef struct {
    const char *v[CLI_MAX_REPEAT];
    int n;
} cli_strings;

typedef struct {
    const char *name; /* without the leading "--" */
    cli_opt_kind kind;
    void *value;      /* const char **, int *, double *, int * (flag) or cli_strings *; holds the default */
    const char *help;
    int required;
} cli_opt;

typedef struct {
    const char *usage;   /* "needle eval squad --data FILE --predictions FILE" */
    const char *summary; /* one paragraph shown by --help */
    const cli_opt *opts; /* terminated by an entry whose name is NULL */
    int min_positional, max_positional;
} cli_spec;

enum { CLI_CONTINUE = 0, CLI_EXIT_OK = 1, CLI_EXIT_USAGE = 2 };

/* Parse options (--name value, --name=value, flags) and collect positionals (pointers into
 * argv) into pos[0..*npos). Prints usage for --help (returns CLI_EXIT_OK) and a message for a
 * bad option or missing required one (returns CLI_EXIT_USAGE). */
int cli_parse(const cli_spec *spec, int argc, char **argv, char **pos, int *npos);
/* Print "needle: error: <library message>" and return exit status 1. */
int cli_fail(void);
/* Turn a parse result into an exit status for early return: 0 for --help, 2 for misuse. */
int cli_parse_exit(int parse_result);

/* A DPR output file (dpr_out.c): JSON lines when its name ends in .jsonl, else a JSON array;
 * written atomically. dpr_out_record is a dpr_mine_fn; dpr_out_close (after a successful
 * open) commits when rc is 0, else discards the file, and returns rc or the commit's error. */
typedef struct {
    atomic_file af;
    int jsonl;
    size_t n;
    strbuf sb;
} dpr_out;
int dpr_out_open(dpr_out *w, const char *path);
int dpr_out_record(void *ctx, const dpr_record *r);
int dpr_out_close(dpr_out *w, int rc);

int cmd_version(int argc, char **argv);
int cmd_eval_trec(int argc, char **argv);
int cmd_retriever_eval(int argc, char **argv);
int cmd_retriever_train(int argc, char **argv);
int cmd_retriever_mine(int argc, char **argv);
int cmd_retriever_pretrain(int argc, char **argv);
int cmd_retriever_embed(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_eval_squad(int argc, char **argv);
int cmd_model_run(int argc, char **argv);
int cmd_model_init(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_tokenizer_train(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_eval_pipeline(int argc, char **argv);
int cmd_eval_report(int argc, char **argv);
int cmd_squad_split(int argc, char **argv);
int cmd_squad_slice(int argc, char **argv);

int cmd_reader_train(int argc, char **argv);
int cmd_reader_predict(int argc, char **argv);
int cmd_reader_eval(int argc, char **argv);
int cmd_reader_distill(int argc, char **argv);
int cmd_reranker_train(int argc, char **argv);
int cmd_reranker_eval(int argc, char **argv);
int cmd_mlm_train(int argc, char **argv);

#endif
