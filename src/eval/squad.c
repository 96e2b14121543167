/* squad.c — normalize_answer / exact / F1 of evaluate-v1.1.py, evaluate-v2.0.py and
 * mlqa_evaluation_v1.py, with Python 3 str semantics (lower, split, \b) rebuilt on utf8proc. */
#include "eval/squad.h"
#include "core/mem.h"
#include "core/text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int squad_lang_parse(const char *code) {
    static const char *names[] = {"squad", "en", "es", "hi", "vi", "de", "ar", "zh"};
    for (int i = 1; i < 8; i++)
        if (!strcmp(code, names[i])) return i;
    return -1;
}

/* ---- Python str predicates ---- */

static int cat_of(uint32_t c) { return utf8proc_category((utf8proc_int32_t)c); }

/* re's \w for str patterns: str.isalnum() (letters L*, numerics N*) or '_'. */
int pyu_isword(uint32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    switch (cat_of(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    }
    return 0;
}

static int ascii_punct(uint32_t c) {  /* string.punctuation */
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

/* MLQA's PUNCT: every category-P code point, plus string.punctuation. */
int pyu_is_mlqa_punct(uint32_t c) {
    if (ascii_punct(c)) return 1;
    switch (cat_of(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
        return 1;
    }
    return 0;
}

/* Case_Ignorable (DerivedCoreProperties): Mn Me Cf Lm Sk, or Word_Break MidLetter / MidNumLet /
 * Single_Quote. */
int pyu_is_case_ignorable(uint32_t c) {
    switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4: case 0x2018: case 0x2019:
    case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
        return 1;
    }
    switch (cat_of(c)) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
        return 1;
    }
    return 0;
}

/* Cased = Lu Ll Lt + Other_Lowercase + Other_Uppercase. Only what is not also Case_Ignorable
 * matters to the sigma rule; the non-Lm members of Other_* are listed. */
int pyu_is_cased(uint32_t c) {
    switch (cat_of(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        return 1;
    }
    return c == 0xAA || c == 0xBA || c == 0x345 || (c >= 0x2160 && c <= 0x217F) || (c >= 0x24B6 && c <= 0x24E9) ||
           (c >= 0x1F130 && c <= 0x1F149) || (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189);
}

/* CPython unicodeobject.c handle_capital_sigma: Σ is final when preceded by a cased letter
 * (skipping case-ignorables) and not followed by one. */
static uint32_t sigma_lower(const uint32_t *s, size_t n, size_t i) {
    size_t j = i;
    uint32_t c = 0;
    int found = 0;
    while (j > 0) {
        c = s[--j];
        if (!pyu_is_case_ignorable(c)) { found = 1; break; }
    }
    int final = found && pyu_is_cased(c);
    if (final && i + 1 < n) {
        size_t k;
        for (k = i + 1; k < n; k++) {
            c = s[k];
            if (!pyu_is_case_ignorable(c)) break;
        }
        final = k == n || !pyu_is_cased(c);
    }
    return final ? 0x3C2 : 0x3C3;
}

size_t pyu_lower(const uint32_t *in, size_t n, uint32_t *out) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = in[i];
        if (c < 0x80) out[m++] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        else if (c == 0x130) { out[m++] = 'i'; out[m++] = 0x307; }  /* SpecialCasing: the only 1→2 lowering */
        else if (c == 0x3A3) out[m++] = sigma_lower(in, n, i);
        else out[m++] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
    }
    return m;
}

/* ---- normalize_answer ---- */

static uint32_t *decode(const char *s, size_t *n) {
    size_t len = strlen(s);
    uint32_t *u = xmalloc((len + 1) * sizeof *u);
    size_t m = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    while (len > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        CHECK(k > 0, "invalid UTF-8 reached squad_normalize (readers validate it)");
        u[m++] = (uint32_t)cp;
        p += k;
        len -= (size_t)k;
    }
    *n = m;
    return u;
}

