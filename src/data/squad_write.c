/* squad_write.c — a squad_dataset back to SQuAD JSON, in the layout of the official v1.1 or
 * v2.0 files, so that exports (user feedback, dev splits, converted data) load in needle, the
 * official evaluation scripts, Hugging Face and Haystack alike. Files are written atomically. */
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/squad.h"

static void write_answers(jsonw *w, const squad_dataset *ds, size_t first, size_t n) {
    jsonw_array_begin(w);
    for (size_t i = first; i < first + n; i++) {
        const squad_answer *a = &ds->answers[i];
        jsonw_object_begin(w);
        jsonw_key(w, "text");
        jsonw_string(w, a->text);
        jsonw_key(w, "answer_start");
        jsonw_int(w, a->start);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

static void write_question(jsonw *w, const squad_dataset *ds, const squad_question *q, squad_version version) {
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    jsonw_string(w, q->id);
    jsonw_key(w, "question");
    jsonw_string(w, q->question);
    jsonw_key(w, "answers");
    write_answers(w, ds, q->first_answer, q->n_answers);
    if (version == SQUAD_V2) {
        jsonw_key(w, "is_impossible");
        jsonw_bool(w, q->is_impossible);
        if (q->n_plausible) {
            jsonw_key(w, "plausible_answers");
            write_answers(w, ds, q->first_answer + q->n_answers, q->n_plausible);
        }
    }
    jsonw_object_end(w);
}

int squad_serialize(const squad_dataset *ds, squad_version version, strbuf *out) {
    if (version != SQUAD_V1 && version != SQUAD_V2)
        return error_set(NEEDLE_EINVAL, "SQuAD version must be 1 or 2, not %d", (int)version);
    if (version == SQUAD_V1) {
        for (size_t i = 0; i < ds->n_questions; i++) {
            const squad_question *q = &ds->questions[i];
            if (q->is_impossible || q->n_answers == 0)
                return error_set(NEEDLE_EINVAL, "question %s has no answer, which SQuAD v1.1 cannot hold: write v2.0", q->id);
        }
    }
    jsonw w;
    jsonw_init(&w, out);
    jsonw_object_begin(&w);
    jsonw_key(&w, "version");
    jsonw_string(&w, version == SQUAD_V2 ? "v2.0" : "1.1");
    jsonw_key(&w, "data");
    jsonw_array_begin(&w);
    for (size_t a = 0; a < ds->n_articles; a++) {
        const squad_article *art = &ds->articles[a];
        jsonw_object_begin(&w);
        if (art->title) {
            jsonw_key(&w, "title");
            jsonw_string(&w, art->title);
        }
        jsonw_key(&w, "paragraphs");
        jsonw_array_begin(&w);
        for (size_t p = art->first_paragraph; p < art->first_paragraph + art->n_paragraphs; p++) {
            const squad_paragraph *par = &ds->paragraphs[p];
            jsonw_object_begin(&w);
            jsonw_key(&w, "context");
            jsonw_string(&w, par->context);
            if (par->id) {
                jsonw_key(&w, "id");
                jsonw_string(&w, par->id);
            }
            jsonw_key(&w, "qas");
            jsonw_array_begin(&w);
            for (size_t q = par->first_question; q < par->first_question + par->n_questions; q++)
                write_question(&w, ds, &ds->questions[q], version);
            jsonw_array_end(&w);
            jsonw_object_end(&w);
        }
        jsonw_array_end(&w);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    if (w.err) return error_set(w.err, "out of memory writing SQuAD JSON");
    return strbuf_putc(out, '\n');
}

int squad_write(const squad_dataset *ds, const char *path, squad_version version) {
    strbuf sb;
    strbuf_init(&sb);
    int rc = squad_serialize(ds, version, &sb);
    if (rc) error_prefix(rc, "%s: ", path);
    else rc = file_write_atomic(path, sb.data, sb.len);
    strbuf_free(&sb);
    return rc;
}
