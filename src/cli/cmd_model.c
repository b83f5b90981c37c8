/* cmd_model.c — `needle model run`: one forward (and optionally backward) pass of a Hugging
 * Face model directory over a batch read from safetensors, with every output written back
 * under HF's names, so that results can be compared with transformers tensor by tensor;
 * `needle model init`: a new, HF-initialised model directory of a named or given size for a
 * tokenizer (model_init_dir), the start of domain pre-training. */
#include "cli.h"
#include "needle/error.h"
#include "needle/model.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

int cmd_model_run(int argc, char **argv) {
    const char *dir = NULL, *in = NULL, *out = NULL;
    int grad = 0;
    const cli_opt opts[] = {
        {"model", OPT_STRING, &dir, "Hugging Face model directory (config.json + model.safetensors)", 1},
        {"inputs", OPT_STRING, &in, "safetensors with input_ids, attention_mask, optional token_type_ids and labels "
                                    "(start_positions/end_positions or labels), int64 or int32", 1},
        {"out", OPT_STRING, &out, "safetensors to write: hidden_states.<i>, last_hidden_state, pooler_output, "
                                  "start_logits/end_logits or logits, loss", 1},
        {"grad", OPT_FLAG, &grad, "also write grad.<parameter> for every parameter (needs labels)", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    static const cli_spec spec = {"needle model run --model DIR --inputs IN.safetensors --out OUT.safetensors [--grad]",
                                  "Run the model once in evaluation mode (no dropout) on a batch and write its outputs, "
                                  "the loss when labels are given, and with --grad the gradient of that loss for every "
                                  "parameter, all as F32 under Hugging Face's names.",
                                  NULL, 0, 0};
    cli_spec s = spec;
    s.opts = opts;
    char *pos[1];
    int npos, rc = cli_parse(&s, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (model_run_file(dir, in, out, grad)) return cli_fail();
    return 0;
}

static int parse_head(const char *s, model_head *out) {
    static const struct {
        const char *name;
        model_head head;
    } heads[] = {{"mlm", MODEL_HEAD_MLM}, {"span", MODEL_HEAD_SPAN}, {"cls", MODEL_HEAD_CLS}, {"encoder", MODEL_HEAD_ENCODER}};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        if (!strcmp(s, heads[i].name)) { *out = heads[i].head; return 0; }
    return error_set(NEEDLE_EINVAL, "--head: unknown head '%s' (mlm, span, cls, encoder)", s);
}

static int parse_family(const char *s, model_family *out) {
    static const struct {
        const char *name;
        model_family family;
    } fams[] = {{"bert", MODEL_BERT}, {"roberta", MODEL_ROBERTA}, {"distilbert", MODEL_DISTILBERT}, {"electra", MODEL_ELECTRA}};
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++)
        if (!strcmp(s, fams[i].name)) { *out = fams[i].family; return 0; }
    return error_set(NEEDLE_EINVAL, "--family: unknown family '%s' (bert, roberta, distilbert, electra)", s);
}

int cmd_model_init(int argc, char **argv) {
    const char *size = NULL, *tok = NULL, *out = NULL, *head_name = "mlm", *family_name = "bert";
    int layers = 0, hidden = 0, heads = 0, ffn = 0, max_pos = 0, num_labels = 2, seed = 42;
    const cli_opt opts[] = {
        {"size", OPT_STRING, &size, "named size: tiny (L2 H128), mini (L4 H256), small (L4 H512), medium (L8 H512), base (L12 H768)", 0},
        {"layers", OPT_INT, &layers, "number of layers (overrides --size)", 0},
        {"hidden", OPT_INT, &hidden, "hidden size (overrides --size)", 0},
        {"heads", OPT_INT, &heads, "attention heads (0: hidden/64)", 0},
        {"ffn", OPT_INT, &ffn, "feed-forward size (0: 4 x hidden)", 0},
        {"max-position", OPT_INT, &max_pos, "max_position_embeddings (0: 512, RoBERTa 514)", 0},
        {"tokenizer", OPT_STRING, &tok, "tokenizer directory (tokenizer.json or vocab files): vocabulary size and padding id", 1},
        {"out", OPT_STRING, &out, "new model directory (must not hold a model)", 1},
        {"head", OPT_STRING, &head_name, "mlm, span, cls or encoder", 0},
        {"num-labels", OPT_INT, &num_labels, "labels of a cls head", 0},
        {"seed", OPT_INT, &seed, "initialisation seed", 0},
        {"family", OPT_STRING, &family_name, "bert, roberta, distilbert or electra", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle model init (--size NAME | --layers N --hidden N [--heads N] [--ffn N]) --tokenizer DIR --out DIR",
                           "Create an untrained model directory (config.json, model.safetensors and the tokenizer's files) that "
                           "Hugging Face's from_pretrained loads, initialised as Hugging Face initialises BERT: normal(0, 0.02) "
                           "weights and embeddings, zero biases and padding rows, unit LayerNorm weights. The vocabulary size and "
                           "pad_token_id come from the tokenizer.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    model_family family = MODEL_BERT;
    model_head head = MODEL_HEAD_MLM;
    if (parse_family(family_name, &family) || parse_head(head_name, &head)) return cli_fail();
    model_config c;
    model_config_default(&c, family);
    if (size && model_size_apply(size, &c)) return cli_fail();
    if (!size && (layers <= 0 || hidden <= 0)) {
        fprintf(stderr, "needle: error: give --size, or --layers and --hidden\n");
        return 2;
    }
    if (layers < 0 || hidden < 0 || heads < 0 || ffn < 0 || max_pos < 0 || num_labels < 1 || seed < 0) {
        fprintf(stderr, "needle: error: sizes, --num-labels and --seed must be positive\n");
        return 2;
    }
    if (layers) c.L = layers;
    if (hidden) c.C = c.E = hidden, c.NH = hidden / 64 > 0 ? hidden / 64 : 1, c.F = 4 * hidden;
    if (heads) c.NH = heads;
    if (ffn) c.F = ffn;
    if (max_pos) c.P = max_pos;
    c.head = head;
    c.num_labels = num_labels;
    c.has_pooler = (family == MODEL_BERT || family == MODEL_ROBERTA) && head == MODEL_HEAD_ENCODER;
    if (family == MODEL_BERT && head == MODEL_HEAD_CLS) c.has_pooler = 1;
    if (model_init_dir(&c, tok, out, (uint64_t)seed)) return cli_fail();
    return 0;
}
