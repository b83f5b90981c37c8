/* proc.h — what the process itself uses, for reports and for tests that bound memory: the
 * resident set size now and its peak (Linux /proc/self/status VmRSS and VmHWM). */
#ifndef NEEDLE_PROC_H
#define NEEDLE_PROC_H

/* Kibibytes, or -1 when /proc is not available. */
long proc_rss_kb(void);
long proc_peak_rss_kb(void);

#endif
