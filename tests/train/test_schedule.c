/* test_schedule.c — the learning-rate schedule against HF's get_linear_schedule_with_warmup
 * as the Trainer drives it (lr of step k = base × λ(k − 1)), worked out by hand; the replica
 * runs (test_reader_replica.c) check the ceil-rounded warm-up proportion on real fixtures. */
#include "../test.h"
#include "needle/schedule.h"

TEST(schedule_linear_warmup_then_decay) {
    lr_schedule s;
    CHECK_OK(lr_schedule_init(&s, 1.0, 10, 4, 0.0)); /* explicit warm-up: 4 steps */
    double want[] = {0.0, 0.25, 0.5, 0.75, 1.0, 5.0 / 6, 4.0 / 6, 3.0 / 6, 2.0 / 6, 1.0 / 6};
    for (int k = 1; k <= 10; k++) CHECK_NEAR(lr_schedule_at(&s, k), want[k - 1], 1e-15);
    CHECK_OK(lr_schedule_init(&s, 2e-5, 3, -1, 0.0)); /* no warm-up: step 1 at the full rate */
    CHECK_NEAR(lr_schedule_at(&s, 1), 2e-5, 1e-20);
    CHECK_NEAR(lr_schedule_at(&s, 3), 2e-5 / 3, 1e-20);
    CHECK_OK(lr_schedule_init(&s, 1.0, 25, -1, 0.1)); /* ceil(2.5) = 3 */
    CHECK_INT(s.warmup, 3);
    CHECK_ERR(lr_schedule_init(&s, 1.0, 5, 6, 0.0), NEEDLE_EINVAL, "6 warm-up steps exceed the 5 steps");
    CHECK_ERR(lr_schedule_init(&s, 1.0, 5, -1, 1.5), NEEDLE_EINVAL, "outside [0, 1]");
}
