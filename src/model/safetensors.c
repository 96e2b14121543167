/* safetensors.c — the safetensors file format (huggingface/safetensors, format spec in its
 * README / safetensors/src/tensor.rs): mmap + header validation, dtype conversion to F32, F32 writer.
 * It knows nothing about models: names and shapes are checked against a config in model.c. */
#include "model/safetensors.h"
#include "core/mem.h"
#include "core/util.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host (the format is little-endian)"
#endif

/* The reference implementation refuses headers above 100 MB (MAX_HEADER_SIZE in tensor.rs). */
#define ST_MAX_HEADER ((uint64_t)100000000)
/* Tensors are copied out of the mapping in chunks this large, then the pages are dropped. */
#define ST_CHUNK ((size_t)4 << 20)

static const struct { const char *name; size_t size; } DTYPES[ST_NDTYPES] = {
    [ST_F32] = {"F32", 4},   [ST_F16] = {"F16", 2},   [ST_BF16] = {"BF16", 2}, [ST_F64] = {"F64", 8},
    [ST_I64] = {"I64", 8},   [ST_I32] = {"I32", 4},   [ST_I16] = {"I16", 2},   [ST_I8] = {"I8", 1},
    [ST_U8] = {"U8", 1},     [ST_U16] = {"U16", 2},   [ST_U32] = {"U32", 4},   [ST_U64] = {"U64", 8},
    [ST_BOOL] = {"BOOL", 1}, [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
};

const char *st_dtype_name(StDtype d) { return (unsigned)d < ST_NDTYPES ? DTYPES[d].name : "?"; }
size_t st_dtype_size(StDtype d) { return (unsigned)d < ST_NDTYPES ? DTYPES[d].size : 0; }

size_t st_numel(const StTensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

float st_f16_to_f32(uint16_t h) {
    /* IEEE binary16 -> binary32, exact. Like the F16C instruction (vcvtph2ps) that PyTorch's
     * CPU conversion uses, a signalling NaN comes out quiet; the payload is kept. */
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    if (e == 0) {
        float v = ldexpf((float)m, -24); /* zero or subnormal: m * 2^-24 is exact in f32 */
        memcpy(&bits, &v, 4);
        bits |= sign;
    } else if (e == 31) {
        bits = sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0);
    } else {
        bits = sign | ((e + 112) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float st_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16; /* bfloat16 is the top half of a binary32 */
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* F16 -> F32 of all 65536 patterns (256 KB), built once: a lookup is ~20x faster than the
 * branchy scalar conversion on real data with subnormals. */
static float f16_table[65536];
static pthread_once_t f16_once = PTHREAD_ONCE_INIT;
static void f16_table_init(void) {
    for (uint32_t i = 0; i < 65536; i++) f16_table[i] = st_f16_to_f32((uint16_t)i);
}

static StDtype dtype_parse(const char *s) {
    for (int i = 0; i < ST_NDTYPES; i++)
        if (!strcmp(s, DTYPES[i].name)) return (StDtype)i;
    return ST_NDTYPES;
}

static void st_free_fields(SafeTensors *st) {
    for (int i = 0; i < st->n; i++) free(st->t[i].name);
    free(st->t);
    for (int i = 0; i < st->n_meta; i++) { free(st->meta_keys[i]); free(st->meta_vals[i]); }
    free(st->meta_keys);
    free(st->meta_vals);
    if (st->map && st->file_size) munmap((void *)st->map, st->file_size);
    if (st->fd >= 0) close(st->fd);
    free((char *)st->path);
    memset(st, 0, sizeof *st);
    st->fd = -1;
}

void st_close(SafeTensors *st) { st_free_fields(st); }

static char *shape_str(const int64_t *shape, int ndim, char *buf, size_t cap) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
    return buf;
}

/* One header entry -> t. Returns -1 with err on anything malformed. */
static int parse_entry(const char *path, const char *name, json_t *v, StTensor *t, XsErr *err) {
    if (!json_is_object(v)) return err_set(err, path, 0, "header entry '%s': expected an object with dtype, shape, data_offsets", name);
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"), *jo = json_object_get(v, "data_offsets");
    if (!json_is_string(jd)) return err_set(err, path, 0, "tensor '%s': expected a string \"dtype\"", name);
    t->dtype = dtype_parse(json_string_value(jd));
    if (t->dtype == ST_NDTYPES)
        return err_set(err, path, 0, "tensor '%s': unknown dtype \"%s\" (expected one of F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32 U16 U8 BOOL F8_E4M3 F8_E5M2)",
                       name, json_string_value(jd));
    if (!json_is_array(js)) return err_set(err, path, 0, "tensor '%s': expected an array \"shape\"", name);
    if (json_array_size(js) > ST_MAX_DIMS)
        return err_set(err, path, 0, "tensor '%s': expected at most %d dimensions, found %zu", name, ST_MAX_DIMS, json_array_size(js));
    t->ndim = (int)json_array_size(js);
    size_t numel = 1;
    int overflow = 0;
    for (int i = 0; i < t->ndim; i++) {
        json_t *d = json_array_get(js, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return err_set(err, path, 0, "tensor '%s': shape[%d]: expected a non-negative integer", name, i);
        t->shape[i] = json_integer_value(d);
        size_t dim = (size_t)t->shape[i];
        if (dim && numel > SIZE_MAX / dim) overflow = 1;
        else numel *= dim;
    }
    if (!json_is_array(jo) || json_array_size(jo) != 2 || !json_is_integer(json_array_get(jo, 0)) ||
        !json_is_integer(json_array_get(jo, 1)))
        return err_set(err, path, 0, "tensor '%s': expected \"data_offsets\": [begin, end] (two integers)", name);
    json_int_t b = json_integer_value(json_array_get(jo, 0)), e = json_integer_value(json_array_get(jo, 1));
    if (b < 0 || e < b)
        return err_set(err, path, 0, "tensor '%s': data_offsets [%lld, %lld]: expected 0 <= begin <= end", name, (long long)b, (long long)e);
    t->begin = (size_t)b;
    t->end = (size_t)e;
    size_t es = st_dtype_size(t->dtype);
    char sb[160];
    if (overflow || numel > SIZE_MAX / es || (size_t)(e - b) != numel * es)
        return err_set(err, path, 0, "tensor '%s': data_offsets [%lld, %lld] span %lld bytes, expected %s x %s (%zu bytes) = %s",
                       name, (long long)b, (long long)e, (long long)(e - b), shape_str(t->shape, t->ndim, sb, sizeof sb),
                       st_dtype_name(t->dtype), es, overflow ? "overflow" : "numel * dtype size");
    return 0;
}

static int parse_metadata(const char *path, json_t *v, SafeTensors *st, XsErr *err) {
    if (!json_is_object(v)) return err_set(err, path, 0, "__metadata__: expected an object of string values");
    size_t n = json_object_size(v);
    st->meta_keys = xcalloc(n ? n : 1, sizeof(char *));
    st->meta_vals = xcalloc(n ? n : 1, sizeof(char *));
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        if (!json_is_string(x)) return err_set(err, path, 0, "__metadata__['%s']: expected a string value", k);
        st->meta_keys[st->n_meta] = xstrdup(k);
        st->meta_vals[st->n_meta++] = xstrdup(json_string_value(x));
    }
    return 0;
}

typedef struct { size_t begin, end; int idx; } Span;
static int cmp_spans(const void *a, const void *b) {
    const Span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->idx - y->idx;
}

/* The tensors must not overlap and must tile [0, data_size) exactly (tensor.rs validate()). */
static int check_layout(const char *path, const SafeTensors *st, size_t data_size, XsErr *err) {
    Span *sp = xmalloc((size_t)(st->n ? st->n : 1) * sizeof *sp);
    for (int i = 0; i < st->n; i++) sp[i] = (Span){st->t[i].begin, st->t[i].end, i};
    qsort(sp, (size_t)st->n, sizeof *sp, cmp_spans);
    size_t pos = 0;
    int rc = 0;
    for (int k = 0; k < st->n && !rc; k++) {
        const StTensor *t = &st->t[sp[k].idx];
        if (t->end > data_size)
            rc = err_set(err, path, 0, "tensor '%s': data_offsets [%zu, %zu] go past the end of the data section (%zu bytes): file truncated or offsets out of range",
                         t->name, t->begin, t->end, data_size);
        else if (t->begin < pos) {
            const StTensor *p = &st->t[sp[k - 1].idx];
            rc = err_set(err, path, 0, "tensors '%s' [%zu, %zu] and '%s' [%zu, %zu] overlap", p->name, p->begin, p->end, t->name,
                         t->begin, t->end);
        } else if (t->begin > pos)
            rc = err_set(err, path, 0, "tensor '%s' starts at byte %zu of the data section, expected %zu (tensors must be contiguous)",
                         t->name, t->begin, pos);
        else
            pos = t->end;
    }
    if (!rc && pos != data_size)
        rc = err_set(err, path, 0, "the data section has %zu bytes but the tensors cover %zu (expected equal)", data_size, pos);
    free(sp);
    return rc;
}

int st_open(const char *path, SafeTensors *st, XsErr *err) {
    memset(st, 0, sizeof *st);
    st->fd = -1;
    st->path = xstrdup(path);
    st->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (st->fd < 0) { err_set(err, path, 0, "cannot open: %s", strerror(errno)); st_free_fields(st); return -1; }
    struct stat sb;
    if (fstat(st->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        err_set(err, path, 0, S_ISDIR(sb.st_mode) ? "is a directory; expected a file" : "expected a regular file");
        st_free_fields(st);
        return -1;
    }
    st->file_size = (size_t)sb.st_size;
    int rc = 0;
    json_t *root = NULL;
    if (st->file_size < 8) {
        rc = err_set(err, path, 0, "file truncated: %zu bytes, expected at least the 8-byte header length", st->file_size);
        goto done;
    }
    st->map = mmap(NULL, st->file_size, PROT_READ, MAP_PRIVATE, st->fd, 0);
    if (st->map == MAP_FAILED) {
        st->map = NULL;
        rc = err_set(err, path, 0, "mmap failed: %s", strerror(errno));
        goto done;
    }
    uint64_t hlen;
    memcpy(&hlen, st->map, 8);
    if (hlen > st->file_size - 8) {
        rc = err_set(err, path, 0, "header length %llu exceeds the file (%zu bytes after the 8-byte length): file truncated or not safetensors",
                     (unsigned long long)hlen, st->file_size - 8);
        goto done;
    }
    if (hlen > ST_MAX_HEADER) { rc = err_set(err, path, 0, "header length %llu above the 100 MB limit", (unsigned long long)hlen); goto done; }
    if (hlen < 2 || st->map[8] != '{') { rc = err_set(err, path, 0, "malformed header: expected a JSON object starting with '{'"); goto done; }
    st->data_start = 8 + (size_t)hlen;
    json_error_t je;
    root = json_loadb((const char *)st->map + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        rc = err_set(err, path, 0, "malformed header JSON: %s (header line %d, column %d)", je.text, je.line, je.column);
        goto done;
    }
    if (!json_is_object(root)) { rc = err_set(err, path, 0, "malformed header: expected a JSON object"); goto done; }
    st->t = xcalloc(json_object_size(root) + 1, sizeof *st->t);
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (!strcmp(key, "__metadata__")) {
            if ((rc = parse_metadata(path, val, st, err))) goto done;
            continue;
        }
        StTensor *t = &st->t[st->n];
        memset(t, 0, sizeof *t);
        if ((rc = parse_entry(path, key, val, t, err))) goto done;
        t->name = xstrdup(key);
        st->n++;
    }
    rc = check_layout(path, st, st->file_size - st->data_start, err);
done:
    json_decref(root);
    if (rc) st_free_fields(st);
    return rc;
}

const StTensor *st_find(const SafeTensors *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return &st->t[i];
    return NULL;
}

const void *st_data(const SafeTensors *st, const StTensor *t) { return st->map + st->data_start + t->begin; }

const char *st_meta(const SafeTensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_keys[i], key)) return st->meta_vals[i];
    return NULL;
}

/* Drops the pages of [p, p+n) from this process's resident set; the page cache keeps them. */
static void drop_pages(const uint8_t *p, size_t n) {
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)(ps - 1), b = ((uintptr_t)(p + n) + (uintptr_t)ps - 1) & ~(uintptr_t)(ps - 1);
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
}

