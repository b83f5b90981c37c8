/* cmd_tokenize.c — `needle tokenize`: JSON lines in, token ids and offsets out, the same as
 * Hugging Face's tokenizer(text[, text_pair], return_offsets_mapping=True).
 *
 * Lines are read in blocks and each block is encoded on all cores (tokenizer_encode_batch),
 * then written in input order, so output line i always answers input line i. Strings are
 * read with exact lengths (json_fields) so that "\u0000" and invalid UTF-8 reach the
 * tokenizer as they are. The first bad line stops the command with its line number; every
 * line before it has been written. */
#include "cli.h"

#include "needle/error.h"
#include "needle/json.h"
#include "needle/json_fields.h"
#include "needle/strbuf.h"
#include "needle/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 512 };

typedef struct {
    char *line[BLOCK];
    size_t cap[BLOCK];
    json_fields fields[BLOCK];
    const char *text[BLOCK], *pair[BLOCK];
    size_t len[BLOCK], pair_len[BLOCK];
    tok_windows out[BLOCK];
} block;

static void write_encoding(strbuf *sb, const tok_encoding *e) {
    jsonw w;
    jsonw_init(&w, sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "ids");
    jsonw_array_begin(&w);
    for (int i = 0; i < e->n; i++) jsonw_int(&w, e->ids[i]);
    jsonw_array_end(&w);
    jsonw_key(&w, "offsets");
    jsonw_array_begin(&w);
    for (int i = 0; i < e->n; i++) {
        jsonw_array_begin(&w);
        jsonw_int(&w, e->offsets[2 * i]);
        jsonw_int(&w, e->offsets[2 * i + 1]);
        jsonw_array_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    strbuf_putc(sb, '\n');
}

/* Parse lines [0, n) of the block; returns the first bad line's index or -1. */
static int parse_block(block *b, int n, int want_pair, long long first_line) {
    for (int i = 0; i < n; i++) {
        char origin[64];
        snprintf(origin, sizeof origin, "stdin line %lld", first_line + i);
        size_t ll = strlen(b->line[i]);
        while (ll > 0 && (b->line[i][ll - 1] == '\n' || b->line[i][ll - 1] == '\r')) ll--;
        if (json_fields_parse(b->line[i], ll, origin, &b->fields[i])) return i;
        const json_field *t = json_fields_get(&b->fields[i], "text");
        const json_field *p = json_fields_get(&b->fields[i], "text_pair");
        if (!t || (want_pair && !p)) {
            error_set(NEEDLE_EFORMAT, "%s: missing string field \"%s\"", origin, !t ? "text" : "text_pair");
            json_fields_free(&b->fields[i]);
            return i;
        }
        b->text[i] = t->value;
        b->len[i] = t->len;
        b->pair[i] = want_pair ? p->value : NULL;
        b->pair_len[i] = want_pair ? p->len : 0;
    }
    return -1;
}

int cmd_tokenize(int argc, char **argv) {
    const char *dir = NULL;
    int pair = 0, threads = 0;
    const cli_opt opts[] = {
        {"tokenizer", OPT_STRING, &dir, "tokenizer.json, or a model directory (tokenizer.json, vocab.txt, or vocab.json + merges.txt)", 1},
        {"pair", OPT_FLAG, &pair, "encode (text, text_pair) pairs", 0},
        {"threads", OPT_INT, &threads, "encoding threads (0: all cores)", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    static const char summary[] =
        "Read JSON lines from stdin, {\"text\": ...} (with --pair {\"text\": ..., \"text_pair\": ...}), and write one line\n"
        "per input: {\"ids\": [...], \"offsets\": [[start, end], ...]} with special tokens added. Offsets count Unicode\n"
        "code points of the input string, as Hugging Face reports them ([0, 0] for special tokens); invalid UTF-8\n"
        "counts one U+FFFD per ill-formed byte sequence.";
    const cli_spec spec = {"needle tokenize --tokenizer DIR [--pair] < in.jsonl > out.jsonl", summary, opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (threads < 0) {
        fprintf(stderr, "needle: error: --threads must be 0 or more\n");
        return 2;
    }
    tokenizer *tk;
    if (tokenizer_load(dir, &tk)) return cli_fail();
    block *b = calloc(1, sizeof *b);
    strbuf sb;
    strbuf_init(&sb);
    int status = b ? 0 : (error_set(NEEDLE_ENOMEM, "out of memory"), cli_fail());
    for (int i = 0; b && i < BLOCK; i++) tok_windows_init(&b->out[i]);
    tok_options opt = tok_options_default();
    long long line_no = 1;
    while (!status) {
        int n = 0;
        while (n < BLOCK && getline(&b->line[n], &b->cap[n], stdin) > 0) n++;
        if (n == 0) break;
        int bad = parse_block(b, n, pair, line_no);
        int good = bad < 0 ? n : bad;
        if (good > 0 && tokenizer_encode_batch(tk, good, b->text, b->len, pair ? b->pair : NULL, b->pair_len, &opt, b->out, threads)) {
            status = cli_fail();
            good = 0;
        }
        strbuf_clear(&sb);
        for (int i = 0; i < good; i++) write_encoding(&sb, &b->out[i].w[0]);
        if (fwrite(sb.data ? sb.data : "", 1, sb.len, stdout) != sb.len || fflush(stdout)) {
            error_errno(NEEDLE_EIO, "writing to stdout");
            status = cli_fail();
        }
        for (int i = 0; i < good; i++) json_fields_free(&b->fields[i]);
        if (bad >= 0 && !status) status = cli_fail();
        line_no += n;
    }
    if (!status && ferror(stdin)) {
        error_errno(NEEDLE_EIO, "reading stdin");
        status = cli_fail();
    }
    for (int i = 0; b && i < BLOCK; i++) {
        free(b->line[i]);
        tok_windows_free(&b->out[i]);
    }
    free(b);
    strbuf_free(&sb);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    return status;
}
