/* proc.c — the process's resident memory from /proc/self/status (see proc.h). */
#include "needle/proc.h"

#include <stdio.h>
#include <string.h>

/* The value of a "Name:   123 kB" line of /proc/self/status. */
static long status_kb(const char *name) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, name, n) && line[n] == ':') {
            if (sscanf(line + n + 1, "%ld", &v) != 1) v = -1;
            break;
        }
    fclose(f);
    return v;
}

long proc_rss_kb(void) { return status_kb("VmRSS"); }
long proc_peak_rss_kb(void) { return status_kb("VmHWM"); }
