/* fuzz_config — config_load: a model folder's config.json (HF PretrainedConfig fields). */
#include "fuzz.h"
#include "model/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_write(0, "config.json", data, size);
    ModelConfig cfg;
    XsErr err = {0};
    (void)config_load(p, &cfg, &err);
    return 0;
}
