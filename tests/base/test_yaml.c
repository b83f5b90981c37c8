/* test_yaml.c — YAML into cJSON: the YAML 1.2 core schema's resolution of plain scalars (the
 * expected types are the schema's table, yaml.org/spec/1.2.2 section 10.3.2), quoted and block
 * scalars staying strings, anchors and aliases copied, positions counted by hand from the test
 * texts, and every refusal naming the origin, line and column. */
#include "../test.h"
#include "needle/yaml.h"

#include <stdlib.h>

static cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

TEST(yaml_core_schema_scalars) {
    const char *text =
        "n1: null\nn2: ~\nn3:\nn4: NULL\n"
        "t: true\nf: False\nyes_is_text: yes\n"
        "i: -42\nhex: 0x1F\noct: 0o17\n"
        "f1: 1.5\nf2: 1e-5\nf3: .5\nf4: -.inf\nf5: 2.\nnan: .nan\n"
        "s1: '42'\ns2: \"true\"\ns3: 1_000\ns4: 12abc\ns5: hello world\n"
        "forced: !!str 7\nint_tag: !!int \"12\"\n"
        "block: |\n  line one\n  line two\n";
    yaml_doc d;
    CHECK_OK(yaml_parse(text, strlen(text), "t.yaml", &d));
    CHECK(cJSON_IsNull(get(d.root, "n1")) && cJSON_IsNull(get(d.root, "n2")) && cJSON_IsNull(get(d.root, "n3")) &&
          cJSON_IsNull(get(d.root, "n4")));
    CHECK(cJSON_IsTrue(get(d.root, "t")) && cJSON_IsFalse(get(d.root, "f")));
    CHECK_STR(cJSON_GetStringValue(get(d.root, "yes_is_text")), "yes");
    CHECK_NEAR(get(d.root, "i")->valuedouble, -42, 0);
    CHECK_NEAR(get(d.root, "hex")->valuedouble, 31, 0);
    CHECK_NEAR(get(d.root, "oct")->valuedouble, 15, 0);
    CHECK_NEAR(get(d.root, "f1")->valuedouble, 1.5, 0);
    CHECK_NEAR(get(d.root, "f2")->valuedouble, 1e-5, 0);
    CHECK_NEAR(get(d.root, "f3")->valuedouble, 0.5, 0);
    CHECK(isinf(get(d.root, "f4")->valuedouble) && get(d.root, "f4")->valuedouble < 0);
    CHECK_NEAR(get(d.root, "f5")->valuedouble, 2.0, 0);
    CHECK(isnan(get(d.root, "nan")->valuedouble));
    CHECK_STR(cJSON_GetStringValue(get(d.root, "s1")), "42");
    CHECK_STR(cJSON_GetStringValue(get(d.root, "s2")), "true");
    CHECK_STR(cJSON_GetStringValue(get(d.root, "s3")), "1_000");
    CHECK_STR(cJSON_GetStringValue(get(d.root, "s4")), "12abc");
    CHECK_STR(cJSON_GetStringValue(get(d.root, "s5")), "hello world");
    CHECK_STR(cJSON_GetStringValue(get(d.root, "forced")), "7");
    CHECK(cJSON_IsNumber(get(d.root, "int_tag")) && get(d.root, "int_tag")->valuedouble == 12);
    CHECK_STR(cJSON_GetStringValue(get(d.root, "block")), "line one\nline two\n");
    yaml_doc_free(&d);
}

