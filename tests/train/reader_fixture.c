/* reader_fixture.c — loading the HF windows fixture for the reader tests (see the header). */
#include "reader_fixture.h"
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"

#include <stdlib.h>
#include <string.h>

static int read_ints(const cJSON *o, const char *key, int32_t *out, int L, const char *origin) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != L)
        return error_set(NEEDLE_EFORMAT, "%s: \"%s\" is not an array of %d", origin, key, L);
    int i = 0;
    for (const cJSON *v = a->child; v; v = v->next) out[i++] = (int32_t)v->valuedouble;
    return 0;
}

int fixture_windows_load(const char *path, int max, fixture_windows *fw) {
    memset(fw, 0, sizeof *fw);
    char *text;
    size_t len;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    if (max > 0 && lines > max) lines = max;
    char *line = text;
    for (int k = 0; k < lines && !rc; k++) {
        char *nl = strchr(line, '\n');
        cJSON *o;
        if ((rc = json_parse(line, (size_t)(nl - line), path, &o))) break;
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(o, "input_ids");
        int L = cJSON_GetArraySize(ids);
        if (k == 0) {
            fw->L = L;
            size_t nl_ = (size_t)lines * L;
            fw->ids = malloc(nl_ * 4), fw->types = malloc(nl_ * 4), fw->mask = malloc(nl_);
            fw->offsets = malloc(nl_ * 8), fw->start = malloc(lines * 4u), fw->end = malloc(lines * 4u);
            fw->window = malloc(lines * 4u), fw->qid = calloc((size_t)lines, sizeof *fw->qid);
        }
        int32_t *m32 = malloc((size_t)L * 4);
        size_t row = (size_t)k * L;
        rc = L != fw->L ? error_set(NEEDLE_EFORMAT, "%s: line %d has %d tokens", path, k + 1, L) : 0;
        if (!rc) rc = read_ints(o, "input_ids", fw->ids + row, L, path);
        if (!rc) rc = read_ints(o, "token_type_ids", fw->types + row, L, path);
        if (!rc) rc = read_ints(o, "attention_mask", m32, L, path);
        for (int t = 0; !rc && t < L; t++) fw->mask[row + t] = (uint8_t)m32[t];
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(o, "offsets");
        int t = 0;
        for (const cJSON *v = off ? off->child : NULL; !rc && v && t < L; v = v->next, t++) {
            int s = -1, e = -1;
            if (cJSON_IsArray(v)) s = cJSON_GetArrayItem(v, 0)->valueint, e = cJSON_GetArrayItem(v, 1)->valueint;
            fw->offsets[2 * (row + t)] = s;
            fw->offsets[2 * (row + t) + 1] = e;
        }
        fw->start[k] = cJSON_GetObjectItemCaseSensitive(o, "start_position")->valueint;
        fw->end[k] = cJSON_GetObjectItemCaseSensitive(o, "end_position")->valueint;
        fw->window[k] = cJSON_GetObjectItemCaseSensitive(o, "window")->valueint;
        fw->qid[k] = strdup(cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring);
        free(m32);
        cJSON_Delete(o);
        fw->n = k + 1;
        line = nl + 1;
    }
    free(text);
    return rc;
}

void fixture_windows_free(fixture_windows *fw) {
    for (int i = 0; fw->qid && i < fw->n; i++) free(fw->qid[i]);
    free(fw->qid), free(fw->ids), free(fw->types), free(fw->mask), free(fw->offsets);
    free(fw->start), free(fw->end), free(fw->window);
    memset(fw, 0, sizeof *fw);
}

reader_windows fixture_view(const fixture_windows *fw) {
    return (reader_windows){fw->n, fw->L, fw->ids, fw->types, fw->mask, fw->start, fw->end};
}

double rel_max_diff(const float *a, const float *b, size_t n) {
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return m > 0 ? d / m : d;
}