typedef struct { const char *w[12]; } Articles;
/* mlqa_evaluation_v1.py remove_articles; SQuAD = en. */
static const Articles ART_EN = {{"a", "an", "the", NULL}};
static const Articles ART_ES = {{"un", "una", "unos", "unas", "el", "la", "los", "las", NULL}};
static const Articles ART_VI = {{"của", "là", "cái", "chiếc", "những", NULL}};
static const Articles ART_DE = {{"ein", "eine", "einen", "einem", "eines", "einer", "der", "die", "das", "den", "dem", "des"}};

/* Does the run u[0..n) equal the UTF-8 word w? */
static int run_equals(const uint32_t *u, size_t n, const char *w) {
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)w;
    size_t len = strlen(w), i = 0;
    while (len > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        if (i >= n || (uint32_t)cp != u[i]) return 0;
        i++; p += k; len -= (size_t)k;
    }
    return i == n;
}

/* re.sub(r'\b(w1|w2|...)\b', ' ', text): every article is made of \w characters, so a match is
 * exactly a maximal run of \w characters equal to one of them. */
static size_t remove_articles(uint32_t *u, size_t n, const Articles *a) {
    size_t m = 0, i = 0;
    while (i < n) {
        if (!pyu_isword(u[i])) { u[m++] = u[i++]; continue; }
        size_t j = i;
        while (j < n && pyu_isword(u[j])) j++;
        int hit = 0;
        for (int k = 0; k < 12 && a->w[k] && !hit; k++) hit = run_equals(u + i, j - i, a->w[k]);
        if (hit) u[m++] = ' ';
        else for (size_t k = i; k < j; k++) u[m++] = u[k];
        i = j;
    }
    return m;
}

/* Arabic: re.sub('\sال^|ال', ' ', text). The first branch can never match ('^' after consumed
 * text), so every "ال" anywhere is replaced — a quirk of the official script, kept. */
static size_t remove_al(uint32_t *u, size_t n) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && u[i] == 0x627 && u[i + 1] == 0x644) { u[m++] = ' '; i++; }
        else u[m++] = u[i];
    }
    return m;
}

static void put_cp(char **buf, size_t *len, size_t *cap, uint32_t c) {
    if (*len + 5 > *cap) { *cap = *cap * 2 + 16; *buf = xrealloc(*buf, *cap); }
    *len += (size_t)utf8proc_encode_char((utf8proc_int32_t)c, (utf8proc_uint8_t *)*buf + *len);
}

char *squad_normalize(const char *s, SqLang lang) {
    size_t n;
    uint32_t *u = decode(s, &n);
    uint32_t *l = xmalloc((2 * n + 1) * sizeof *l);
    size_t m = pyu_lower(u, n, l);
    free(u);
    /* remove_punc */
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        int p = lang == SQ_SQUAD ? ascii_punct(l[i]) : pyu_is_mlqa_punct(l[i]);
        if (!p) l[k++] = l[i];
    }
    m = k;
    switch (lang) {
    case SQ_SQUAD: case SQ_EN: m = remove_articles(l, m, &ART_EN); break;
    case SQ_ES: m = remove_articles(l, m, &ART_ES); break;
    case SQ_VI: m = remove_articles(l, m, &ART_VI); break;
    case SQ_DE: m = remove_articles(l, m, &ART_DE); break;
    case SQ_AR: m = remove_al(l, m); break;
    case SQ_HI: case SQ_ZH: break;
    }
    /* white_space_fix: ' '.join(text.split()); for zh, mixed_segmentation makes every CJK
     * ideograph in U+4E00..U+9FA5 (and every PUNCT char) a token of its own. */
    size_t cap = m * 4 + 8, len = 0;
    char *out = xmalloc(cap);
    int in_tok = 0, ntok = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t c = l[i];
        if (text_isspace(c)) { in_tok = 0; continue; }
        int single = lang == SQ_ZH && ((c >= 0x4E00 && c <= 0x9FA5) || pyu_is_mlqa_punct(c));
        if (single || !in_tok) {
            if (ntok++) put_cp(&out, &len, &cap, ' ');
        }
        put_cp(&out, &len, &cap, c);
        in_tok = !single;
    }
    free(l);
    out[len] = 0;
    return out;
}

