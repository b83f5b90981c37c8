/* handlers_upload.c — POST /file-upload: Haystack 1.x's indexing endpoint. A multipart form
 * with one or more "files", an optional "meta" (a JSON object, given to every passage) and the
 * PreProcessor's parameters as form fields (clean_whitespace, clean_empty_lines,
 * clean_header_footer, split_by, split_length, split_overlap, split_respect_sentence_boundary,
 * add_page_number). Each file is converted to text (convert.h: text, Markdown, HTML, PDF),
 * split into passages (preprocess.h), and the passages of all files are written in one store
 * transaction: either every file lands or none, and the reply comes after the commit.
 *
 * Each passage's meta is the form's meta plus "name" (the file name, as Haystack sets it),
 * "_split_id" (its index among the file's passages, Haystack's key) and, with
 * add_page_number, "page"; the store also records the file's text hash as the passage's
 * source and the passage's span in code points of the file's text. */
#include "server_internal.h"
#include "needle/convert.h"
#include "needle/error.h"
#include "needle/murmur3.h"
#include "needle/preprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *name, *content_type;
    char *data;
    size_t len;
} upload_file;

typedef struct {
    upload_file *files;
    size_t n_files, cap_files;
    char *meta;              /* the "meta" field, NULL when absent */
    preprocess_opts opts;
    int add_page_number;
} upload_form;

static int form_bool(const char *name, const char *v, int *out) {
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) *out = 1;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) *out = 0;
    else return error_set(NEEDLE_EINVAL, "form field %s: '%s' is not a boolean", name, v);
    return 0;
}

static int form_int(const char *name, const char *v, int *out) {
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || end == v || x < 0 || x > 1000000) return error_set(NEEDLE_EINVAL, "form field %s: '%s' is not a count", name, v);
    *out = (int)x;
    return 0;
}

static int on_field(void *ctx, const char *name, const char *filename, const char *content_type, const char *data,
                    size_t len) {
    upload_form *f = ctx;
    if (!strcmp(name, "files") || !strcmp(name, "file")) {
        if (f->n_files == f->cap_files) {
            size_t cap = f->cap_files ? 2 * f->cap_files : 4;
            upload_file *p = realloc(f->files, cap * sizeof *p);
            if (!p) return error_set(NEEDLE_ENOMEM, "out of memory reading the upload");
            f->files = p;
            f->cap_files = cap;
        }
        upload_file *u = &f->files[f->n_files];
        u->name = strdup(filename && *filename ? filename : "upload");
        u->content_type = content_type ? strdup(content_type) : NULL;
        u->data = malloc(len + 1);
        if (!u->name || (content_type && !u->content_type) || !u->data) {
            free(u->name);
            free(u->content_type);
            free(u->data);
            return error_set(NEEDLE_ENOMEM, "out of memory reading the upload");
        }
        memcpy(u->data, data, len);
        u->data[len] = 0;
        u->len = len;
        f->n_files++;
        return 0;
    }
    char v[64];
    if (strcmp(name, "meta") && len >= sizeof v) return error_set(NEEDLE_EINVAL, "form field %s: value too long", name);
    snprintf(v, sizeof v, "%.*s", (int)len, data);
    preprocess_opts *o = &f->opts;
    int flag = 0;
    if (!strcmp(name, "meta")) {
        free(f->meta);
        f->meta = strndup(data, len);
        return f->meta ? 0 : error_set(NEEDLE_ENOMEM, "out of memory reading the upload");
    }
    if (!strcmp(name, "clean_whitespace")) return form_bool(name, v, &o->clean.whitespace);
    if (!strcmp(name, "clean_empty_lines")) return form_bool(name, v, &o->clean.empty_lines);
    if (!strcmp(name, "clean_header_footer")) return form_bool(name, v, &o->clean.header_footer);
    if (!strcmp(name, "split_respect_sentence_boundary")) return form_bool(name, v, &o->respect_sentences);
    if (!strcmp(name, "add_page_number")) return form_bool(name, v, &f->add_page_number);
    if (!strcmp(name, "split_length")) return form_int(name, v, &o->split_length);
    if (!strcmp(name, "split_overlap")) return form_int(name, v, &o->split_overlap);
    if (!strcmp(name, "split_by")) {
        if (split_unit_parse(v, &o->split_by)) return error_set(NEEDLE_EINVAL, "form field split_by: '%s' is not one of "
                                                                "word, sentence, passage, none", v);
        return 0;
    }
    if (!strcmp(name, "remove_numeric_tables")) {
        int rc = form_bool(name, v, &flag);
        if (!rc && flag) rc = error_set(NEEDLE_EUNSUPPORTED, "form field remove_numeric_tables: not supported");
        return rc;
    }
    if (!strcmp(name, "valid_languages")) {
        if (len) return error_set(NEEDLE_EUNSUPPORTED, "form field valid_languages: language checks are not supported");
        return 0;
    }
    return error_set(NEEDLE_EINVAL, "unknown form field \"%s\" (expected files, meta, clean_whitespace, "
                     "clean_empty_lines, clean_header_footer, split_by, split_length, split_overlap, "
                     "split_respect_sentence_boundary, add_page_number)", name);
}

