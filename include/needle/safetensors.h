/* safetensors.h — reading and writing Hugging Face's safetensors format.
 *
 * A safetensors file is: an 8-byte little-endian header length N, N bytes of JSON mapping
 * each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to
 * the data section that follows the header), an optional "__metadata__" object of strings,
 * then the raw little-endian tensor bytes. Files are memory-mapped; every offset, size and
 * dtype is validated when the file is opened so that later reads cannot run past the map.
 * A sharded checkpoint (model.safetensors.index.json with a "weight_map") opens as one set.
 *
 * Reads convert to what the model computes in: F32, F16, BF16 (and F64) become fp32;
 * integer tensors (I64, I32, I16, I8, U8, BOOL) become int32 with a range check. */
#ifndef NEEDLE_SAFETENSORS_H
#define NEEDLE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "needle/file.h"

typedef enum {
    ST_F64, ST_F32, ST_F16, ST_BF16, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL,
} st_dtype;

#define ST_MAX_DIMS 8

typedef struct {
    char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t numel, nbytes;
    const unsigned char *data; /* into the memory map; may be unaligned */
    int file;                  /* index into the set's files (shards) */
} st_tensor;

typedef struct {
    int n_files;
    char **paths;    /* one per shard, for messages */
    file_map *maps;
    int n;           /* tensors */
    st_tensor *tensors;
} safetensors;

/* Open one .safetensors file. On error nothing is left open. */
int safetensors_open(safetensors *st, const char *path);
/* Open the weights of a model directory: model.safetensors, or the shards listed by
 * model.safetensors.index.json. A directory holding only pytorch_model.bin gets a message
 * saying how to convert it. */
int safetensors_open_dir(safetensors *st, const char *dir);
void safetensors_close(safetensors *st);

/* The tensor called `name`, or NULL. */
const st_tensor *safetensors_find(const safetensors *st, const char *name);
/* The file a tensor came from (for messages). */
const char *safetensors_path(const safetensors *st, const st_tensor *t);
const char *st_dtype_name(st_dtype d);
/* "[2, 64]" into buf, for messages. */
void st_shape_text(char *buf, size_t cap, int ndim, const int64_t *shape);
size_t st_dtype_size(st_dtype d);

/* Convert a floating-point tensor into out[numel]. */
int safetensors_read_f32(const safetensors *st, const st_tensor *t, float *out);
/* Convert an integer tensor into out[numel]; values outside int32 are an error. */
int safetensors_read_i32(const safetensors *st, const st_tensor *t, int32_t *out);

/* Helpers for callers that know what they want: find `name`, check its element count
 * (and, when ndim > 0, its exact shape), then convert into a malloc'ed array. */
int safetensors_load_f32(const safetensors *st, const char *name, int ndim, const int64_t *shape,
                         float **out, size_t *numel);
int safetensors_load_i32(const safetensors *st, const char *name, int ndim, const int64_t *shape,
                         int32_t **out, size_t *numel);

/* One tensor to write; `data` holds numel * st_dtype_size(dtype) bytes in that dtype. */
typedef struct {
    const char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;
} st_entry;

/* Write tensors (sorted by name) atomically to `path`, with __metadata__ {"format": "pt"}
 * so that transformers' from_pretrained accepts the file. */
int safetensors_write(const char *path, const st_entry *entries, int n);

/* fp16 / bf16 -> fp32 (exact: every half and bfloat16 value is a float). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);

#endif
