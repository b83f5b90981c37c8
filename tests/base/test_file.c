/* test_file.c — atomic writes replace a file whole or not at all; reads and maps see the bytes. */
#include "../test.h"
#include "needle/file.h"

#include <stdlib.h>
#include <unistd.h>

TEST(atomic_write_replaces_and_abort_keeps_old) {
    char *path = path_join(test_tmpdir(), "atomic.txt");
    CHECK_OK(file_write_atomic(path, "first", 5));
    char *data;
    size_t len;
    CHECK_OK(file_read_all(path, &data, &len));
    CHECK_STR(data, "first");
    free(data);

    atomic_file af;
    CHECK_OK(atomic_file_open(&af, path));
    fputs("half-written second version", af.fp);
    char *tmp = strdup(af.tmp_path);
    atomic_file_abort(&af);
    CHECK(access(tmp, F_OK) != 0);
    free(tmp);
    CHECK_OK(file_read_all(path, &data, &len));
    CHECK_STR(data, "first");
    free(data);

    CHECK_OK(atomic_file_open(&af, path));
    fputs("second", af.fp);
    CHECK_OK(atomic_file_commit(&af));
    file_map m;
    CHECK_OK(file_map_open(&m, path));
    CHECK_INT(m.size, 6);
    CHECK(m.data && !memcmp(m.data, "second", 6));
    file_map_close(&m);
    free(path);
}

TEST(file_errors_name_the_path) {
    char *data;
    size_t len;
    CHECK_ERR(file_read_all("/nonexistent/x.json", &data, &len), NEEDLE_ENOTFOUND, "/nonexistent/x.json: cannot open");
    CHECK_ERR(file_write_atomic("/nonexistent/dir/y.bin", "x", 1), NEEDLE_EIO, "/nonexistent/dir/y.bin");
}

TEST(dir_make_creates_parents) {
    char *deep = path_join(test_tmpdir(), "a/b/c");
    CHECK_OK(dir_make(deep));
    CHECK(dir_exists(deep));
    CHECK_OK(dir_make(deep));
    free(deep);
}

TEST(file_read_lines_splits_lf_and_crlf) {
    char *path = path_join(test_tmpdir(), "lines.txt");
    CHECK_OK(file_write_atomic(path, "a\r\n\nb c\nlast", 13));
    char *text, **lines;
    size_t n;
    CHECK_OK(file_read_lines(path, &text, &lines, &n));
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR(lines[0], "a");
        CHECK_STR(lines[1], "");
        CHECK_STR(lines[2], "b c");
        CHECK_STR(lines[3], "last");
    }
    free(text);
    free(lines);
    CHECK_OK(file_write_atomic(path, "x\n", 2));
    CHECK_OK(file_read_lines(path, &text, &lines, &n));
    CHECK_INT(n, 1);
    free(text);
    free(lines);
    CHECK_ERR(file_read_lines("/nonexistent/v.txt", &text, &lines, &n), NEEDLE_ENOTFOUND, "/nonexistent/v.txt");
    free(path);
}
