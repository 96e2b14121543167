/* testutil.h — shared by the cmocka test programs: fixture paths, float comparison that reports
 * the worst element, and running the CLI. Tests run from the repository root. */
#ifndef XS_TESTUTIL_H
#define XS_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Compares a to ref elementwise with |a-b| <= atol + rtol*|b|; prints the worst element
 * (index, both values, excess) and returns the number of violations. */
size_t tu_compare(const char *what, const float *a, const float *ref, size_t n, double atol, double rtol);
/* Largest |a-b| / (|b| + floor) over the array; handy for reporting. */
double tu_max_rel(const float *a, const float *ref, size_t n, double floor);
/* Path of a fixture: "tests/fixtures/<rel>" in a static buffer (rotating, 8 slots). */
const char *tu_fixture(const char *rel);
/* A fresh temporary directory (removed by tu_rmtree). */
char *tu_tmpdir(void);
void tu_rmtree(const char *dir);

#endif
