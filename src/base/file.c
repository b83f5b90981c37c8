/* file.c — whole-file reads, memory maps and crash-safe atomic writes (see file.h). */
#include "needle/file.h"
#include "needle/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, char **data, size_t *len) {
    *data = NULL;
    if (len) *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open", path);
    if (fseek(fp, 0, SEEK_END) != 0) { fclose(fp); return error_errno(NEEDLE_EIO, "%s: cannot seek", path); }
    long size = ftell(fp);
    if (size < 0) { fclose(fp); return error_errno(NEEDLE_EIO, "%s: cannot tell size", path); }
    rewind(fp);
    char *buf = malloc((size_t)size + 1);
    if (!buf) { fclose(fp); return error_set(NEEDLE_ENOMEM, "%s: out of memory reading %ld bytes", path, size); }
    size_t got = fread(buf, 1, (size_t)size, fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad || got != (size_t)size) { free(buf); return error_errno(NEEDLE_EIO, "%s: read failed", path); }
    buf[got] = 0;
    *data = buf;
    if (len) *len = got;
    return 0;
}

int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int dir_make(const char *path) {
    char *p = strdup(path);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory");
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int rc = error_errno(NEEDLE_EIO, "%s: cannot create directory", p);
                free(p);
                return rc;
            }
            *s = c;
            if (!c) break;
        }
    }
    free(p);
    if (!dir_exists(path)) return error_set(NEEDLE_EIO, "%s: exists and is not a directory", path);
    return 0;
}

char *path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    size_t n = a;
    if (a && dir[a - 1] != '/') p[n++] = '/';
    memcpy(p + n, name, b + 1);
    return p;
}

int file_map_open(file_map *m, const char *path) {
    m->data = NULL;
    m->size = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) { close(fd); return error_errno(NEEDLE_EIO, "%s: cannot stat", path); }
    if (st.st_size == 0) { close(fd); return 0; }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return error_errno(NEEDLE_EIO, "%s: cannot map", path);
    m->data = p;
    m->size = (size_t)st.st_size;
    return 0;
}

void file_map_close(file_map *m) {
    if (m->data) munmap((void *)m->data, m->size);
    m->data = NULL;
    m->size = 0;
}

int atomic_file_open(atomic_file *af, const char *path) {
    af->fp = NULL;
    af->path = strdup(path);
    size_t n = strlen(path) + 32;
    af->tmp_path = malloc(n);
    if (!af->path || !af->tmp_path) {
        free(af->path);
        free(af->tmp_path);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    snprintf(af->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp_path, "wb");
    if (!af->fp) {
        int rc = error_errno(NEEDLE_EIO, "%s: cannot create temporary file", af->tmp_path);
        free(af->path);
        free(af->tmp_path);
        af->path = af->tmp_path = NULL;
        return rc;
    }
    return 0;
}

static int fsync_parent_dir(const char *path) {
    char *copy = strdup(path);
    if (!copy) return error_set(NEEDLE_ENOMEM, "out of memory");
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0) return 0; /* some file systems do not allow it; the rename is still atomic */
    fsync(fd);
    close(fd);
    return 0;
}

int atomic_file_commit(atomic_file *af) {
    int rc = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp))
        rc = error_errno(NEEDLE_EIO, "%s: write failed (disk full?); the previous file is kept", af->path);
    else if (fsync(fileno(af->fp)) != 0)
        rc = error_errno(NEEDLE_EIO, "%s: fsync failed; the previous file is kept", af->path);
    if (fclose(af->fp) != 0 && !rc)
        rc = error_errno(NEEDLE_EIO, "%s: close failed; the previous file is kept", af->path);
    af->fp = NULL;
    if (!rc && rename(af->tmp_path, af->path) != 0)
        rc = error_errno(NEEDLE_EIO, "%s: cannot rename temporary file into place", af->path);
    if (rc) unlink(af->tmp_path);
    else rc = fsync_parent_dir(af->path);
    free(af->path);
    free(af->tmp_path);
    af->path = af->tmp_path = NULL;
    return rc;
}

void atomic_file_abort(atomic_file *af) {
    if (af->fp) fclose(af->fp);
    if (af->tmp_path) unlink(af->tmp_path);
    free(af->path);
    free(af->tmp_path);
    af->fp = NULL;
    af->path = af->tmp_path = NULL;
}

int file_write_atomic(const char *path, const void *data, size_t len) {
    atomic_file af;
    int rc = atomic_file_open(&af, path);
    if (rc) return rc;
    if (len && fwrite(data, 1, len, af.fp) != len) {
        rc = error_errno(NEEDLE_EIO, "%s: write failed (disk full?); the previous file is kept", path);
        atomic_file_abort(&af);
        return rc;
    }
    return atomic_file_commit(&af);
}

int file_read_lines(const char *path, char **text, char ***lines, size_t *n) {
    size_t len;
    *lines = NULL;
    *n = 0;
    int rc = file_read_all(path, text, &len);
    if (rc) return rc;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += (*text)[i] == '\n';
    if (!(*lines = malloc(cap * sizeof **lines))) {
        free(*text);
        *text = NULL;
        return error_set(NEEDLE_ENOMEM, "%s: out of memory for %zu lines", path, cap);
    }
    for (char *p = *text; p < *text + len;) {
        char *nl = memchr(p, '\n', (size_t)(*text + len - p));
        char *end = nl ? nl : *text + len;
        if (end > p && end[-1] == '\r') end[-1] = 0;
        *end = 0;
        (*lines)[(*n)++] = p;
        p = nl ? nl + 1 : *text + len;
    }
    return 0;
}

int file_copy(const char *src, const char *dst) {
    char *data;
    size_t len;
    int rc = file_read_all(src, &data, &len);
    if (rc) return rc;
    rc = file_write_atomic(dst, data, len);
    free(data);
    return rc;
}
