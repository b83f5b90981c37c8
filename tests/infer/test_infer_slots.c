/* test_infer_slots.c — one model for concurrent requests (infer_slots.h): a replica computes
 * exactly what its model computes (same parameters, same thread count: bitwise the same
 * logits), and the three CPU policies hand out turns as their definitions say — who runs at
 * once, on how many threads, on which activations — observed from real threads. The model is
 * tests/fixtures/reader/tiny-bert-qa. */
#include "../test.h"
#include "needle/infer_slots.h"
#include "needle/kernels.h"
#include "needle/model.h"

#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define NB 2
#define NT 16

static void forward(model *m, float *logits) {
    int32_t ids[NB * NT], mask[NB * NT];
    for (int i = 0; i < NB * NT; i++) {
        ids[i] = 1000 + 37 * i % 2000;
        mask[i] = i % NT < 12;
    }
    model_batch b = {.B = NB, .T = NT, .input_ids = ids, .attention_mask = mask};
    CHECK_OK(model_forward(m, &b, NULL));
    memcpy(logits, model_logits(m), 2 * NB * NT * sizeof *logits);
}

TEST(model_replica_shares_parameters_and_computes_the_same) {
    int threads = omp_get_max_threads();
    model m, r;
    CHECK_OK(model_load(&m, FIXTURES "/reader/tiny-bert-qa", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_alloc(&m, NB, NT, MODEL_INFER));
    kernels_set_threads(1);
    CHECK_OK(model_replica(&r, &m, NB, NT));
    CHECK(r.param_block == m.param_block && r.acts != m.acts);
    float a[2 * NB * NT], b[2 * NB * NT], c[2 * NB * NT];
    forward(&m, a);
    forward(&r, b);
    CHECK(!memcmp(a, b, sizeof a));
    model_replica_free(&r);
    forward(&m, c); /* the model is untouched by the replica's end */
    CHECK(!memcmp(a, c, sizeof a));
    kernels_set_threads(threads);
    model_free(&m);
}

typedef struct {
    infer_slots *s;
    pthread_t th;
    model *m;
    int threads, rc;
    atomic_int acquired, release;
} client;

static void *client_run(void *arg) {
    client *c = arg;
    c->rc = infer_slots_acquire(c->s, &c->m, &c->threads);
    atomic_store(&c->acquired, 1);
    while (!atomic_load(&c->release)) usleep(1000);
    if (!c->rc) infer_slots_release(c->s, c->m);
    return NULL;
}

static void client_start(client *c, infer_slots *s) {
    memset(c, 0, sizeof *c);
    c->s = s;
    pthread_create(&c->th, NULL, client_run, c);
}

/* 1 when the client got its turn within 5 s. */
static int got_turn(client *c) {
    for (int i = 0; i < 5000 && !atomic_load(&c->acquired); i++) usleep(1000);
    return atomic_load(&c->acquired);
}

/* 1 when the client is still waiting after 100 ms (it would have had its turn by then). */
static int still_waiting(client *c) {
    usleep(100000);
    return !atomic_load(&c->acquired);
}

static void client_end(client *c) {
    atomic_store(&c->release, 1);
    pthread_join(c->th, NULL);
}

static void with_slots(infer_policy policy, void (*body)(infer_slots *, model *)) {
    int threads = omp_get_max_threads();
    model m;
    CHECK_OK(model_load(&m, FIXTURES "/reader/tiny-bert-qa", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_alloc(&m, NB, NT, MODEL_INFER));
    infer_slots *s = NULL;
    CHECK_OK(infer_slots_create(&s, &m, NB, NT, policy, 2));
    if (s) body(s, &m);
    infer_slots_free(s);
    model_free(&m);
    kernels_set_threads(threads);
}

static void adaptive(infer_slots *s, model *base) {
    client a, b, c, d;
    client_start(&a, s); /* idle: all cores, on the model itself */
    CHECK(got_turn(&a));
    CHECK(a.rc == 0 && a.threads == 2 && a.m == base);
    client_start(&b, s); /* arrives while a runs on all cores: waits for it */
    CHECK(still_waiting(&b));
    client_end(&a);
    CHECK(got_turn(&b));
    CHECK(b.rc == 0 && b.threads == 1); /* others were busy when it came: one core */
    client_start(&c, s);                /* b holds one core: c runs beside it on the other */
    CHECK(got_turn(&c));
    CHECK(c.rc == 0 && c.threads == 1 && c.m != b.m);
    if (!c.rc && c.m != base) {         /* a replica's logits are the model's */
        float x[2 * NB * NT], y[2 * NB * NT];
        kernels_set_threads(1);
        forward(c.m, x);
        forward(base == b.m ? base : b.m, y);
        CHECK(!memcmp(x, y, sizeof x));
    }
    client_start(&d, s); /* both cores taken */
    CHECK(still_waiting(&d));
    client_end(&b);
    CHECK(got_turn(&d));
    CHECK(d.threads == 1 && d.m != c.m);
    client_end(&c);
    client_end(&d);
    client_start(&a, s); /* idle again: all cores */
    CHECK(got_turn(&a));
    CHECK(a.threads == 2 && a.m == base);
    client_end(&a);
}

static void serial(infer_slots *s, model *base) {
    client a, b;
    client_start(&a, s);
    CHECK(got_turn(&a));
    CHECK(a.threads == 2 && a.m == base);
    client_start(&b, s);
    CHECK(still_waiting(&b));
    client_end(&a);
    CHECK(got_turn(&b));
    CHECK(b.threads == 2 && b.m == base);
    client_end(&b);
}

static void parallel(infer_slots *s, model *base) {
    client a, b, c;
    client_start(&a, s);
    CHECK(got_turn(&a));
    CHECK(a.threads == 1);
    client_start(&b, s);
    CHECK(got_turn(&b));
    CHECK(b.rc == 0 && b.threads == 1 && b.m != a.m && (a.m == base || b.m == base));
    client_start(&c, s);
    CHECK(still_waiting(&c));
    client_end(&a);
    CHECK(got_turn(&c));
    CHECK(c.threads == 1 && c.m == a.m); /* the freed activations are reused: no third copy */
    client_end(&b);
    client_end(&c);
}

TEST(infer_slots_policies) {
    with_slots(INFER_ADAPTIVE, adaptive);
    with_slots(INFER_SERIAL, serial);
    with_slots(INFER_PARALLEL, parallel);
    infer_policy p;
    CHECK_OK(infer_policy_parse("parallel", &p));
    CHECK_INT(p, INFER_PARALLEL);
    CHECK_ERR(infer_policy_parse("fast", &p), NEEDLE_EINVAL, "'fast' is not a CPU policy");
}
