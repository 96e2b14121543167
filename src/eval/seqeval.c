/* seqeval.c — mirrors seqeval/metrics/sequence_labeling.py (get_entities, end_of_chunk,
 * start_of_chunk) and v1.py's micro averaging step by step, so quirks carry over exactly. */
#include "eval/seqeval.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>

/* chunk[0] and chunk[1:].split('-', maxsplit=1)[-1] or '_' (tags are UTF-8; chunk[0] is the
 * first code point). tag is returned as the first byte when ASCII, else 0x80 (never a
 * special letter). */
typedef struct { int tag; const char *type; size_t type_len; } Parsed;

static Parsed parse_tag(const char *chunk) {
    Parsed p;
    unsigned char b = (unsigned char)chunk[0];
    size_t k = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    p.tag = b < 0x80 ? b : 0x80;
    const char *rest = chunk + k;
    const char *dash = strchr(rest, '-');
    p.type = dash ? dash + 1 : rest;
    p.type_len = strlen(p.type);
    if (p.type_len == 0) { p.type = "_"; p.type_len = 1; }
    return p;
}

static int type_eq(const char *a, size_t na, const char *b, size_t nb) {
    return na == nb && memcmp(a, b, na) == 0;
}

static int end_of_chunk(int prev_tag, int tag, int types_differ) {
    int end = 0;
    if (prev_tag == 'E' || prev_tag == 'S') end = 1;
    if ((prev_tag == 'B' || prev_tag == 'I') && (tag == 'B' || tag == 'S' || tag == 'O')) end = 1;
    if (prev_tag != 'O' && prev_tag != '.' && types_differ) end = 1;
    return end;
}

static int start_of_chunk(int prev_tag, int tag, int types_differ) {
    int start = 0;
    if (tag == 'B' || tag == 'S') start = 1;
    if ((prev_tag == 'E' || prev_tag == 'S' || prev_tag == 'O') && (tag == 'E' || tag == 'I')) start = 1;
    if (tag != 'O' && tag != '.' && types_differ) start = 1;
    return start;
}

SeqChunk *seqeval_entities(char *const *tags, const size_t *sent, size_t nsent, size_t *n) {
    size_t cap = 64, m = 0;
    SeqChunk *out = xmalloc(cap * sizeof *out);
    int prev_tag = 'O';
    const char *prev_type = "";  /* seqeval starts with prev_type = '' (not '_') */
    size_t prev_len = 0, begin = 0, i = 0;
    /* the flattened sequence: each sentence + ['O'], then the final + ['O'] of get_entities */
    size_t total = sent[nsent] + nsent + 1, f = 0;
    const char **flat = xmalloc(total * sizeof *flat);
    for (size_t s = 0; s < nsent; s++) {
        for (size_t k = sent[s]; k < sent[s + 1]; k++) flat[f++] = tags[k];
        flat[f++] = "O";
    }
    flat[f++] = "O";
    CHECK(f == total, "flattened length");
    for (i = 0; i < total; i++) {
        const char *chunk = flat[i];
        Parsed p = parse_tag(chunk);
        int differ = !type_eq(prev_type, prev_len, p.type, p.type_len);
        if (end_of_chunk(prev_tag, p.tag, differ)) {
            CHECK(i > 0, "a chunk cannot end before the first token");
            if (m == cap) { cap *= 2; out = xrealloc(out, cap * sizeof *out); }
            out[m++] = (SeqChunk){prev_type, prev_len, begin, i - 1};
        }
        if (start_of_chunk(prev_tag, p.tag, differ)) begin = i;
        prev_tag = p.tag;
        prev_type = p.type;
        prev_len = p.type_len;
    }
    free(flat);
    *n = m;
    return out;
}

int seqeval_score(const TagFile *gold, const char *gold_path, const TagFile *pred, const char *pred_path,
                  SeqevalResult *res, XsErr *err) {
    memset(res, 0, sizeof *res);
    if (gold->nsent != pred->nsent)
        return err_set(err, pred_path, 0, "expected %zu sentences (as in %s), found %zu", gold->nsent, gold_path, pred->nsent);
    for (size_t s = 0; s < gold->nsent; s++) {
        size_t lg = gold->sent[s + 1] - gold->sent[s], lp = pred->sent[s + 1] - pred->sent[s];
        if (lg != lp)
            return err_set(err, pred_path, pred->sent_line[s], "sentence %zu has %zu tags, but sentence %zu of %s (line %ld) has %zu",
                           s + 1, lp, s + 1, gold_path, gold->sent_line[s], lg);
    }
    size_t nt, np;
    SeqChunk *ct = seqeval_entities(gold->tags, gold->sent, gold->nsent, &nt);
    SeqChunk *cp = seqeval_entities(pred->tags, pred->sent, pred->nsent, &np);
    /* Chunks come out in increasing `end`, at most one per end: (type, start, end) sets
     * intersect where the ends meet. */
    size_t i = 0, j = 0, tp = 0;
    while (i < nt && j < np) {
        if (ct[i].end < cp[j].end) i++;
        else if (ct[i].end > cp[j].end) j++;
        else {
            tp += ct[i].start == cp[j].start && type_eq(ct[i].type, ct[i].type_len, cp[j].type, cp[j].type_len);
            i++; j++;
        }
    }
    free(ct); free(cp);
    res->tp = tp; res->npred = np; res->ntrue = nt;
    /* _prf_divide: 0 where the denominator is 0; f = (1 + beta2) * p * r / denom, denom 0 → 1 */
    res->precision = np ? (double)tp / (double)np : 0.0;
    res->recall = nt ? (double)tp / (double)nt : 0.0;
    double denom = 1.0 * res->precision + res->recall;
    if (denom == 0.0) denom = 1;
    res->f1 = (1 + 1.0) * res->precision * res->recall / denom;
    /* accuracy_score: flattened token equality / number of tokens */
    res->ntokens = gold->ntags;
    for (size_t k = 0; k < gold->ntags; k++) res->correct_tokens += !strcmp(gold->tags[k], pred->tags[k]);
    res->accuracy = res->ntokens ? (double)res->correct_tokens / (double)res->ntokens : 0.0;
    return 0;
}
