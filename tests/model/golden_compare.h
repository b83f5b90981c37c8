/* golden_compare.h — helpers for tests that compare needle's tensors with Hugging Face's golden
 * fixtures (tests/fixtures/hf-models).
 *
 * Error measure: max |needle - HF| over a tensor divided by max |HF| over that tensor (bounded
 * below by `floor`). Some gradients are exactly zero in exact arithmetic (attention key biases:
 * softmax ignores a shift; the span head's bias and the last LayerNorm bias: the span loss
 * ignores a shift of all positions; the DPR context encoder's last LayerNorm bias: in-batch
 * softmax ignores a shift of all passages), so both sides hold only rounding noise there:
 * those are checked to be below GOLDEN_TOL_ZERO of the model's largest gradient. */
#ifndef NEEDLE_TESTS_GOLDEN_COMPARE_H
#define NEEDLE_TESTS_GOLDEN_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "needle/model.h"
#include "needle/safetensors.h"

#define GOLDEN_TOL_ZERO 1e-5

double golden_max_abs(const float *x, size_t n);
/* Compare got[n] with golden tensor `name`; returns the relative error and fails the test
 * when it exceeds tol. */
double golden_check_tensor(const safetensors *g, const char *name, const float *got, size_t n, double tol, double floor);
/* An integer tensor of the fixture (malloc'ed), or NULL when absent. */
int32_t *golden_ints(const safetensors *g, const char *name);
/* Whether parameter `name` of m has an exactly zero gradient under the fixtures' losses. */
int golden_exact_zero_grad(const model *m, const char *name);
/* Check every gradient of m against "grad.<pre><name>"; returns the worst relative error
 * over the non-zero ones. */
double golden_check_grads(const safetensors *g, const model *m, const char *pre, double tol);

#endif