int squad_exact_norm(const char *npred, const char *ngold) { return strcmp(npred, ngold) == 0; }

typedef struct { const char *p; size_t n; } Tok;
static size_t split_tokens(const char *s, Tok **out) {
    size_t cnt = 0;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l) cnt++;
        p += l + (e ? 1 : 0);
    }
    Tok *t = xmalloc((cnt ? cnt : 1) * sizeof *t);
    size_t i = 0;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l) t[i++] = (Tok){p, l};
        p += l + (e ? 1 : 0);
    }
    *out = t;
    return cnt;
}
static int tok_eq(Tok a, Tok b) { return a.n == b.n && memcmp(a.p, b.p, a.n) == 0; }

/* sum((Counter(pred) & Counter(gold)).values()) */
static size_t num_same(const Tok *p, size_t np, const Tok *g, size_t ng) {
    size_t same = 0;
    for (size_t i = 0; i < ng; i++) {
        int first = 1;
        for (size_t j = 0; j < i && first; j++) first = !tok_eq(g[j], g[i]);
        if (!first) continue;
        size_t cg = 0, cp = 0;
        for (size_t j = i; j < ng; j++) cg += tok_eq(g[j], g[i]);
        for (size_t j = 0; j < np; j++) cp += tok_eq(p[j], g[i]);
        same += cg < cp ? cg : cp;
    }
    return same;
}

/* f1 of a pair; v2 = compute_f1 of evaluate-v2.0.py (empty on either side: 1 if both empty). */
static double f1_pair(const char *npred, const char *ngold, int v2) {
    Tok *p, *g;
    size_t np = split_tokens(npred, &p), ng = split_tokens(ngold, &g);
    double f1 = 0;
    if (v2 && (np == 0 || ng == 0)) f1 = (np == 0 && ng == 0);
    else {
        size_t same = num_same(p, np, g, ng);
        if (same) {
            double precision = 1.0 * (double)same / (double)np;
            double recall = 1.0 * (double)same / (double)ng;
            f1 = (2 * precision * recall) / (precision + recall);
        }
    }
    free(p); free(g);
    return f1;
}
double squad_f1_norm(const char *npred, const char *ngold) { return f1_pair(npred, ngold, 0); }

/* ---- evaluate() ---- */

static const SquadGold *sort_gold;
static int cmp_gold(const void *a, const void *b) {
    return strcmp(sort_gold->qa[*(const size_t *)a].id, sort_gold->qa[*(const size_t *)b].id);
}
static size_t *gold_index(const SquadGold *g) {
    size_t *o = xmalloc((g->n ? g->n : 1) * sizeof *o);
    for (size_t i = 0; i < g->n; i++) o[i] = i;
    sort_gold = g;
    qsort(o, g->n, sizeof *o, cmp_gold);
    sort_gold = NULL;
    return o;
}
static long gold_find(const SquadGold *g, const size_t *idx, const char *id) {
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->qa[idx[mid]].id, id);
        if (c == 0) return (long)idx[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return -1;
}

static int check_extra(const SquadGold *gold, const QaPreds *pred, XsErr *err) {
    /* Every prediction id must be a gold id (the scripts ignore extras; we refuse them). */
    size_t extra = 0;
    char first[3][128] = {{0}};
    size_t *idx = gold_index(gold);
    for (size_t i = 0; i < pred->n; i++) {
        if (gold_find(gold, idx, pred->ids[i]) < 0) {
            if (extra < 3) snprintf(first[extra], sizeof first[0], "%s", pred->ids[i]);
            extra++;
        }
    }
    free(idx);
    if (extra)
        return err_set(err, NULL, 0, "%zu prediction id(s) are not questions of the gold file, e.g. %s%s%s%s%s",
                       extra, first[0], extra > 1 ? ", " : "", first[1], extra > 2 ? ", " : "", first[2]);
    return 0;
}