static void convert(StDtype d, const uint8_t *src, float *dst, size_t n) {
    switch (d) {
    case ST_F32: memcpy(dst, src, n * 4); break;
    case ST_F16:
        pthread_once(&f16_once, f16_table_init);
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2); /* the data section need not be aligned */
            dst[i] = f16_table[h];
        }
        break;
    case ST_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            dst[i] = st_bf16_to_f32(h);
        }
        break;
    case ST_F64:
        for (size_t i = 0; i < n; i++) {
            double x;
            memcpy(&x, src + 8 * i, 8);
            dst[i] = (float)x;
        }
        break;
    default: CHECK(0, "convert: dtype %s is not a float type", st_dtype_name(d));
    }
}

int st_read_f32(const SafeTensors *st, const StTensor *t, float *dst, XsErr *err) {
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16 && t->dtype != ST_F64)
        return err_set(err, st->path, 0, "tensor '%s': dtype %s, expected a float type (F32, F16, BF16 or F64)", t->name,
                       st_dtype_name(t->dtype));
    size_t n = st_numel(t), es = st_dtype_size(t->dtype);
    if (!n) return 0;
    if (t->dtype == ST_F32) {
        /* pread straight into place: no page faults on the mapping, no second copy resident */
        size_t done = 0, want = n * 4;
        while (done < want) {
            ssize_t r = pread(st->fd, (char *)dst + done, want - done, (off_t)(st->data_start + t->begin + done));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return err_set(err, st->path, 0, "tensor '%s': read failed: %s", t->name, r < 0 ? strerror(errno) : "file shrank");
            done += (size_t)r;
        }
        return 0;
    }
    const uint8_t *src = st->map + st->data_start + t->begin;
    size_t per = ST_CHUNK / es;
    for (size_t i = 0; i < n; i += per) {
        size_t k = n - i < per ? n - i : per;
        convert(t->dtype, src + i * es, dst + i, k);
        drop_pages(src + i * es, k * es);
    }
    return 0;
}

