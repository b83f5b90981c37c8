/* test_main.c — runs the registered tests and prints the closing line CI reads:
 * "N passed, M failed". Exit status 0 only when nothing failed. */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *name, *file;
    test_fn fn;
} test_case;

static test_case *cases;
static int n_cases, cap_cases;
static int current_failures;

void test_register(const char *name, const char *file, test_fn fn) {
    if (n_cases == cap_cases) {
        cap_cases = cap_cases ? 2 * cap_cases : 64;
        cases = realloc(cases, (size_t)cap_cases * sizeof *cases);
        if (!cases) abort();
    }
    cases[n_cases++] = (test_case){name, file, fn};
}

void test_fail(const char *file, int line, const char *fmt, ...) {
    if (current_failures < 20) {
        fprintf(stderr, "  %s:%d: ", file, line);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    } else if (current_failures == 20) {
        fprintf(stderr, "  (further failures of this test not shown)\n");
    }
    current_failures++;
}

const char *test_tmpdir(void) {
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/needle-tests-%ld", (long)getpid());
        mkdir(dir, 0777);
    }
    return dir;
}

int main(int argc, char **argv) {
    const char *pattern = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (int i = 0; i < n_cases; i++) {
        if (pattern && !strstr(cases[i].name, pattern) && !strstr(cases[i].file, pattern)) continue;
        current_failures = 0;
        fprintf(stderr, "%s ... ", cases[i].name);
        fflush(stderr);
        cases[i].fn();
        if (current_failures) {
            fprintf(stderr, "FAILED (%s)\n", cases[i].file);
            failed++;
        } else {
            fprintf(stderr, "ok\n");
            passed++;
        }
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", test_tmpdir());
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", test_tmpdir());
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