static int missing_error(const SquadGold *gold, const QaPreds *pred, const char *hint, XsErr *err) {
    size_t miss = 0;
    char list[400] = "";
    for (size_t k = 0; k < gold->n; k++)
        if (qa_preds_find(pred, gold->qa[k].id) < 0) {
            if (miss < 5) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", miss ? ", " : "", gold->qa[k].id);
            }
            miss++;
        }
    return err_set(err, NULL, 0, "%zu gold question(s) have no prediction (first: %s)%s", miss, list, hint);
}

int squad_evaluate_v1(const SquadGold *gold, const QaPreds *pred, SqLang lang, int allow_missing,
                      SquadV1Result *res, XsErr *err) {
    memset(res, 0, sizeof *res);
    if (gold->n == 0) return err_set(err, NULL, 0, "the gold file has no questions");
    if (check_extra(gold, pred, err)) return -1;
    double f1 = 0, exact_match = 0;
    for (size_t k = 0; k < gold->n; k++) {
        const SquadQA *q = &gold->qa[k];
        res->total++;
        long ip = qa_preds_find(pred, q->id);
        if (ip < 0) {
            if (!allow_missing) return missing_error(gold, pred, " (--allow-missing scores them 0 like the official script)", err);
            res->missing++;
            continue;
        }
        /* max() over an empty list raises in the script; we say so */
        if (q->nanswers == 0) return err_set(err, NULL, 0, "question %s has no gold answers (a SQuAD v2.0 file? use --task squad2)", q->id);
        char *np = squad_normalize(pred->texts[ip], lang);
        int em = 0;
        double best = 0;
        for (size_t a = 0; a < q->nanswers; a++) {
            char *ng = squad_normalize(q->answers[a], lang);
            em |= squad_exact_norm(np, ng);
            double f = squad_f1_norm(np, ng);
            if (a == 0 || f > best) best = f;
            free(ng);
        }
        free(np);
        exact_match += em;
        f1 += best;
    }
    res->exact_match = 100.0 * exact_match / (double)res->total;
    res->f1 = 100.0 * f1 / (double)res->total;
    return 0;
}

/* find_best_thresh: walk questions by increasing na_prob (stable: ties keep na-file order). */
static const double *sort_probs;
static int cmp_prob(const void *a, const void *b) {
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    double x = sort_probs[i], y = sort_probs[j];
    if (x < y) return -1;
    if (x > y) return 1;
    return i < j ? -1 : i > j;
}
static void find_best_thresh(const SquadGold *gold, const QaPreds *pred, const double *scores, const int *has_ans,
                             const QaProbs *na, double *best, double *thresh) {
    size_t num_no_ans = 0;
    for (size_t k = 0; k < gold->n; k++) num_no_ans += !has_ans[k];
    double cur = (double)num_no_ans, best_score = cur, best_thresh = 0.0;
    size_t *ord = xmalloc((na->n ? na->n : 1) * sizeof *ord);
    for (size_t i = 0; i < na->n; i++) ord[i] = i;
    sort_probs = na->probs;
    qsort(ord, na->n, sizeof *ord, cmp_prob);
    sort_probs = NULL;
    size_t *idx = gold_index(gold);
    for (size_t i = 0; i < na->n; i++) {
        const char *qid = na->ids[ord[i]];
        long k = gold_find(gold, idx, qid);
        if (k < 0) continue;  /* `if qid not in scores: continue` */
        double diff;
        if (has_ans[k]) diff = scores[k];
        else diff = pred->texts[qa_preds_find(pred, qid)][0] ? -1 : 0;
        cur += diff;
        if (cur > best_score) { best_score = cur; best_thresh = na->probs[ord[i]]; }
    }
    free(ord);
    free(idx);
    *best = 100.0 * best_score / (double)gold->n;
    *thresh = best_thresh;
}

