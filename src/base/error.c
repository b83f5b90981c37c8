/* error.c — per-thread error messages for the library's return-code regime (see error.h). */
#include "needle/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_CAP 2048
static _Thread_local char error_text[ERROR_CAP];

int error_set(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_text, ERROR_CAP, fmt, ap);
    va_end(ap);
    return code;
}

int error_errno(int code, const char *fmt, ...) {
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(error_text, ERROR_CAP, fmt, ap);
    va_end(ap);
    if (n >= 0 && n < ERROR_CAP) snprintf(error_text + n, ERROR_CAP - n, ": %s", strerror(saved));
    return code;
}

int error_prefix(int code, const char *fmt, ...) {
    char old[ERROR_CAP];
    memcpy(old, error_text, ERROR_CAP);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(error_text, ERROR_CAP, fmt, ap);
    va_end(ap);
    if (n >= 0 && n < ERROR_CAP) snprintf(error_text + n, ERROR_CAP - n, "%s", old);
    return code;
}

const char *error_message(void) { return error_text; }

const char *error_name(int code) {
    switch (code) {
    case NEEDLE_OK: return "ok";
    case NEEDLE_EIO: return "i/o error";
    case NEEDLE_EFORMAT: return "format error";
    case NEEDLE_ENOMEM: return "out of memory";
    case NEEDLE_EINVAL: return "invalid argument";
    case NEEDLE_ENOTFOUND: return "not found";
    case NEEDLE_EUNSUPPORTED: return "unsupported";
    default: return "unknown error";
    }
}
