/* metrics.c — accuracy and BUCC F1 exactly as google-research/xtreme evaluate.py computes
 * them (same float operations, same order). File reading is data/labels. */
#include "eval/metrics.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>

int metrics_accuracy(const LabelList *gold, const char *gold_path, const LabelList *pred, const char *pred_path,
                     int as_index, AccuracyResult *res, XsErr *err) {
    memset(res, 0, sizeof *res);
    if (gold->n != pred->n)
        return err_set(err, pred_path, 0, "expected %zu lines (as in %s), found %zu", gold->n, gold_path, pred->n);
    if (pred->n == 0) return err_set(err, pred_path, 0, "no predictions (empty file)");
    for (int f = 0; f < 2 && as_index; f++) {
        const LabelList *l = f ? pred : gold;
        for (size_t i = 0; i < l->n; i++) {
            const char *s = l->v[i];
            size_t k = 0;
            while (s[k] >= '0' && s[k] <= '9') k++;
            if (k == 0 || s[k])
                return err_set(err, f ? pred_path : gold_path, l->line[i], "expected a sentence index (non-negative integer), found '%s'", s);
        }
    }
    for (size_t i = 0; i < pred->n; i++) res->correct += !strcmp(gold->v[i], pred->v[i]);
    res->n = pred->n;
    res->accuracy = (double)res->correct / (double)res->n * 100;
    return 0;
}

int metrics_bucc(const LabelList *gold, const char *gold_path, const LabelList *pred, const char *pred_path,
                 PrfResult *res, XsErr *err) {
    memset(res, 0, sizeof *res);
    size_t ng, np;
    char **g = labels_pair_set(gold, gold_path, &ng, err);
    if (!g) return -1;
    char **p = labels_pair_set(pred, pred_path, &np, err);
    if (!p) { free(g); return -1; }
    if (ng == 0) { free(g); free(p); return err_set(err, gold_path, 0, "no gold pairs"); }
    size_t i = 0, j = 0, nc = 0;
    while (i < ng && j < np) {
        int c = strcmp(g[i], p[j]);
        if (c == 0) { nc++; i++; j++; }
        else if (c < 0) i++;
        else j++;
    }
    free(g); free(p);
    res->ncorrect = nc; res->npred = np; res->ngold = ng;
    double prec = 0, rec = 0, f1 = 0;
    if (nc > 0) {
        prec = (double)nc / (double)np;
        rec = (double)nc / (double)ng;
        f1 = 2 * prec * rec / (prec + rec);
    }
    res->f1 = f1 * 100; res->precision = prec * 100; res->recall = rec * 100;
    return 0;
}
