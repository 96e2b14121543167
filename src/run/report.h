/* report.h — a run's results from its cell JSONs alone: RUN/cells/<row>/<target>/seed-<s>/cell.json
 * (format "xstilts-cell" v1, docs/REPORT.md) → results.json, results.csv, report.md and a self-contained
 * report.html (XHTML with inline SVG: the delta heatmap, training curves) plus the figures as .svg files.
 * Statistics: cell score = mean over the languages present of the major metric; across seeds mean and
 * sample std (n-1, none for n = 1); delta = row mean - baseline mean; the XTREME column from
 * eval/aggregate.h (allow_incomplete). RUN/run.json, when present, gives the order of rows, targets and
 * seeds and the run's title; it is optional. Every file is written atomically. */
#ifndef XS_REPORT_H
#define XS_REPORT_H
#include "core/check.h"
#include <jansson.h>

#define XS_CELL_FORMAT "xstilts-cell"
#define XS_CELL_VERSION 1
#define XS_RESULTS_FORMAT "xstilts-results"
#define XS_RESULTS_VERSION 1

/* Reads and validates one cell.json: format, version, every field's type (an error names the file,
 * jansson's line:column for bad JSON, and the field path, e.g. "test.de.accuracy"). Returns a new
 * reference or NULL + err. */
json_t *cell_load(const char *path, XsErr *err);

/* Every cell of run_dir, checked against its folder (row/target/seed of the path), against each other
 * (one phase-1 config_hash per row and seed; one major metric per target) and against RUN/run.json's
 * plan when it lists per-cell hashes; then every aggregate. Returns the results.json object (format
 * "xstilts-results" v1, docs/REPORT.md) or NULL + err. A run with no cell.json is an error. */
json_t *report_results(const char *run_dir, XsErr *err);

/* Renderings of a report_results object, each written atomically. */
int report_write_json(const json_t *res, const char *path, XsErr *err);
int report_write_csv(const json_t *res, const char *path, XsErr *err);
int report_write_md(const json_t *res, const char *path, XsErr *err);
int report_write_html(const json_t *res, const char *path, XsErr *err);
/* The heatmap of deltas (rows other than the baseline × targets + XTREME) of split "test" or "dev" as a
 * standalone SVG document; 0 and nothing written when that split has no delta. */
int report_write_heatmap_svg(const json_t *res, const char *split, const char *path, XsErr *err);
/* Training curves of one target (dev metric and loss vs step, one line per row and seed). */
int report_write_curves_svg(const json_t *res, const char *target, const char *path, XsErr *err);

/* All of the above into run_dir: results.json, results.csv, report.md, report.html and
 * figures/heatmap-<split>.svg, figures/curves-<target>.svg. *ncells (may be NULL) gets the cell count. */
int report_build(const char *run_dir, int *ncells, XsErr *err);

#endif
