/* array.c — array_grow (see array.h). */
#include "needle/array.h"
#include "needle/error.h"

#include <stdint.h>
#include <stdlib.h>

int array_grow(void **items, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c <= n && c <= SIZE_MAX / 2) c *= 2;
    if (c <= n || c > SIZE_MAX / size)
        return error_set(NEEDLE_ENOMEM, "out of memory: an array of %zu elements of %zu bytes is too large", n + 1, size);
    void *p = realloc(*items, c * size);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory growing an array to %zu elements of %zu bytes", c, size);
    *items = p;
    *cap = c;
    return 0;
}
