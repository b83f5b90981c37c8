/* cli.h — what the command files share: option parsing with --help, error reporting, and
 * the prototypes of the commands that main.c dispatches to.
 *
 * Each command lives in its own cmd_<group>.c file as `int cmd_<group>_<verb>(argc, argv)`
 * receiving the arguments after its command words, and returns the process exit status. */
#ifndef NEEDLE_CLI_H
#define NEEDLE_CLI_H

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

/* The trainer's options as every training command spells them (train_cli.c). Set the
 * defaults in a train_cli, append its options to a command's table with train_cli_opts
 * (room for TRAIN_CLI_N_OPTS more entries), check them after parsing with train_cli_check (an
 * exit status, 0 to go on), and run with train_cli_run, which prints the outcome and returns
 * the exit status (128 + signal when interrupted). */
typedef struct {
    int batch, accum, epochs, max_steps, warmup_steps, decay_all, no_shuffle, seed, eval_every, patience, ckpt_every,
        keep, resume, threads;
    double lr, warmup_proportion, weight_decay, max_grad_norm;
    const char *metric, *log, *save_dir;
} train_cli;
#define TRAIN_CLI_N_OPTS 21
int train_cli_opts(train_cli *t, cli_opt *opts, int n);
int train_cli_check(const train_cli *t);
trainer_options train_cli_options(const train_cli *t);
int train_cli_run(const trainer_task *task, const train_cli *t, trainer_result *res);

/* The name a retriever's embeddings get in a document store unless --name says otherwise: the
 * model directory's own name ("models/dpr-scifact/" -> "dpr-scifact"), written into buf. */
const char *cli_retriever_name(const char *dir, char *buf, size_t cap);

int cmd_version(int argc, char **argv);
int cmd_eval_trec(int argc, char **argv);
int cmd_retriever_eval(int argc, char **argv);
int cmd_retriever_train(int argc, char **argv);
int cmd_retriever_mine(int argc, char **argv);
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

int cmd_reader_train(int argc, char **argv);
int cmd_reader_predict(int argc, char **argv);
int cmd_reader_eval(int argc, char **argv);

#endif
