/* fuzz_aggregate — aggregate_xtreme on a results JSON ({task: {lang: {metric: number}}}), as
 * `xstilts aggregate` reads it, and the Markdown/CSV renderings of the report. Mode byte:
 * allow_incomplete. */
#include "fuzz.h"
#include "eval/aggregate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, 2);
    json_error_t je;
    json_t *res = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!res) return 0;
    AggOpts o = {.allow_incomplete = (int)mode};
    XsErr err = {0};
    json_t *rep = aggregate_xtreme(res, &o, "results.json", &err);
    if (rep) {
        XsErr e2 = {0};
        (void)aggregate_write_markdown(rep, fz_path(0, "report.md"), &e2);
        (void)aggregate_write_csv(rep, fz_path(1, "report.csv"), &e2);
        json_decref(rep);
    }
    json_decref(res);
    return 0;
}