int squad_evaluate_v2(const SquadGold *gold, const QaPreds *pred, const QaProbs *na, double na_thresh,
                      SquadV2Result *res, XsErr *err) {
    memset(res, 0, sizeof *res);
    if (gold->n == 0) return err_set(err, NULL, 0, "the gold file has no questions");
    if (check_extra(gold, pred, err)) return -1;
    for (size_t k = 0; k < gold->n; k++) {
        /* the script KeyErrors on a missing prediction; a missing na_prob also KeyErrors */
        if (qa_preds_find(pred, gold->qa[k].id) < 0) return missing_error(gold, pred, "", err);
        if (na && qa_probs_find(na, gold->qa[k].id) < 0)
            return err_set(err, NULL, 0, "question %s has no no-answer probability in the --na-prob file", gold->qa[k].id);
    }
    size_t n = gold->n;
    double *ex = xmalloc(n * sizeof *ex), *f1 = xmalloc(n * sizeof *f1);
    int *has = xmalloc(n * sizeof *has);
    for (size_t k = 0; k < n; k++) {
        const SquadQA *q = &gold->qa[k];
        const char *ptxt = pred->texts[qa_preds_find(pred, q->id)];
        has[k] = q->nanswers > 0;  /* bool(qa['answers']) */
        /* get_tokens: `if not s: return []` — same as normalising "" */
        char *np = squad_normalize(ptxt, SQ_SQUAD);
        double be = 0, bf = 0;
        int ngold = 0;
        for (size_t a = 0; a < q->nanswers; a++) {
            char *ng = squad_normalize(q->answers[a], SQ_SQUAD);
            if (ng[0]) {  /* gold answers that normalise to "" are dropped */
                double e = squad_exact_norm(np, ng), f = f1_pair(np, ng, 1);
                if (!ngold || e > be) be = e;
                if (!ngold || f > bf) bf = f;
                ngold++;
            }
            free(ng);
        }
        if (!ngold) { be = np[0] == 0; bf = np[0] == 0; }  /* gold_answers = [''] */
        free(np);
        ex[k] = be; f1[k] = bf;
    }
    /* apply_no_ans_threshold then make_eval_dict; sums in gold order like sum(dict.values()) */
    double se = 0, sf = 0, he = 0, hf = 0, ne = 0, nf = 0;
    for (size_t k = 0; k < n; k++) {
        double e = ex[k], f = f1[k];
        double prob = na ? na->probs[qa_probs_find(na, gold->qa[k].id)] : 0.0;  /* default {k: 0.0} */
        if (prob > na_thresh) e = f = (double)!has[k];
        se += e; sf += f;
        if (has[k]) { he += e; hf += f; res->hasans_total++; }
        else { ne += e; nf += f; res->noans_total++; }
    }
    res->total = n;
    res->exact = 100.0 * se / (double)n;
    res->f1 = 100.0 * sf / (double)n;
    if ((res->has_hasans = res->hasans_total > 0)) {
        res->hasans_exact = 100.0 * he / (double)res->hasans_total;
        res->hasans_f1 = 100.0 * hf / (double)res->hasans_total;
    }
    if ((res->has_noans = res->noans_total > 0)) {
        res->noans_exact = 100.0 * ne / (double)res->noans_total;
        res->noans_f1 = 100.0 * nf / (double)res->noans_total;
    }
    if (na) {
        res->has_best = 1;
        find_best_thresh(gold, pred, ex, has, na, &res->best_exact, &res->best_exact_thresh);
        find_best_thresh(gold, pred, f1, has, na, &res->best_f1, &res->best_f1_thresh);
    }
    free(ex); free(f1); free(has);
    return 0;
}
