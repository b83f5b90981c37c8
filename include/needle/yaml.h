/* yaml.h — reading YAML configuration files (pipeline files) into the same cJSON tree the rest
 * of the code base reads JSON with, keeping where each value came from so that a message can
 * name the file, the line and the column of a bad value.
 *
 * libyaml parses (YAML 1.1 syntax: block and flow collections, every scalar style, comments,
 * anchors and aliases); values are resolved by the YAML 1.2 core schema, the rule most
 * YAML tools now share:
 *   plain null, Null, NULL, ~ or nothing        -> null
 *   plain true/True/TRUE, false/False/FALSE     -> true, false   (yes/no/on/off stay strings)
 *   plain [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+ -> an integer
 *   plain [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?.inf, .nan -> a number
 *   anything else, and every quoted or block scalar -> a string
 * (PyYAML, which Haystack uses, resolves by YAML 1.1: there "1e-5" is a string and "yes" is
 * true; a pipeline file that relies on either is rare and gets a type error naming the line.)
 * An explicit tag other than !!str, !!int, !!float, !!bool, !!null, !!map and !!seq is refused.
 *
 * Refused with a message naming the file, line and column: a syntax error, invalid UTF-8, a
 * mapping key that is not a scalar, a key given twice in one mapping (PyYAML silently keeps
 * the last), more than one document, nesting deeper than 64 levels (which also stops a
 * recursive alias), and aliases that would expand to more than a million values. */
#ifndef NEEDLE_YAML_H
#define NEEDLE_YAML_H

#include <cJSON.h>
#include <stddef.h>

typedef struct {
    const cJSON *item;
    int line, column; /* 1-based; for a mapping member, where its key is written */
} yaml_mark;

typedef struct {
    cJSON *root;      /* NULL for a file without a document (empty or only comments) */
    char *origin;     /* the file name (or the origin given to yaml_parse) */
    yaml_mark *marks; /* one per value in root */
    size_t n_marks, cap_marks;
} yaml_doc;

int yaml_load_file(const char *path, yaml_doc *doc);
/* Parse text in memory; `origin` names it in messages. */
int yaml_parse(const char *text, size_t len, const char *origin, yaml_doc *doc);
void yaml_doc_free(yaml_doc *doc);
/* Where `item` (a value inside doc->root) was written; 0 when the document does not hold it. */
int yaml_line(const yaml_doc *doc, const cJSON *item);
int yaml_column(const yaml_doc *doc, const cJSON *item);

#endif
