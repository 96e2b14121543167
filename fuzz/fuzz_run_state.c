/* fuzz_run_state — the readers of a run folder's state (run/state.h, core/seal.h; docs/RUN.md "Crash safety"):
 * the first byte picks the file,
 *   0 started.json   run_state_hash (as the plan reads a cell's or job's started.json / cell.json)
 *   1 phase1.json    run_phase1_load + run_phase1_verify (its manifest checked against the files of the folder)
 *   2 run.json       run_folder_hash (xstilts run) + run_status (xstilts status reads the plan from it)
 *   3 steps.tsv      run_steps_read, then run_steps_open (cuts a torn last line) and one append
 *   4 run.log        run_status (one JSONL event per line)
 * A JSON object without a "sha256" member is sealed first (json_write_sealed), so the field checks behind the
 * seal are reached; anything else is read as it is (the seal's own check). */
#include "fuzz.h"
#include "core/seal.h"
#include "run/plan.h"
#include "run/state.h"
#include "run/status.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* Writes data as dir/name, sealed when it is an unsealed JSON object. */
static const char *put(const char *name, const uint8_t *data, size_t size) {
    const char *p = fz_write(0, name, data, size);
    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(o) && !json_object_get(o, SEAL_KEY)) {
        XsErr err = {0};
        if (json_write_sealed(p, o, &err)) abort(); /* the private folder is writable */
    }
    json_decref(o);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned mode = fz_mode(&data, &size, 5);
    XsErr err = {0};
    char h[65];
    /* a tiny "model" the manifest may name */
    static const char MODEL[] = "0123456789abcdef";
    fz_write(1, "model.safetensors", MODEL, sizeof MODEL - 1);
    switch (mode) {
    case 0: {
        const char *p = put("started.json", data, size);
        run_state_hash(p, h, &err);
        fz_unlink("started.json");
        break;
    }
    case 1: {
        put("phase1.json", data, size);
        json_t *o = run_phase1_load(fz_dir(), &err);
        json_decref(o);
        err = (XsErr){0};
        run_phase1_verify(fz_dir(), &err);
        fz_unlink("phase1.json");
        break;
    }
    case 2: {
        put("run.json", data, size);
        run_folder_hash(fz_dir(), h, &err);
        json_t *st = run_status(fz_dir(), 8, &err);
        json_decref(st);
        fz_unlink("run.json");
        break;
    }
    case 3: {
        const char *p = fz_write(0, "steps.tsv", data, size);
        StepRec rec[64];
        run_steps_read(p, 64, rec, &err);
        err = (XsErr){0};
        FILE *f = run_steps_open(p, &err);
        if (f) {
            run_steps_append(f, 1, 2, 0.5, 1e-5);
            fclose(f);
        }
        fz_unlink("steps.tsv");
        break;
    }
    default: {
        fz_write(0, "run.log", data, size);
        json_t *st = run_status(fz_dir(), 8, &err);
        json_decref(st);
        fz_unlink("run.log");
        break;
    }
    }
    return 0;
}
