/* test_strtab.c — interning gives dense ids in insertion order, finds them back through
 * growth and rehashing, keeps embedded NULs and empty strings apart, and clears. */
#include "../test.h"
#include "needle/strtab.h"

#include <stdio.h>

TEST(strtab_interns_and_finds) {
    strtab t;
    strtab_init(&t);
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "w%d", i), added;
        uint32_t id;
        CHECK_OK(strtab_intern(&t, buf, (size_t)n, &id, &added));
        CHECK_INT(id, i);
        CHECK(added);
    }
    uint32_t id;
    int added;
    CHECK_OK(strtab_intern(&t, "w17", 3, &id, &added));
    CHECK_INT(id, 17);
    CHECK(!added);
    CHECK(strtab_find(&t, "w4999", 5, &id) && id == 4999);
    CHECK(!strtab_find(&t, "w5000", 5, &id));
    CHECK_STR(strtab_str(&t, 123), "w123");
    CHECK_INT(strtab_len(&t, 123), 4);
    CHECK_OK(strtab_intern(&t, "", 0, &id, &added));
    CHECK_INT(id, 5000);
    CHECK_OK(strtab_intern(&t, "a\0b", 3, &id, &added));
    CHECK(added && !strtab_find(&t, "a", 1, &id));
    strtab_clear(&t);
    CHECK(!strtab_find(&t, "w1", 2, &id));
    CHECK_OK(strtab_intern(&t, "again", 5, &id, &added));
    CHECK_INT(id, 0);
    CHECK(strtab_hash("abc", 3) != strtab_hash("abd", 3));
    strtab_free(&t);
}
