/* file.h — reading, memory-mapping and atomically writing files.
 *
 * Every checkpoint, index and model file is written through atomic_file: the bytes go to
 * "<path>.tmp.<pid>", are flushed and fsync'ed, then renamed over <path> and the directory
 * is fsync'ed. A crash, a kill or a full disk at any moment leaves either the old file or
 * the new one, never a torn mix. */
#ifndef NEEDLE_FILE_H
#define NEEDLE_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Read a whole file into a malloc'ed, NUL-terminated buffer. */
int file_read_all(const char *path, char **data, size_t *len);
/* Write a whole buffer atomically. */
int file_write_atomic(const char *path, const void *data, size_t len);
int file_exists(const char *path);
int dir_exists(const char *path);
/* mkdir -p. */
int dir_make(const char *path);
/* Join a directory and a name into a malloc'ed string. */
char *path_join(const char *dir, const char *name);
/* Read a text file and split it into lines (without "\n" or "\r\n"; no empty last line for
 * a final line break): *lines point into *text; free both. */
int file_read_lines(const char *path, char **text, char ***lines, size_t *n);
/* Copy a file (atomically at the destination). */
int file_copy(const char *src, const char *dst);

/* A read-only memory map of a whole file. */
typedef struct {
    const unsigned char *data;
    size_t size;
} file_map;
int file_map_open(file_map *m, const char *path);
void file_map_close(file_map *m);

/* A file being written atomically. Write through `fp`, then commit or abort. */
typedef struct {
    FILE *fp;
    char *path, *tmp_path;
} atomic_file;
int atomic_file_open(atomic_file *af, const char *path);
/* Flush, fsync, rename into place, fsync the directory. Closes in every case. */
int atomic_file_commit(atomic_file *af);
/* Remove the temporary file; the destination is untouched. */
void atomic_file_abort(atomic_file *af);

#endif
