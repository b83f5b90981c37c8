/* error.h — the library's error regime.
 *
 * Library functions return 0 on success or a negative NEEDLE_E* code, and leave a
 * human-readable message (naming the file, field or tensor at fault) in a per-thread
 * buffer. Only the CLI decides to print it and exit. Callers that add context wrap the
 * message with error_prefix() so that the final text reads outermost-first. */
#ifndef NEEDLE_ERROR_H
#define NEEDLE_ERROR_H

enum {
    NEEDLE_OK = 0,
    NEEDLE_EIO = -1,          /* the operating system refused (open, read, write, fsync, rename) */
    NEEDLE_EFORMAT = -2,      /* a file's content is malformed or from another version */
    NEEDLE_ENOMEM = -3,       /* an allocation failed */
    NEEDLE_EINVAL = -4,       /* an argument or option is out of range or inconsistent */
    NEEDLE_ENOTFOUND = -5,    /* a file, tensor, field or id does not exist */
    NEEDLE_EUNSUPPORTED = -6, /* a valid input this build does not handle */
};

/* Record a formatted message for this thread and return `code`, so that
 * `return error_set(NEEDLE_EFORMAT, "%s: bad header", path);` reads naturally. */
int error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like error_set, with strerror(errno) appended. */
int error_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepend context to the current message ("loading model: " + old message); returns code. */
int error_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message set on this thread ("" when none). */
const char *error_message(void);
/* The generic name of an error code ("format error", ...). */
const char *error_name(int code);

#endif
