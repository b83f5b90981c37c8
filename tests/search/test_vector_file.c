/* test_vector_file.c — index files: a save/load round trip answers every query identically
 * (both kinds), later additions after a load continue exactly as without it; truncated,
 * foreign, corrupt and other-version files and a dimension mismatch fail with a message naming
 * the file; an interrupted save (disk full, or the process killed) leaves the previous file
 * loadable and unchanged. */
#include "../test.h"
#include "needle/file.h"
#include "needle/vector_index.h"
#include "vector_ref.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 3000, NQ = 40, DIM = 24, K = 10 };

static vector_index *make(vector_kind kind, const float *corpus, size_t n) {
    vector_index_config cfg;
    vector_index_config_default(&cfg, kind, VECTOR_COSINE, DIM);
    cfg.M = 8;
    cfg.ef_construction = 60;
    cfg.threads = 1;
    vector_index *ix = NULL;
    CHECK_OK(vector_index_create(&cfg, &ix));
    int64_t *ids = malloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = 10 * (int64_t)i + 3;
    if (ix) CHECK_OK(vector_index_add(ix, corpus, ids, n));
    free(ids);
    return ix;
}

/* 1 when both indexes give bitwise the same answers. */
static int same_answers(const vector_index *a, const vector_index *b, const float *queries) {
    int64_t ia[NQ * K], ib[NQ * K];
    float sa[NQ * K], sb[NQ * K];
    CHECK_OK(vector_index_search(a, queries, NQ, K, NULL, ia, sa));
    CHECK_OK(vector_index_search(b, queries, NQ, K, NULL, ib, sb));
    return !memcmp(ia, ib, sizeof ia) && !memcmp(sa, sb, sizeof sa);
}

TEST(vector_file_round_trip_both_kinds) {
    float *corpus = ref_mixture(N + NQ, DIM, 20, 0.6, 61), *queries = corpus + N * DIM;
    char *path = path_join(test_tmpdir(), "round.vix");
    for (int kind = 0; kind < 2; kind++) {
        vector_index *a = make((vector_kind)kind, corpus, N - 500), *b = NULL;
        CHECK_OK(vector_index_save(a, path));
        CHECK_OK(vector_index_load(path, DIM, &b));
        if (!b) continue;
        CHECK_INT(vector_index_count(b), N - 500);
        CHECK_INT(vector_index_info(b)->kind, kind);
        CHECK_INT(vector_index_info(b)->metric, VECTOR_COSINE);
        CHECK_INT(vector_index_info(b)->M, 8);
        /* the thread count is not saved; BLAS may round the last bit differently with another */
        vector_index_set_threads(b, 1);
        CHECK(same_answers(a, b, queries));
        /* the level generator's state travels with the file */
        CHECK_OK(vector_index_add(a, corpus + (N - 500) * DIM, NULL, 500));
        CHECK_OK(vector_index_add(b, corpus + (N - 500) * DIM, NULL, 500));
        CHECK(same_answers(a, b, queries));
        vector_index_free(a);
        vector_index_free(b);
    }
    /* an empty index saves and loads too */
    vector_index *e = make(VECTOR_HNSW, corpus, 0), *f = NULL;
    CHECK_OK(vector_index_save(e, path));
    CHECK_OK(vector_index_load(path, 0, &f));
    int64_t id[K];
    if (f) CHECK_OK(vector_index_search(f, queries, 1, K, NULL, id, NULL));
    if (f) CHECK_INT(id[0], -1);
    vector_index_free(e);
    vector_index_free(f);
    free(path);
    free(corpus);
}

static void write_bytes(const char *path, const void *data, size_t len) { CHECK_OK(file_write_atomic(path, data, len)); }

TEST(vector_file_bad_files_name_the_file) {
    float *corpus = ref_mixture(N, DIM, 20, 0.6, 62);
    char *good = path_join(test_tmpdir(), "good.vix"), *bad = path_join(test_tmpdir(), "bad.vix");
    vector_index *ix = make(VECTOR_HNSW, corpus, 1000), *out = NULL;
    CHECK_OK(vector_index_save(ix, good));
    char *data;
    size_t len;
    CHECK_OK(file_read_all(good, &data, &len));
    char msg[600];

    write_bytes(bad, data, len / 2);
    CHECK_ERR(vector_index_load(bad, DIM, &out), NEEDLE_EFORMAT, "truncated");
    CHECK(strstr(error_message(), bad) != NULL);
    write_bytes(bad, data, 100);
    CHECK_ERR(vector_index_load(bad, DIM, &out), NEEDLE_EFORMAT, "truncated");

    write_bytes(bad, "{\"not\": \"an index\"}\n", 20);
    snprintf(msg, sizeof msg, "%s: not a needle vector index", bad);
    CHECK_ERR(vector_index_load(bad, DIM, &out), NEEDLE_EFORMAT, msg);
    write_bytes(bad, "", 0);
    CHECK_ERR(vector_index_load(bad, DIM, &out), NEEDLE_EFORMAT, msg);

    data[len / 2] ^= 0x10;
    write_bytes(bad, data, len);
    CHECK_ERR(vector_index_load(bad, DIM, &out), NEEDLE_EFORMAT, "checksum");
    data[len / 2] ^= 0x10;

    data[8] = 2; /* format version */
    write_bytes(bad, data, len);
    CHECK_ERR(vector_index_load(bad, DIM, &out), NEEDLE_EUNSUPPORTED, "version 2");
    data[8] = 1;

    snprintf(msg, sizeof msg, "%s: the index holds vectors of dimension %d, but dimension 768 was expected", good, DIM);
    CHECK_ERR(vector_index_load(good, 768, &out), NEEDLE_EINVAL, msg);
    CHECK_ERR(vector_index_load("/nonexistent/idx.vix", DIM, &out), NEEDLE_ENOTFOUND, "/nonexistent/idx.vix");
    CHECK(out == NULL);
    free(data);
    free(good);
    free(bad);
    free(corpus);
    vector_index_free(ix);
}

TEST(vector_file_interrupted_save_keeps_previous) {
    float *corpus = ref_mixture(N + NQ, DIM, 20, 0.6, 63), *queries = corpus + N * DIM;
    char *path = path_join(test_tmpdir(), "keep.vix");
    vector_index *old = make(VECTOR_HNSW, corpus, 1000), *big = make(VECTOR_HNSW, corpus, N), *back = NULL;
    CHECK_OK(vector_index_save(old, path));

    /* disk full: the child may write only 64 KiB, so the bigger index's save fails midway */
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {65536, 65536};
        setrlimit(RLIMIT_FSIZE, &lim);
        int rc = vector_index_save(big, path);
        _exit(rc == NEEDLE_EIO && strstr(error_message(), "previous file is kept") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_OK(vector_index_load(path, DIM, &back));
    if (back) CHECK(same_answers(old, back, queries));
    vector_index_free(back);
    back = NULL;

    /* killed: a child saves over and over until it is killed at an arbitrary moment; the
     * file then holds one index or the other, whole */
    pid = fork();
    if (pid == 0) {
        for (;;) vector_index_save(big, path);
    }
    usleep(30000);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    CHECK_OK(vector_index_load(path, DIM, &back));
    if (back) CHECK(vector_index_count(back) == 1000 ? same_answers(old, back, queries) : same_answers(big, back, queries));
    vector_index_free(back);
    vector_index_free(old);
    vector_index_free(big);
    free(path);
    free(corpus);
}