TEST(yaml_collections_aliases_and_positions) {
    const char *text =
        "# a comment\n"
        "version: '1.0'\n"
        "defaults: &d {top_k: 5, scale: true}\n"
        "components:\n"
        "  - name: Retriever\n"
        "    params: *d\n"
        "  - name: Reader\n"
        "    params:\n"
        "      top_k: 3\n"
        "list: [a, 'b', 3]\n";
    yaml_doc d;
    CHECK_OK(yaml_parse(text, strlen(text), "p.yaml", &d));
    const cJSON *comps = get(d.root, "components");
    CHECK(cJSON_IsArray(comps) && cJSON_GetArraySize(comps) == 2);
    const cJSON *c0 = cJSON_GetArrayItem(comps, 0), *c1 = cJSON_GetArrayItem(comps, 1);
    CHECK_NEAR(get(get(c0, "params"), "top_k")->valuedouble, 5, 0);
    CHECK(cJSON_IsTrue(get(get(c0, "params"), "scale")));
    /* the alias is a copy, not the anchored object itself */
    CHECK(get(c0, "params") != get(d.root, "defaults"));
    CHECK_INT(yaml_line(&d, get(d.root, "version")), 2);
    CHECK_INT(yaml_line(&d, c0), 5);
    CHECK_INT(yaml_column(&d, c0), 5);
    CHECK_INT(yaml_line(&d, get(c1, "name")), 7);
    CHECK_INT(yaml_column(&d, get(c1, "name")), 5);
    CHECK_INT(yaml_line(&d, get(get(c1, "params"), "top_k")), 9);
    CHECK_INT(yaml_column(&d, get(get(c1, "params"), "top_k")), 7);
    const cJSON *list = get(d.root, "list");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(list, 0)), "a");
    CHECK_NEAR(cJSON_GetArrayItem(list, 2)->valuedouble, 3, 0);
    CHECK_INT(yaml_line(&d, cJSON_GetArrayItem(list, 1)), 10);
    CHECK_INT(yaml_line(&d, list->next), 0); /* not in the document */
    yaml_doc_free(&d);

    CHECK_OK(yaml_parse("# nothing\n", 10, "e.yaml", &d));
    CHECK(d.root == NULL);
    yaml_doc_free(&d);
}

TEST(yaml_refusals_name_file_line_and_column) {
    yaml_doc d;
    const char *bad_indent = "a: 1\n  b: 2\n";
    CHECK_ERR(yaml_parse(bad_indent, strlen(bad_indent), "x.yaml", &d), NEEDLE_EFORMAT, "x.yaml:2:4: YAML syntax error");
    const char *dup = "a: 1\nb: 2\na: 3\n";
    CHECK_ERR(yaml_parse(dup, strlen(dup), "x.yaml", &d), NEEDLE_EFORMAT, "x.yaml:3:1: duplicate key \"a\" (first given at line 1)");
    const char *key = "? [1, 2]\n: v\n";
    CHECK_ERR(yaml_parse(key, strlen(key), "x.yaml", &d), NEEDLE_EFORMAT, "x.yaml:1:3: a mapping key must be a scalar");
    const char *two = "a: 1\n---\nb: 2\n";
    CHECK_ERR(yaml_parse(two, strlen(two), "x.yaml", &d), NEEDLE_EFORMAT, "x.yaml:2: a second YAML document");
    const char *tag = "a: !!binary aGk=\n";
    CHECK_ERR(yaml_parse(tag, strlen(tag), "x.yaml", &d), NEEDLE_EFORMAT, "x.yaml:1:4: unsupported tag");
    const char *badint = "a: !!int twelve\n";
    CHECK_ERR(yaml_parse(badint, strlen(badint), "x.yaml", &d), NEEDLE_EFORMAT, "!!int value is not an integer: twelve");
    const char utf8[] = "a: \xff\xfe\n";
    CHECK_ERR(yaml_parse(utf8, sizeof utf8 - 1, "x.yaml", &d), NEEDLE_EFORMAT, "x.yaml:1:");
    const char *undefined = "a: *nowhere\n";
    CHECK_ERR(yaml_parse(undefined, strlen(undefined), "x.yaml", &d), NEEDLE_EFORMAT, "undefined alias");
    /* "billion laughs": nine levels of nine aliases each would be 9^9 values */
    char laughs[2048];
    size_t n = (size_t)snprintf(laughs, sizeof laughs, "l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++)
        n += (size_t)snprintf(laughs + n, sizeof laughs - n, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i,
                              i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    CHECK_ERR(yaml_parse(laughs, n, "x.yaml", &d), NEEDLE_EFORMAT, "more than a million values");
    CHECK_ERR(yaml_load_file("tests/fixtures/does-not-exist.yaml", &d), NEEDLE_ENOTFOUND, "does-not-exist.yaml");
}
