/* infer_slots.c — see infer_slots.h. A counting gate over `cores` CPUs (one mutex, one
 * condition variable): a run on all cores takes every CPU, a one-core run takes one. Models
 * are handed out from a free list: `base` (activations sized for every core) and replicas
 * (sized for one), so at most `cores` runs hold distinct activations at once. A replica's batch
 * is capped at REPLICA_MAX_B windows: on one core a larger batch buys nothing (each product is
 * already thousands of rows) and costs activation memory (bert-base, 256 tokens: ~11 MB per
 * window). */
#include "needle/infer_slots.h"
#include "needle/error.h"
#include "needle/kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define REPLICA_MAX_B 16

struct infer_slots {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    infer_policy policy;
    int cores, used, waiting;
    int wide;          /* a run on all cores is in progress (it is then the only run) */
    int max_B, max_T;
    model *base;
    model *replicas;   /* cores - 1 slots; the first n_replicas are made */
    int n_replicas;
    model **idle;      /* the free list: base and the made replicas not in use */
    int n_idle;
};

int infer_policy_parse(const char *name, infer_policy *out) {
    static const char *const names[] = {"adaptive", "serial", "parallel"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *out = (infer_policy)i;
            return 0;
        }
    return error_set(NEEDLE_EINVAL, "'%s' is not a CPU policy (adaptive, serial or parallel)", name);
}

const char *infer_policy_name(infer_policy p) {
    return p == INFER_SERIAL ? "serial" : p == INFER_PARALLEL ? "parallel" : "adaptive";
}

int infer_slots_create(infer_slots **out, model *base, int max_B, int max_T, infer_policy policy, int cores) {
    *out = NULL;
    if (cores < 1) cores = 1;
    infer_slots *s = calloc(1, sizeof *s);
    if (s) {
        s->replicas = calloc((size_t)cores, sizeof *s->replicas);
        s->idle = calloc((size_t)cores, sizeof *s->idle);
    }
    if (!s || !s->replicas || !s->idle) {
        if (s) {
            free(s->replicas);
            free(s->idle);
        }
        free(s);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    s->policy = policy;
    s->cores = cores;
    s->max_B = max_B;
    s->max_T = max_T;
    s->base = base;
    s->idle[s->n_idle++] = base;
    *out = s;
    return 0;
}

void infer_slots_free(infer_slots *s) {
    if (!s) return;
    for (int i = 0; i < s->n_replicas; i++) model_replica_free(&s->replicas[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->freed);
    free(s->replicas);
    free(s->idle);
    free(s);
}

/* A model for a one-core run (called with the lock held and a CPU taken, so one is free or
 * can be made: runs in progress < cores = base + replicas that can exist). */
static int take_one(infer_slots *s, model **m) {
    if (s->n_idle) {
        *m = s->idle[--s->n_idle];
        return 0;
    }
    model *r = &s->replicas[s->n_replicas];
    int B = s->max_B < REPLICA_MAX_B ? s->max_B : REPLICA_MAX_B;
    int rc = model_replica(r, s->base, B, s->max_T); /* sized for this thread's one core */
    if (rc) return error_prefix(rc, "a replica of the model for a concurrent request: ");
    s->n_replicas++;
    *m = r;
    return 0;
}

int infer_slots_acquire(infer_slots *s, model **m, int *threads) {
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    int wide = s->policy == INFER_SERIAL || (s->policy == INFER_ADAPTIVE && s->used == 0 && s->waiting == 0) ||
               s->cores == 1;
    s->waiting++;
    if (wide) {
        while (s->used > 0) pthread_cond_wait(&s->freed, &s->lock);
        s->used = s->cores;
        s->wide = 1;
        /* every run has ended, so every model is idle: find base among them */
        int i = 0;
        while (s->idle[i] != s->base) i++;
        s->idle[i] = s->idle[--s->n_idle];
        *m = s->base;
        *threads = s->cores;
    } else {
        while (s->used >= s->cores) pthread_cond_wait(&s->freed, &s->lock);
        *threads = 1;
        kernels_set_threads(1); /* a replica's buffers are sized for the calling thread's count */
        rc = take_one(s, m);
        if (!rc) s->used++;
    }
    s->waiting--;
    if (!rc) kernels_set_threads(*threads);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void infer_slots_release(infer_slots *s, model *m) {
    pthread_mutex_lock(&s->lock);
    s->used -= s->wide ? s->cores : 1;
    s->wide = 0;
    s->idle[s->n_idle++] = m;
    pthread_cond_broadcast(&s->freed);
    pthread_mutex_unlock(&s->lock);
}
