/* cmd_index.c — `needle index`: create or extend a document store from JSON lines, BEIR,
 * SQuAD or text files through the preprocessor, then rebuild the BM25 index next to it.
 *
 * Everything one run adds lands in one store transaction, committed only after the BM25 index
 * was written (atomically): a bad line, a full disk or a kill at any point leaves the previous
 * store and index as they were. */
#include "cli.h"
#include "needle/docstore.h"
#include "needle/error.h"
#include "needle/ingest.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/search_store.h"

#include <stdio.h>
#include <stdlib.h>

enum { MAX_INPUTS = 4096 };

static void print_summary(const char *store, const char *bm25, const ingest_stats *st, long long total, double secs) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "store"); jsonw_string(&w, store);
    jsonw_key(&w, "bm25"); jsonw_string(&w, bm25);
    jsonw_key(&w, "documents_read"); jsonw_int(&w, (long long)st->documents);
    jsonw_key(&w, "passages"); jsonw_int(&w, (long long)st->passages);
    jsonw_key(&w, "passages_added"); jsonw_int(&w, (long long)st->added);
    jsonw_key(&w, "duplicates_skipped"); jsonw_int(&w, (long long)(st->passages - st->added));
    jsonw_key(&w, "empty_documents"); jsonw_int(&w, (long long)st->empty);
    jsonw_key(&w, "labels"); jsonw_int(&w, (long long)st->labels);
    jsonw_key(&w, "answers_moved"); jsonw_int(&w, (long long)st->answers_moved);
    jsonw_key(&w, "answers_dropped"); jsonw_int(&w, (long long)st->answers_dropped);
    jsonw_key(&w, "store_documents"); jsonw_int(&w, total);
    jsonw_key(&w, "seconds"); jsonw_double(&w, secs);
    jsonw_object_end(&w);
    if (!w.err) printf("%s\n", sb.data);
    strbuf_free(&sb);
}

int cmd_index(int argc, char **argv) {
    const char *store = NULL, *format = "auto", *split_by = "word", *dups = "skip";
    int split_length = 200, split_overlap = 0, respect = 0, header_footer = 0, relocate = 0;
    const cli_opt opts[] = {
        {"store", OPT_STRING, &store, "the document store file (created when missing)", 1},
        {"format", OPT_STRING, &format, "input format: jsonl, beir, squad, text or auto (by file name)", 0},
        {"split-by", OPT_STRING, &split_by, "passage unit: word, sentence, passage (paragraph) or none", 0},
        {"split-length", OPT_INT, &split_length, "units per passage", 0},
        {"split-overlap", OPT_INT, &split_overlap, "units shared by consecutive passages", 0},
        {"respect-sentences", OPT_FLAG, &respect, "with --split-by word: keep whole sentences in each passage", 0},
        {"clean-header-footer", OPT_FLAG, &header_footer, "remove a header/footer repeated on every page (\\f-separated)", 0},
        {"duplicates", OPT_STRING, &dups, "a passage whose id exists: skip, overwrite or fail", 0},
        {"relocate-answers", OPT_FLAG, &relocate,
         "SQuAD: move an answer whose answer_start misses its text to the nearest occurrence (default: drop it, as Haystack does)", 0},
        {NULL, 0, NULL, NULL, 0}};
    cli_spec spec = {"needle index --store FILE [INPUT...] [options]",
                     "Add documents to a document store (an SQLite file) through the preprocessor — whitespace and empty-line "
                     "cleaning, optional header/footer removal, splitting into passages — and rebuild the BM25 index FILE.bm25. "
                     "Inputs: JSON lines ({\"id\"?, \"content\" or \"text\", \"title\"?, \"meta\"?}), a BEIR corpus (folder or "
                     "corpus.jsonl), SQuAD files (contexts; questions become gold labels) or text files (one document each). "
                     "Without inputs, only the BM25 index is rebuilt. Prints a JSON summary.",
                     opts, 0, MAX_INPUTS};
    char **inputs = malloc(MAX_INPUTS * sizeof *inputs);
    int ninputs, rc = inputs ? cli_parse(&spec, argc, argv, inputs, &ninputs) : CLI_EXIT_USAGE;
    if (rc) {
        free(inputs);
        return cli_parse_exit(rc);
    }
    ingest_opts io;
    ingest_opts_default(&io);
    doc_format fmt;
    passage_list probe;
    docstore *ds = NULL;
    ingest_stats st = {0};
    char *bm25 = search_store_bm25_path(store);
    io.pre.split_length = split_length;
    io.pre.split_overlap = split_overlap;
    io.pre.respect_sentences = respect;
    io.pre.clean.header_footer = header_footer;
    io.squad_offsets = relocate ? SQUAD_OFFSETS_FIX : SQUAD_OFFSETS_KEEP;
    if ((rc = doc_format_parse(format, &fmt)) || (rc = split_unit_parse(split_by, &io.pre.split_by)) ||
        (rc = docstore_dup_parse(dups, &io.dup)) || (rc = preprocess_document(&io.pre, "", 0, &probe)))
        goto fail;
    passage_list_free(&probe);
    double t0 = clock_seconds();
    if ((rc = docstore_open(&ds, store, DOCSTORE_CREATE)) || (rc = docstore_begin(ds))) goto fail;
    for (int i = 0; i < ninputs; i++) {
        log_info("reading %s (%s)", inputs[i], doc_format_name(fmt == DOCFMT_AUTO ? doc_format_detect(inputs[i]) : fmt));
        if ((rc = ingest_file(ds, &io, inputs[i], fmt, &st))) goto fail;
    }
    if ((rc = search_store_build_bm25(ds, bm25))) goto fail;
    if ((rc = docstore_commit(ds))) goto fail;
    long long total = 0;
    if ((rc = docstore_count(ds, NULL, &total))) goto fail;
    print_summary(store, bm25, &st, total, clock_seconds() - t0);
    docstore_close(ds);
    free(bm25);
    free(inputs);
    return 0;
fail:
    rc = cli_fail();
    if (ds) log_error("nothing of this run was saved; %s is as it was before", store);
    docstore_close(ds);
    free(bm25);
    free(inputs);
    return rc;
}
