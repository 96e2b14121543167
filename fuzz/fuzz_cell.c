/* fuzz_cell — cell_load: one cell.json of a run folder (what `xstilts report` rebuilds every report from). */
#include "fuzz.h"
#include "run/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_write(0, "cell.json", data, size);
    XsErr err = {0};
    json_t *c = cell_load(p, &err);
    json_decref(c);
    return 0;
}
