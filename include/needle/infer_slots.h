/* infer_slots.h — one model serving many concurrent requests on a few cores: who runs when,
 * on which copy of the activations, with how many threads.
 *
 * The HTTP server runs each request on a pool thread, and a model's forward pass is itself
 * parallel (OpenMP loops and OpenBLAS products). Left alone, k concurrent requests each running
 * on all cores would put k x cores compute threads on the cores — threads that spin and evict
 * each other's caches. The slots keep the compute threads of one model at most `cores`:
 *
 *   serial    one request at a time, on all cores (lowest latency for a lone client; under
 *             load, requests queue and each pays the parallel loops' synchronisation);
 *   parallel  up to `cores` requests at once, each on one core and its own activations (a
 *             replica sharing the parameters: model_replica); no synchronisation inside a
 *             forward pass, so the most throughput under load, but a lone client uses one core;
 *   adaptive  (the default) a request that finds the model idle — nothing running, nothing
 *             waiting — runs alone on all cores; one that arrives while others run or wait
 *             runs on one core as soon as a core is free. So a lone client gets serial's
 *             latency and concurrent clients get parallel's throughput, never more compute
 *             threads than cores. (A request already running on all cores finishes so; those
 *             that arrive meanwhile wait for it, then share the cores one each.)
 *
 * docs/server.md has the measurements behind the default. Thread counts are set on the calling
 * thread with kernels_set_threads before a run starts, under the slots' lock. */
#ifndef NEEDLE_INFER_SLOTS_H
#define NEEDLE_INFER_SLOTS_H

#include "needle/model.h"

typedef enum { INFER_ADAPTIVE, INFER_SERIAL, INFER_PARALLEL } infer_policy;

/* "adaptive", "serial", "parallel"; NEEDLE_EINVAL naming the value otherwise. */
int infer_policy_parse(const char *name, infer_policy *out);
const char *infer_policy_name(infer_policy p);

typedef struct infer_slots infer_slots;

/* Serve `base` (already allocated for max_B x max_T with `cores` threads; it must outlive the
 * slots) to concurrent callers. Replicas for one-core runs are made when first needed (at most
 * cores - 1 of them: `base` serves one-core runs too), for batches of at most 16 x max_T:
 * callers must batch by the model's max_B (reader_predict does). */
int infer_slots_create(infer_slots **out, model *base, int max_B, int max_T, infer_policy policy, int cores);
void infer_slots_free(infer_slots *s);

/* Wait for a turn. *m is the model to run on (base or a replica) and *threads the thread count
 * already set on the calling thread. Every acquire is paired with a release of the same model. */
int infer_slots_acquire(infer_slots *s, model **m, int *threads);
void infer_slots_release(infer_slots *s, model *m);

#endif
