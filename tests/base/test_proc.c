/* test_proc.c — resident memory as the kernel reports it: touching 64 MiB raises the current
 * RSS and the peak by about that much, and freeing it lowers the RSS but not the peak. */
#include "../test.h"
#include "needle/proc.h"

#include <stdlib.h>
#include <sys/mman.h>

TEST(proc_rss_follows_touched_memory) {
    long rss0 = proc_rss_kb(), peak0 = proc_peak_rss_kb();
    CHECK(rss0 > 0);
    CHECK(peak0 >= rss0);
    size_t bytes = 64u << 20;
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED) return;
    memset(p, 1, bytes);
    long rss1 = proc_rss_kb(), peak1 = proc_peak_rss_kb();
    CHECK(rss1 - rss0 >= 60 * 1024);
    CHECK(peak1 >= rss1);
    munmap(p, bytes);
    long rss2 = proc_rss_kb();
    CHECK(rss1 - rss2 >= 60 * 1024);
    /* the kernel counts RSS per thread in batches of pages: allow it 1 MiB of lag */
    CHECK(proc_peak_rss_kb() >= peak1 - 1024);
}
