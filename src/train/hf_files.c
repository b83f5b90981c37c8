/* hf_files.c — the files besides config.json and the weights that make a Hugging Face model
 * directory usable: a fine-tuned model is saved with its tokenizer so that from_pretrained and
 * needle's own loaders find everything in one place. */
#include "needle/error.h"
#include "needle/file.h"
#include "needle/trainer.h"

#include <stdlib.h>

int hf_copy_tokenizer_files(const char *src_dir, const char *dst_dir, int *n) {
    static const char *const names[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                        "vocab.txt",      "vocab.json",            "merges.txt"};
    int rc = 0, copied = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !rc; i++) {
        char *src = path_join(src_dir, names[i]), *dst = path_join(dst_dir, names[i]);
        if (!src || !dst) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        else if (file_exists(src) && !(rc = file_copy(src, dst))) copied++;
        free(src);
        free(dst);
    }
    if (n) *n = copied;
    return rc;
}

int hf_save_with_tokenizer(const model *m, const char *tokenizer_dir, const char *dir) {
    int rc = model_save(m, dir);
    if (!rc && tokenizer_dir) rc = hf_copy_tokenizer_files(tokenizer_dir, dir, NULL);
    return rc;
}
