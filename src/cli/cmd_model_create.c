/* cmd_model_create.c — `needle model create`: a new model with Hugging Face's initialisation
 * from a config.json (its sizes, family and head), saved as an HF directory with a tokenizer's
 * files beside it. For experiments and benchmarks that need a model of a given shape when no
 * pre-trained checkpoint is at hand (a small BERT over bert-base-uncased's vocabulary, say). */
#include "cli.h"
#include "needle/error.h"
#include "needle/model.h"
#include "needle/tokenizer.h"
#include "needle/trainer.h"

#include <stdio.h>

int cmd_model_create(int argc, char **argv) {
    const char *config = NULL, *tok = NULL, *out = NULL;
    int seed = 42;
    const cli_opt opts[] = {
        {"config", OPT_STRING, &config, "config.json giving the family (model_type), sizes and head (architectures)", 1},
        {"tokenizer", OPT_STRING, &tok, "copy this directory's tokenizer files into the model (its vocabulary must fit)", 0},
        {"out", OPT_STRING, &out, "directory to write config.json and model.safetensors into", 1},
        {"seed", OPT_INT, &seed, "seed of the initialisation", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle model create --config FILE --out DIR [--tokenizer DIR] [--seed N]",
                           "Create a model with Hugging Face's initialisation (normal(0, initializer_range) weights, zero "
                           "biases, unit LayerNorm weights) from a config.json, and save it as a Hugging Face directory.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    model_config c;
    model m;
    tokenizer *tk = NULL;
    if (model_config_load(&c, config)) return cli_fail();
    if (tok && !(rc = tokenizer_load(tok, &tk)) && tokenizer_vocab_size(tk) > c.V)
        rc = error_set(NEEDLE_EINVAL, "%s: the tokenizer has %d ids but the config's vocab_size is %d", config,
                       tokenizer_vocab_size(tk), c.V);
    tokenizer_free(tk);
    if (rc) {
        model_config_free(&c);
        return cli_fail();
    }
    if (model_create(&m, &c, (uint64_t)seed)) return cli_fail();
    rc = model_save(&m, out);
    if (!rc && tok) rc = hf_copy_tokenizer_files(tok, out, NULL);
    if (!rc) fprintf(stderr, "needle: %s model with %zu parameters written to %s\n", model_config_architecture(&m.cfg),
                     m.n_floats, out);
    model_free(&m);
    return rc ? cli_fail() : 0;
}
