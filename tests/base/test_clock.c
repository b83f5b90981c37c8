/* test_clock.c — the two clocks of progress.h: wall seconds never go back, and CPU seconds grow
 * with work done by this process (a busy loop of at least 20 ms of wall time, single-threaded,
 * uses at least some CPU time and not more than the wall time plus scheduling slack). */
#include "../test.h"
#include "needle/progress.h"

TEST(clock_cpu_seconds_counts_work) {
    double w0 = clock_seconds(), c0 = clock_cpu_seconds();
    volatile double x = 0;
    while (clock_seconds() - w0 < 0.02)
        for (int i = 0; i < 10000; i++) x += i * 1e-9;
    double w = clock_seconds() - w0, c = clock_cpu_seconds() - c0;
    CHECK(w >= 0.02);
    CHECK(c > 0);
    CHECK(c <= w + 0.01);
}
