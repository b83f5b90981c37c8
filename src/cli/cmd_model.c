/* cmd_model.c — `needle model run`: one forward (and optionally backward) pass of a Hugging
 * Face model directory over a batch read from safetensors, with every output written back
 * under HF's names, so that results can be compared with transformers tensor by tensor. */
#include "cli.h"
#include "needle/model.h"

#include <stddef.h>

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
