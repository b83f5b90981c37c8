/* array.h — growing plain C arrays, in one function rather than a doubling loop in every
 * module.
 *
 * A module that appends to an array keeps (items, n, cap) and calls array_grow before it
 * writes element n. The capacity doubles (from 16), so n appends cost O(n) in all; on failure
 * the array is left as it was, so the caller's cleanup frees what it holds. */
#ifndef NEEDLE_ARRAY_H
#define NEEDLE_ARRAY_H

#include <stddef.h>

/* Make room for element number n (0-based) in *items, an array of `size`-byte elements with
 * capacity *cap: nothing when n < *cap; otherwise the capacity doubles until it exceeds n.
 * Returns 0, or NEEDLE_ENOMEM with a message (also when the size would overflow). */
int array_grow(void **items, size_t *cap, size_t n, size_t size);

#endif
