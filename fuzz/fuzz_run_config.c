/* fuzz_run_config — run_config_load: an experiment config of `xstilts run` (JSON with rows, targets, seeds,
 * hyperparameters per scope, per-task paths). Paths in the input are only stat()ed / opened for reading. */
#include "fuzz.h"
#include "run/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_write(0, "study.json", data, size);
    RunConfig cfg;
    RunOverrides ov = {0, 0};
    XsErr err = {0};
    if (run_config_load(p, &ov, &cfg, &err) == 0) run_config_free(&cfg);
    return 0;
}