int st_write_f32(const char *path, const StWriteItem *items, int n, XsErr *err) {
    json_t *root = json_object(), *meta = json_object();
    json_object_set_new(meta, "format", json_string("pt"));
    json_object_set_new(root, "__metadata__", meta);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const StWriteItem *it = &items[i];
        CHECK(it->ndim >= 0 && it->ndim <= ST_MAX_DIMS, "st_write_f32: tensor %s has %d dims", it->name, it->ndim);
        CHECK(!json_object_get(root, it->name), "st_write_f32: duplicate tensor name %s", it->name);
        json_t *e = json_object(), *shape = json_array();
        size_t numel = 1;
        for (int d = 0; d < it->ndim; d++) {
            CHECK(it->shape[d] >= 0, "st_write_f32: negative dim in %s", it->name);
            json_array_append_new(shape, json_integer(it->shape[d]));
            numel *= (size_t)it->shape[d];
        }
        json_object_set_new(e, "dtype", json_string("F32"));
        json_object_set_new(e, "shape", shape);
        json_t *offs = json_array();
        json_array_append_new(offs, json_integer((json_int_t)off));
        json_array_append_new(offs, json_integer((json_int_t)(off + 4 * numel)));
        json_object_set_new(e, "data_offsets", offs);
        json_object_set_new(root, it->name, e);
        off += 4 * numel;
    }
    /* insertion order is kept by jansson >= 2.8, so the bytes depend only on the items */
    char *hdr = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    CHECK(hdr, "st_write_f32: json_dumps failed");
    size_t hl = strlen(hdr), padded = (hl + 7) & ~(size_t)7;
    uint64_t hl64 = padded;
    AtomicFile af;
    if (atomic_open(&af, path, err)) { free(hdr); return -1; }
    int bad = fwrite(&hl64, 8, 1, af.f) != 1 || fwrite(hdr, 1, hl, af.f) != hl;
    for (size_t i = hl; i < padded && !bad; i++) bad = fputc(' ', af.f) == EOF;
    free(hdr);
    for (int i = 0; i < n && !bad; i++) {
        size_t numel = 1;
        for (int d = 0; d < items[i].ndim; d++) numel *= (size_t)items[i].shape[d];
        if (numel) bad = fwrite(items[i].data, 4, numel, af.f) != numel;
    }
    if (bad) {
        atomic_abort(&af);
        return err_set(err, path, 0, "write failed: %s", strerror(errno));
    }
    return atomic_commit(&af, err);
}
