/* convert.c — choosing a converter for an uploaded file and running it (convert.h); PDF text
 * comes from poppler's pdftotext, run as a child process on a private temporary file, with no
 * shell in between. */
#include "needle/convert.h"
#include "needle/error.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utf8proc.h>

extern char **environ;

static const char *extension(const char *name) {
    const char *dot = name ? strrchr(name, '.') : NULL;
    const char *slash = name ? strrchr(name, '/') : NULL;
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

static int starts_ci(const char *s, size_t n, const char *prefix) {
    size_t k = strlen(prefix);
    return n >= k && !strncasecmp(s, prefix, k);
}

convert_kind convert_detect(const char *filename, const char *content_type, const char *data, size_t len) {
    const char *ext = extension(filename);
    if (!strcasecmp(ext, "txt") || !strcasecmp(ext, "text")) return CONVERT_TEXT;
    if (!strcasecmp(ext, "md") || !strcasecmp(ext, "markdown")) return CONVERT_MARKDOWN;
    if (!strcasecmp(ext, "html") || !strcasecmp(ext, "htm") || !strcasecmp(ext, "xhtml")) return CONVERT_HTML;
    if (!strcasecmp(ext, "pdf")) return CONVERT_PDF;
    if (content_type) {
        if (starts_ci(content_type, strlen(content_type), "text/plain")) return CONVERT_TEXT;
        if (starts_ci(content_type, strlen(content_type), "text/markdown")) return CONVERT_MARKDOWN;
        if (starts_ci(content_type, strlen(content_type), "text/html") ||
            starts_ci(content_type, strlen(content_type), "application/xhtml+xml"))
            return CONVERT_HTML;
        if (starts_ci(content_type, strlen(content_type), "application/pdf")) return CONVERT_PDF;
    }
    if (len >= 5 && !memcmp(data, "%PDF-", 5)) return CONVERT_PDF;
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) i++;
    if (starts_ci(data + i, len - i, "<!doctype html") || starts_ci(data + i, len - i, "<html")) return CONVERT_HTML;
    return CONVERT_UNKNOWN;
}

const char *convert_kind_name(convert_kind k) {
    switch (k) {
    case CONVERT_TEXT: return "text";
    case CONVERT_MARKDOWN: return "markdown";
    case CONVERT_HTML: return "html";
    case CONVERT_PDF: return "pdf";
    default: return "unknown";
    }
}

static int check_utf8(const char *origin, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) return error_set(NEEDLE_EFORMAT, "%s: not valid UTF-8 at byte %zu (save the file as UTF-8)", origin, i);
        i += (size_t)k;
    }
    return 0;
}

/* The path of an executable named `name` on PATH, into buf; 0 when found. */
static int find_program(const char *name, char *buf, size_t cap) {
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(buf, cap, "%.*s/%s", (int)n, n ? p : ".", name);
        if (access(buf, X_OK) == 0) return 0;
        p += n + (colon ? 1 : 0);
    }
    return -1;
}

int convert_pdf(const char *origin, const char *pdf, size_t len, strbuf *out) {
    char prog[4096];
    if (find_program("pdftotext", prog, sizeof prog))
        return error_set(NEEDLE_EUNSUPPORTED, "%s: PDF needs poppler's pdftotext (Debian package poppler-utils), "
                         "which is not installed", origin);
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/needle-upload-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return error_errno(NEEDLE_EIO, "%s: cannot create a temporary file in %s", origin, path);
    int rc = 0, pipefd[2] = {-1, -1};
    pid_t pid = -1;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, pdf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { rc = error_errno(NEEDLE_EIO, "%s: writing temporary file %s", origin, path); break; }
        off += (size_t)w;
    }
    close(fd);
    if (rc) goto done;
    if (pipe(pipefd)) { rc = error_errno(NEEDLE_EIO, "%s: pipe for pdftotext", origin); goto done; }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {prog, "-enc", "UTF-8", "-q", path, "-", NULL};
    int sp = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    pipefd[1] = -1;
    if (sp) { rc = error_set(NEEDLE_EIO, "%s: cannot run %s: %s", origin, prog, strerror(sp)); pid = -1; goto done; }
    char buf[65536];
    for (;;) {
        ssize_t r = read(pipefd[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (!rc && strbuf_append(out, buf, (size_t)r)) rc = error_prefix(NEEDLE_ENOMEM, "%s: ", origin);
    }
done:
    if (pipefd[0] >= 0) close(pipefd[0]);
    if (pid > 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            rc = error_set(NEEDLE_EFORMAT, "%s: pdftotext could not read the file (not a PDF, damaged or encrypted; "
                           "exit status %d)", origin, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    unlink(path);
    return rc;
}

int convert_to_text(convert_kind kind, const char *origin, const char *data, size_t len, strbuf *out) {
    if (kind == CONVERT_PDF) {
        size_t before = out->len;
        int rc = convert_pdf(origin, data, len, out);
        if (rc) return rc;
        return check_utf8(origin, out->data + before, out->len - before);
    }
    if (kind == CONVERT_UNKNOWN)
        return error_set(NEEDLE_EUNSUPPORTED, "%s: unsupported file type (plain text .txt, Markdown .md, HTML .html "
                         "or PDF .pdf)", origin);
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    int rc = check_utf8(origin, data, len);
    if (rc) return rc;
    if (kind == CONVERT_HTML) rc = convert_html(data, len, out);
    else if (kind == CONVERT_MARKDOWN) rc = convert_markdown(data, len, out);
    else rc = strbuf_append(out, data, len);
    return rc ? error_prefix(rc, "%s: ", origin) : 0;
}
