/* test_array.c — array_grow: capacity doubles from 16, contents survive a move, and a size
 * that would overflow is refused with the array left as it was. */
#include "../test.h"
#include "needle/array.h"

#include <stdint.h>
#include <stdlib.h>

TEST(array_grow_doubles_and_keeps_contents) {
    long long *a = NULL;
    size_t n = 0, cap = 0;
    for (long long v = 0; v < 1000; v++) {
        CHECK_OK(array_grow((void **)&a, &cap, n, sizeof *a));
        a[n++] = v * v;
    }
    CHECK_INT(cap, 1024); /* 16 doubled six times */
    long long sum = 0;
    for (size_t i = 0; i < n; i++) sum += a[i];
    CHECK_INT(sum, 332833500); /* 0^2 + ... + 999^2 = 999 * 1000 * 1999 / 6 */
    size_t before = cap;
    CHECK_OK(array_grow((void **)&a, &cap, 5, sizeof *a)); /* room already: nothing changes */
    CHECK_INT(cap, before);
    free(a);
}

TEST(array_grow_refuses_an_overflowing_size) {
    char *a = NULL;
    size_t cap = 0;
    CHECK_OK(array_grow((void **)&a, &cap, 0, 1));
    a[0] = 'x';
    CHECK_ERR(array_grow((void **)&a, &cap, SIZE_MAX / 4, 8), NEEDLE_ENOMEM, "too large");
    CHECK_INT(cap, 16);
    CHECK_INT(a[0], 'x');
    free(a);
}
