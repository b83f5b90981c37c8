/* json_lines.c — JSON read without losing integer ids, and JSON-lines files read line by line
 * (see json.h).
 *
 * cJSON keeps every number as a double, which rounds integers above 2^53; real data sets have
 * 64-bit ids (Haystack's SQuAD samples: 7211011040021040393) and prediction files and qrels key
 * them by their exact decimal text. So ids are turned into strings by a lexical pass before
 * cJSON sees the text: cheaper and simpler than a second JSON parser, and the only place in
 * the code base where this is done. JSON lines are read with getline, so a corpus of any size
 * goes through in bounded memory; every corpus reader (BEIR, `needle index`'s JSON lines)
 * goes through json_lines_read, so they skip, check and report lines the same way. */
#include "needle/error.h"
#include "needle/json.h"
#include "needle/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int key_listed(const char *const *keys, const char *s, size_t n) {
    for (; *keys; keys++)
        if (strlen(*keys) == n && !memcmp(*keys, s, n)) return 1;
    return 0;
}

int json_quote_integers(const char *text, size_t len, const char *const *keys, int depth, char **out, size_t *out_len) {
    strbuf sb;
    strbuf_init(&sb);
    size_t i = 0, copied = 0;
    int level = 0, rc = 0;
    *out = NULL;
    while (i < len) {
        char c = text[i];
        if (c == '{' || c == '[') level++;
        if (c == '}' || c == ']') level--;
        if (c != '"') { i++; continue; }
        size_t s = ++i;
        while (i < len && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
        if (i >= len) break;
        size_t e = i++;
        if ((depth && level != depth) || !key_listed(keys, text + s, e - s)) continue;
        size_t j = i;
        while (j < len && is_space(text[j])) j++;
        if (j >= len || text[j] != ':') continue;
        j++;
        while (j < len && is_space(text[j])) j++;
        size_t k = j + (j < len && text[j] == '-');
        if (k >= len || !is_digit(text[k])) continue;
        while (k < len && is_digit(text[k])) k++;
        if (k < len && (text[k] == '.' || text[k] == 'e' || text[k] == 'E')) continue;
        int minus_zero = k - j == 2 && text[j] == '-' && text[j + 1] == '0';
        if ((rc = strbuf_append(&sb, text + copied, j - copied)) || (rc = strbuf_putc(&sb, '"')) ||
            (rc = strbuf_append(&sb, text + j + minus_zero, k - j - minus_zero)) || (rc = strbuf_putc(&sb, '"')))
            goto fail;
        copied = i = k;
    }
    if (!sb.data) return 0;
    if ((rc = strbuf_append(&sb, text + copied, len - copied))) goto fail;
    *out_len = sb.len;
    *out = strbuf_detach(&sb);
    return 0;
fail:
    strbuf_free(&sb);
    return rc;
}

/* One non-blank line: UTF-8, exact ids, one JSON object, handed to fn. */
static int read_line(const char *path, size_t line_no, size_t offset, const char *line, size_t len,
                     const char *const *id_keys, json_line_fn fn, void *ctx) {
    char origin[1100];
    snprintf(origin, sizeof origin, "%.1000s:%zu", path, line_no);
    int rc = utf8_check_at(line, len, path, line_no, offset);
    if (rc) return rc;
    char *quoted = NULL;
    size_t quoted_len = 0;
    if (id_keys && (rc = json_quote_integers(line, len, id_keys, 1, &quoted, &quoted_len))) return rc;
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(quoted ? quoted : line, quoted ? quoted_len : len, &end, 0);
    if (!obj && end) {
        if (quoted) cJSON_Delete(cJSON_ParseWithLengthOpts(line, len, &end, 0)); /* the column as written */
        rc = error_set(NEEDLE_EFORMAT, "%s: malformed JSON at column %zu", origin, (size_t)(end - line) + 1);
    } else if (!obj) {
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory parsing JSON", origin);
    } else if (!cJSON_IsObject(obj)) {
        rc = error_set(NEEDLE_EFORMAT, "%s: expected a JSON object", origin);
    } else {
        rc = fn(ctx, obj, origin);
    }
    cJSON_Delete(obj);
    free(quoted);
    return rc;
}

int json_lines_read(const char *path, const char *const *id_keys, json_line_fn fn, void *ctx) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0, line_no = 0, offset = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, fp)) >= 0) {
        line_no++;
        size_t len = (size_t)n, start = offset;
        offset += len;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
        if (i == len) continue;
        rc = read_line(path, line_no, start, line, len, id_keys, fn, ctx);
    }
    if (!rc && ferror(fp)) rc = error_errno(NEEDLE_EIO, "%s: read failed", path);
    free(line);
    fclose(fp);
    return rc;
}
