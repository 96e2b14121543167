/* fuzz_safetensors — st_open (header length, JSON header, dtypes, shapes, offsets, tiling,
 * __metadata__) and st_read_f32 of every float tensor, on any bytes. */
#include "fuzz.h"
#include "model/safetensors.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_write(0, "model.safetensors", data, size);
    SafeTensors st;
    XsErr err = {0};
    if (st_open(p, &st, &err)) return 0;
    for (int i = 0; i < st.n; i++) {
        const StTensor *t = &st.t[i];
        if (st_find(&st, t->name) == NULL) abort(); /* every listed tensor is found by its name */
        StDtype d = t->dtype;
        if (d != ST_F32 && d != ST_F16 && d != ST_BF16 && d != ST_F64) continue;
        size_t n = st_numel(t);
        float *dst = malloc((n ? n : 1) * sizeof *dst);
        XsErr e2 = {0};
        (void)st_read_f32(&st, t, dst, &e2);
        free(dst);
    }
    (void)st_meta(&st, "format");
    st_close(&st);
    return 0;
}
