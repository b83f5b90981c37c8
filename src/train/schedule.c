/* schedule.c — linear warm-up then linear decay, with the Trainer's off-by-one (see schedule.h). */
#include "needle/schedule.h"
#include "needle/error.h"

#include <math.h>

int lr_schedule_init(lr_schedule *s, double base_lr, long total, long warmup_steps, double warmup_proportion) {
    if (!(base_lr >= 0) || total < 0)
        return error_set(NEEDLE_EINVAL, "learning-rate schedule: rate %g and total %ld steps must not be negative",
                         base_lr, total);
    long w = warmup_steps;
    if (w < 0) {
        if (!(warmup_proportion >= 0 && warmup_proportion <= 1))
            return error_set(NEEDLE_EINVAL, "warm-up proportion %g is outside [0, 1]", warmup_proportion);
        w = (long)ceil((double)total * warmup_proportion);
    }
    if (w > total) return error_set(NEEDLE_EINVAL, "%ld warm-up steps exceed the %ld steps of the run", w, total);
    s->base_lr = base_lr;
    s->total = total;
    s->warmup = w;
    return 0;
}

double lr_schedule_at(const lr_schedule *s, long step) {
    long t = step - 1;
    double lambda;
    if (t < s->warmup) lambda = (double)t / (double)(s->warmup > 1 ? s->warmup : 1);
    else {
        long rest = s->total - s->warmup;
        lambda = (double)(s->total - t) / (double)(rest > 1 ? rest : 1);
        if (lambda < 0) lambda = 0;
    }
    return s->base_lr * lambda;
}
