/* test_log.c — a thread's own log floor: raised and restored on the calling thread only, never
 * below the global level. */
#include "../test.h"
#include "needle/log.h"

#include <pthread.h>

static void *other_thread(void *arg) {
    *(int *)arg = log_level();
    return NULL;
}

TEST(log_thread_level_is_per_thread) {
    int global = log_level();
    int prev = log_thread_level(LOG_QUIET);
    CHECK_INT(prev, LOG_DEBUG);
    CHECK_INT(log_level(), LOG_QUIET);
    int seen = -1;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, other_thread, &seen) == 0);
    pthread_join(t, NULL);
    CHECK_INT(seen, global);
    CHECK_INT(log_thread_level(prev), LOG_QUIET);
    CHECK_INT(log_level(), global);
    log_thread_level(LOG_DEBUG);
    CHECK_INT(log_level(), global); /* a floor below the global level changes nothing */
}
