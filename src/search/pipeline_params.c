/* pipeline_params.c — reading params: a component's params from the pipeline file when it is
 * built (errors name the file, the line of the param and the component, since the user fixes
 * them in the file), and a node's params for one query (errors name "params.NODE.KEY", since
 * the user fixes them in the request). */
#include "pipeline_internal.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/log.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cJSON *pbuild_param(const pbuild *b, const char *key) {
    const cJSON *v = b->comp->params ? cJSON_GetObjectItemCaseSensitive(b->comp->params, key) : NULL;
    return v && !cJSON_IsNull(v) ? v : NULL;
}

int pbuild_error(const pbuild *b, const char *key, int code, const char *fmt, ...) {
    const cJSON *v = b->comp->params ? cJSON_GetObjectItemCaseSensitive(b->comp->params, key) : NULL;
    char where[512], detail[512];
    pipeline_config_where(b->cfg, v ? v : b->comp->item, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return error_set(code, "%s: component '%s' (%s): params.%s: %s", where, b->comp->name, b->comp->type, key, detail);
}

int pbuild_check_params(pbuild *b, const char *const *known, const char *const *ignored) {
    for (const cJSON *m = b->comp->params ? b->comp->params->child : NULL; m; m = m->next) {
        int ok = 0;
        for (const char *const *k = known; *k && !ok; k++) ok = !strcmp(*k, m->string);
        if (ok) continue;
        for (const char *const *k = ignored; k && *k && !ok; k++) ok = !strcmp(*k, m->string);
        if (ok) {
            char where[512];
            log_warn("%s: component '%s' (%s): params.%s means nothing to needle and is ignored",
                     pipeline_config_where(b->cfg, m, where, sizeof where), b->comp->name, b->comp->type, m->string);
            continue;
        }
        char list[512] = "";
        for (const char *const *k = known; *k; k++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", k == known ? "" : ", ", *k);
        }
        return pbuild_error(b, m->string, NEEDLE_EFORMAT, "unknown parameter (%s takes: %s)", b->comp->type,
                            list[0] ? list : "none");
    }
    return 0;
}

int pbuild_int(pbuild *b, const char *key, long long dflt, long long lo, long long hi, long long *out) {
    const cJSON *v = pbuild_param(b, key);
    *out = dflt;
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)lo || v->valuedouble > (double)hi)
        return pbuild_error(b, key, NEEDLE_EFORMAT, "should be an integer in %lld..%lld", lo, hi);
    *out = (long long)v->valuedouble;
    return 0;
}

int pbuild_double(pbuild *b, const char *key, double dflt, double *out) {
    const cJSON *v = pbuild_param(b, key);
    *out = dflt;
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return pbuild_error(b, key, NEEDLE_EFORMAT, "should be a number");
    *out = v->valuedouble;
    return 0;
}

int pbuild_bool(pbuild *b, const char *key, int dflt, int *out) {
    const cJSON *v = pbuild_param(b, key);
    *out = dflt;
    if (!v) return 0;
    if (!cJSON_IsBool(v)) return pbuild_error(b, key, NEEDLE_EFORMAT, "should be true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

int pbuild_string(pbuild *b, const char *key, int required, const char **out) {
    const cJSON *v = pbuild_param(b, key);
    *out = NULL;
    if (!v) return required ? pbuild_error(b, key, NEEDLE_EFORMAT, "missing (required)") : 0;
    if (!cJSON_IsString(v) || !v->valuestring[0]) return pbuild_error(b, key, NEEDLE_EFORMAT, "should be a non-empty string");
    *out = v->valuestring;
    return 0;
}

int pbuild_path(pbuild *b, const char *key, int required, char **out) {
    const char *s;
    *out = NULL;
    int rc = pbuild_string(b, key, required, &s);
    if (rc || !s) return rc;
    *out = s[0] == '/' || !strcmp(b->cfg->dir, ".") ? strdup(s) : path_join(b->cfg->dir, s);
    return *out ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
}

int prun_top_k(const prun *r, const char *key, long long dflt, long long *out) {
    const cJSON *v = r->params ? cJSON_GetObjectItemCaseSensitive(r->params, key) : NULL;
    *out = dflt;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 || v->valuedouble > 1000)
        return error_set(NEEDLE_EINVAL, "%s.%s should be an integer in 1..1000", r->origin, key);
    *out = (long long)v->valuedouble;
    return 0;
}

int prun_filters(const prun *r, char **out) {
    *out = NULL;
    const cJSON *f = r->params ? cJSON_GetObjectItemCaseSensitive(r->params, "filters") : NULL;
    if (!f || cJSON_IsNull(f)) return 0;
    if (!cJSON_IsObject(f)) return error_set(NEEDLE_EINVAL, "%s.filters should be an object", r->origin);
    *out = cJSON_PrintUnformatted(f);
    return *out ? 0 : error_set(NEEDLE_ENOMEM, "out of memory reading the filters");
}

int prun_retriever(const prun *r, long long top_k_dflt, int scale_dflt, long long *top_k, int *scale, char **filters) {
    *filters = NULL;
    int rc = prun_top_k(r, "top_k", top_k_dflt, top_k);
    if (!rc) rc = json_opt_bool(r->params, "scale_score", r->origin, scale_dflt, scale);
    if (!rc) rc = prun_filters(r, filters);
    return rc;
}