static void form_free(upload_form *f) {
    for (size_t i = 0; i < f->n_files; i++) {
        free(f->files[i].name);
        free(f->files[i].content_type);
        free(f->files[i].data);
    }
    free(f->files);
    free(f->meta);
}

/* Convert and split one file, and add its passages (inside the caller's transaction). */
static int index_file(docstore *ds, const upload_form *f, const cJSON *meta, const upload_file *u, jsonw *w,
                      size_t *written) {
    strbuf text;
    strbuf_init(&text);
    passage_list pl = {0};
    docstore_doc *docs = NULL;
    char **metas = NULL;
    convert_kind kind = convert_detect(u->name, u->content_type, u->data, u->len);
    int rc = convert_to_text(kind, u->name, u->data, u->len, &text);
    if (rc) goto done;
    rc = preprocess_document(&f->opts, text.data ? text.data : "", text.len, &pl);
    if (rc) {
        rc = error_prefix(rc, "%s: ", u->name);
        goto done;
    }
    char source[33];
    murmur3_hex_id(text.data ? text.data : "", text.len, source);
    docs = calloc(pl.n ? pl.n : 1, sizeof *docs);
    metas = calloc(pl.n ? pl.n : 1, sizeof *metas);
    if (!docs || !metas) {
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", u->name);
        goto done;
    }
    for (size_t i = 0; i < pl.n && !rc; i++) {
        const passage *p = &pl.items[i];
        cJSON *m = meta ? cJSON_Duplicate(meta, 1) : cJSON_CreateObject();
        if (m) {
            cJSON_DeleteItemFromObjectCaseSensitive(m, "name");
            cJSON_AddStringToObject(m, "name", u->name);
            cJSON_DeleteItemFromObjectCaseSensitive(m, "_split_id");
            cJSON_AddNumberToObject(m, "_split_id", p->split_index);
            if (f->add_page_number) {
                cJSON_DeleteItemFromObjectCaseSensitive(m, "page");
                cJSON_AddNumberToObject(m, "page", p->page);
            }
            metas[i] = cJSON_PrintUnformatted(m);
            cJSON_Delete(m);
        }
        if (!metas[i]) rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", u->name);
        docstore_doc_init(&docs[i]);
        docs[i].id = p->id;
        docs[i].content = p->content;
        docs[i].meta_json = metas[i];
        docs[i].source_id = source;
        docs[i].source_start = (long long)p->char_start;
        docs[i].source_end = (long long)p->char_end;
        docs[i].split_index = p->split_index;
    }
    size_t added = 0;
    if (!rc) rc = docstore_add(ds, docs, pl.n, DOCSTORE_DUP_OVERWRITE, &added);
    if (rc) goto done;
    *written += added;
    jsonw_object_begin(w);
    jsonw_key(w, "name");
    jsonw_string(w, u->name);
    jsonw_key(w, "type");
    jsonw_string(w, convert_kind_name(kind));
    jsonw_key(w, "characters");
    jsonw_int(w, (long long)utf8_char_count(text.data ? text.data : "", text.len));
    jsonw_key(w, "passages");
    jsonw_int(w, (long long)pl.n);
    jsonw_object_end(w);
done:
    for (size_t i = 0; metas && i < pl.n; i++) free(metas[i]);
    free(metas);
    free(docs);
    passage_list_free(&pl);
    strbuf_free(&text);
    return rc;
}

void handle_file_upload(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    upload_form f = {0};
    preprocess_opts_default(&f.opts);
    cJSON *meta = NULL;
    int rc = http_request_form(req, on_field, &f);
    if (rc) {
        http_reply_lib_error(res, rc);
        goto done;
    }
    if (!f.n_files) {
        http_reply_error(res, 400, "no file in the form (send them as the multipart field \"files\")");
        goto done;
    }
    if (f.meta && strcmp(f.meta, "null")) {
        if (json_parse(f.meta, strlen(f.meta), "form field meta", &meta) || !cJSON_IsObject(meta)) {
            http_reply_error(res, 400, "form field meta: expected a JSON object or null");
            goto done;
        }
    }
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "files");
    jsonw_array_begin(&w);
    size_t written = 0;
    pipeline_lock(a->pipe);
    docstore *ds = pipeline_docstore(a->pipe);
    rc = docstore_begin(ds);
    if (!rc) {
        for (size_t i = 0; i < f.n_files && !rc; i++) rc = index_file(ds, &f, meta, &f.files[i], &w, &written);
        if (!rc) rc = docstore_commit(ds);
        else docstore_rollback(ds);
    }
    pipeline_unlock(a->pipe);
    if (rc) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
        goto done;
    }
    jsonw_array_end(&w);
    jsonw_key(&w, "written");
    jsonw_int(&w, (long long)written);
    jsonw_object_end(&w);
    server_json_reply(res, &sb, &w);
done:
    cJSON_Delete(meta);
    form_free(&f);
}
