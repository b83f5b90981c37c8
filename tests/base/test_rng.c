/* test_rng.c — the generator is reproducible from its seed and saved state, and its
 * bounded draws are unbiased enough to shuffle and sample with. */
#include "../test.h"
#include "needle/rng.h"

TEST(rng_state_restores_sequence) {
    rng a, b;
    rng_seed(&a, 42);
    for (int i = 0; i < 100; i++) rng_u64(&a);
    b = a;
    for (int i = 0; i < 100; i++) CHECK(rng_u64(&a) == rng_u64(&b));
    rng c;
    rng_seed(&c, 43);
    rng_seed(&a, 42);
    CHECK(rng_u64(&a) != rng_u64(&c));
}

TEST(rng_below_is_uniform) {
    rng r;
    rng_seed(&r, 7);
    int counts[6] = {0};
    const int n = 600000;
    for (int i = 0; i < n; i++) counts[rng_below(&r, 6)]++;
    double chi2 = 0;
    for (int k = 0; k < 6; k++) chi2 += (counts[k] - n / 6.0) * (counts[k] - n / 6.0) / (n / 6.0);
    CHECK(chi2 < 20.5); /* 5 degrees of freedom, p = 0.001 */
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_normal(&r);
        mean += x;
        var += x * x;
    }
    mean /= n;
    var = var / n - mean * mean;
    CHECK_NEAR(mean, 0, 0.01);
    CHECK_NEAR(var, 1, 0.01);
}

TEST(rng_shuffle_is_permutation) {
    rng r;
    rng_seed(&r, 1);
    int a[50], seen[50] = {0};
    for (int i = 0; i < 50; i++) a[i] = i;
    rng_shuffle(&r, a, 50);
    int moved = 0;
    for (int i = 0; i < 50; i++) { seen[a[i]]++; moved += a[i] != i; }
    for (int i = 0; i < 50; i++) CHECK_INT(seen[i], 1);
    CHECK(moved > 25);
}
