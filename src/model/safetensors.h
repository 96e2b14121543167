/* safetensors.h — read (mmap, fully validated header) and write (atomic, F32) the safetensors
 * format of huggingface/safetensors. Which tensors a model needs is model.c's business. */
#ifndef XS_SAFETENSORS_H
#define XS_SAFETENSORS_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

/* Every dtype of the safetensors spec; only the float ones convert to F32. */
typedef enum {
    ST_F32 = 0, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8,
    ST_U8, ST_U16, ST_U32, ST_U64, ST_BOOL, ST_F8_E4M3, ST_F8_E5M2, ST_NDTYPES
} StDtype;

#define ST_MAX_DIMS 8

typedef struct StTensor {
    char *name;                 /* owned */
    StDtype dtype;
    int ndim;                   /* 0..ST_MAX_DIMS (0 = scalar) */
    int64_t shape[ST_MAX_DIMS];
    size_t begin, end;          /* byte offsets into the data section (after the header) */
} StTensor;

typedef struct SafeTensors {
    StTensor *t;                /* [n] in header order */
    int n;
    const char *path;           /* owned copy */
    int fd;
    const uint8_t *map;         /* the whole file, read-only mmap (NULL for an empty data section) */
    size_t file_size;
    size_t data_start;          /* 8 + header length */
    char **meta_keys, **meta_vals; /* __metadata__ (string -> string), [n_meta], owned */
    int n_meta;
} SafeTensors;

/* Name ("F32", "BF16", ...) and size in bytes of a dtype. */
const char *st_dtype_name(StDtype d);
size_t st_dtype_size(StDtype d);
size_t st_numel(const StTensor *t);

/* Opens and mmaps path and validates everything before returning: 8-byte little-endian header
 * length within the file, a JSON object header, every entry with a known dtype, a shape of
 * non-negative integers, data_offsets [begin, end] with end - begin == numel * dtype size, no two
 * tensors overlapping, and the tensors tiling the data section exactly (as the reference
 * implementation requires). `__metadata__` must map strings to strings. On error st is left closed. */
int st_open(const char *path, SafeTensors *st, XsErr *err);
const StTensor *st_find(const SafeTensors *st, const char *name);
/* Raw bytes of a tensor inside the mapping (unaligned in general). */
const void *st_data(const SafeTensors *st, const StTensor *t);
/* Converts F32 / F16 / BF16 / F64 to F32 into dst[numel] (F16/BF16 exactly, incl. subnormals,
 * inf and nan; F64 rounds to nearest). Afterwards the tensor's pages are dropped from this
 * process (MADV_DONTNEED), so loading a model never keeps the file resident next to the block. */
int st_read_f32(const SafeTensors *st, const StTensor *t, float *dst, XsErr *err);
/* Value of a __metadata__ key or NULL. */
const char *st_meta(const SafeTensors *st, const char *key);
void st_close(SafeTensors *st);

typedef struct StWriteItem {
    const char *name;
    const float *data;          /* [numel] */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
} StWriteItem;

/* Writes items as F32 in the given order, header padded with spaces to a multiple of 8 bytes and
 * `__metadata__: {"format": "pt"}` (what transformers' save_pretrained writes), atomically
 * (temp + rename). Same items -> same bytes. */
int st_write_f32(const char *path, const StWriteItem *items, int n, XsErr *err);

/* Exact scalar conversions (exposed for tests). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);

#endif
