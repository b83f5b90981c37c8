/* test.h — the test harness: TEST(name) registers a test; CHECK* macros record failures with
 * file and line and let the test go on, so one run reports every broken expectation.
 *
 * All tests link into build/needle_tests, run from the repository root (fixtures live in
 * tests/fixtures). `build/needle_tests PATTERN` runs only the tests whose name contains it. */
#ifndef NEEDLE_TEST_H
#define NEEDLE_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, const char *file, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A scratch directory unique to this test run (created on first use). */
const char *test_tmpdir(void);

#define FIXTURES "tests/fixtures"

#define TEST(name)                                                                       \
    static void name(void);                                                              \
    __attribute__((constructor)) static void register_##name(void) {                     \
        test_register(#name, __FILE__, name);                                            \
    }                                                                                    \
    static void name(void)

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                  \
    } while (0)

#define CHECK_INT(a, b)                                                                  \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (a_ != b_) test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); \
    } while (0)

#define CHECK_STR(a, b)                                                                  \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || !b_ || strcmp(a_, b_))                                                \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                            \
    do {                                                                                 \
        double a_ = (double)(a), b_ = (double)(b);                                       \
        if (!(fabs(a_ - b_) <= (tol)))                                                   \
            test_fail(__FILE__, __LINE__, "%s == %.9g, expected %.9g (tol %g)", #a, a_, b_, (double)(tol)); \
    } while (0)

/* A library call that must succeed (returns 0). */
#define CHECK_OK(call)                                                                   \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != 0) test_fail(__FILE__, __LINE__, "%s failed (%d): %s", #call, rc_, error_message()); \
    } while (0)

/* A library call that must fail with `code` and a message containing `needle`. */
#define CHECK_ERR(call, code, needle)                                                    \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != (code)) test_fail(__FILE__, __LINE__, "%s returned %d, expected %d", #call, rc_, (int)(code)); \
        else if (!strstr(error_message(), (needle)))                                      \
            test_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", #call, error_message(), (needle)); \
    } while (0)

#include "needle/error.h"

#endif
