/* fuzz_npy — npy_read_f32: magic, version, header dict (descr, fortran_order, shape), size. */
#include "fuzz.h"
#include "core/util.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_write(0, "x.npy", data, size);
    size_t rows = 0, cols = 0;
    XsErr err = {0};
    float *x = npy_read_f32(p, &rows, &cols, &err);
    if (x) {
        float sum = 0;
        for (size_t i = 0; i < rows * cols; i++) sum += x[i]; /* every element is readable */
        free(x);
        return sum == 0.5f ? 0 : 0;
    }
    return 0;
}
