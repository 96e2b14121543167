/* fuzz_cell — cell_load: one cell.json of a run folder (what `xstilts report` rebuilds every report from). cell.json
 * is sealed (core/seal.h): a JSON object without a "sha256" member is sealed first, so the field checks behind the
 * seal are reached; anything else is read as it is (the seal's own check). */
#include "fuzz.h"
#include "core/seal.h"
#include "run/report.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_write(0, "cell.json", data, size);
    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    XsErr err = {0};
    if (json_is_object(o) && !json_object_get(o, SEAL_KEY) && json_write_sealed(p, o, &err)) abort();
    json_decref(o);
    json_t *c = cell_load(p, &err);
    json_decref(c);
    return 0;
}
