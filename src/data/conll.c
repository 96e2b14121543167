/* conll.c — CoNLL-U sentences → (word, UPOS), reproducing XTREME's UD-POS preprocessing
 * (google-research/xtreme third_party/ud-conversion-tools + utils_preprocess.py @ 838c13b). */
#include "data/conll.h"
#include "core/mem.h"
#include "core/util.h"
#include "data/rows.h"
#include <stdlib.h>
#include <string.h>

enum { ROW_WORD, ROW_RANGE };

typedef struct {
    int kind;
    long a, b;     /* word: a = ID; range: a-b */
    long head;     /* word: HEAD, -1 for "_" */
    char *form, *upos, *deps;
    long line;
} Row;

typedef struct {
    const char *path;
    TagReadOpts o;
    TagFn fn;
    void *ctx;
    TagReadStats *st;
    Row *rows;         /* (nrows) words and range lines of the current sentence, in file order */
    size_t nrows, caprows;
    size_t nwords;
    long range_end;    /* last word of the latest range (0 = none) */
    char *id;          /* sent_id */
    long first_line;
    int dropping;
    TagSentence out;
    size_t outcap;
} State;

static void clear_sentence(State *s) {
    for (size_t i = 0; i < s->nrows; i++) { free(s->rows[i].form); free(s->rows[i].upos); free(s->rows[i].deps); }
    s->nrows = s->nwords = 0;
    s->range_end = 0;
    free(s->id);
    s->id = NULL;
    s->first_line = 0;
}

/* "123" → 123 (digits only, no sign, no leading "+"), else -1. */
static long parse_uint(const char *s, size_t n) {
    if (!n || n > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = 10 * v + (s[i] - '0');
    }
    return v;
}

static int parse_row(State *s, char *line, long ln, XsErr *err) {
    char *f[10];
    size_t nf = 0;
    for (char *p = line;;) {
        char *t = strchr(p, '\t');
        if (nf < 10) f[nf] = p;
        nf++;
        if (!t) break;
        *t = 0;
        p = t + 1;
    }
    if (nf != 10) return err_set(err, s->path, ln, "expected 10 tab-separated columns (CoNLL-U), found %zu", nf);
    const char *id = f[0];
    const char *dash = strchr(id, '-'), *dot = strchr(id, '.');
    if (dot) {
        long a = parse_uint(id, (size_t)(dot - id)), b = parse_uint(dot + 1, strlen(dot + 1));
        if (a != (long)s->nwords || b < 1)
            return err_set(err, s->path, ln, "expected an empty node ID %zu.k after word %zu, found \"%s\"", s->nwords, s->nwords, id);
        s->st->nempty++;  /* ud-conversion-tools parse_id: "n.m" → None, the line is ignored */
        return 0;
    }
    Row r;
    memset(&r, 0, sizeof r);
    r.line = ln;
    if (dash) {
        r.kind = ROW_RANGE;
        r.a = parse_uint(id, (size_t)(dash - id));
        r.b = parse_uint(dash + 1, strlen(dash + 1));
        if (r.a != (long)s->nwords + 1 || r.b <= r.a)
            return err_set(err, s->path, ln, "expected a multi-word token range %zu-N (N > %zu), found \"%s\"", s->nwords + 1, s->nwords + 1, id);
        s->range_end = r.b;
    } else {
        r.kind = ROW_WORD;
        r.a = parse_uint(id, strlen(id));
        if (r.a != (long)s->nwords + 1)
            return err_set(err, s->path, ln, "expected word ID %zu, found \"%s\"", s->nwords + 1, id);
        if (!strcmp(f[6], "_")) r.head = -1;
        else if ((r.head = parse_uint(f[6], strlen(f[6]))) < 0)
            return err_set(err, s->path, ln, "expected HEAD to be a word ID or 0, found \"%s\"", f[6]);
        if (!*f[3]) return err_set(err, s->path, ln, "expected a UPOS tag (column 4), found an empty field");
    }
    if (!*f[1]) return err_set(err, s->path, ln, "expected a FORM (column 2), found an empty field");
    if (!s->nrows) s->first_line = ln;
    if (s->nrows == s->caprows) {
        s->caprows = s->caprows ? 2 * s->caprows : 64;
        s->rows = xrealloc(s->rows, s->caprows * sizeof *s->rows);
    }
    r.form = xstrdup(f[1]);
    if (r.kind == ROW_WORD) {
        r.upos = xstrdup(f[3]);
        r.deps = xstrdup(f[8]);
        s->nwords++;
    }
    s->rows[s->nrows++] = r;
    return 0;
}

/* conllu_to_conll.py POSRANKPRECEDENCEDICT, verbatim (the default list's trailing "" included). */
static const char *const PREC_DEFAULT[] = {"VERB", "NOUN", "PROPN", "PRON", "ADJ", "NUM", "ADV", "INTJ", "AUX",
                                           "ADP", "DET", "PART", "CCONJ", "SCONJ", "X", "PUNCT", ""};
static const char *const PREC_ES[] = {"VERB", "AUX", "PRON", "ADP", "DET"};
static const char *const PREC_FR[] = {"VERB", "AUX", "PRON", "NOUN", "ADJ", "ADV", "ADP", "DET", "PART", "SCONJ", "CONJ"};
static const char *const PREC_IT[] = {"VERB", "AUX", "ADV", "PRON", "ADP", "DET", "INTJ"};

static void prec_list(const char *lang, const char *const **list, size_t *n) {
#define PICK(a) do { *list = a; *n = sizeof a / sizeof *a; return; } while (0)
    if (lang && !strcmp(lang, "es")) PICK(PREC_ES);
    if (lang && !strcmp(lang, "fr")) PICK(PREC_FR);
    if (lang && !strcmp(lang, "it")) PICK(PREC_IT);
    PICK(PREC_DEFAULT);
#undef PICK
}

/* The graph ud-conversion-tools builds: node 0..n, an edge HEAD → word for each word and
 * h → word for each DEPS entry "h:rel" whose h is all digits (empty-node heads "n.m" skipped).
 * Fills in[] as incoming adjacency lists (CSR: start (n+2), src). */
static int build_graph(State *s, Row **words, size_t n, size_t **start, size_t **src, XsErr *err) {
    size_t cap = 2 * n + 8, ne = 0;
    size_t *edst = xmalloc(cap * sizeof *edst), *esrc = xmalloc(cap * sizeof *esrc);
    for (size_t i = 1; i <= n; i++) {
        Row *w = words[i];
        if (w->head > (long)n) {
            free(edst); free(esrc);
            return err_set(err, s->path, w->line, "expected HEAD to be a word of the sentence (0..%zu), found %ld", n, w->head);
        }
        if (w->head >= 0) { esrc[ne] = (size_t)w->head; edst[ne++] = i; }
        if (!strcmp(w->deps, "_")) continue;
        for (const char *p = w->deps; *p;) {
            size_t plen = strcspn(p, "|");
            size_t hl = 0;
            while (hl < plen && p[hl] != ':') hl++;
            long h = hl < plen ? parse_uint(p, hl) : -1;  /* Python: pair[0].isdigit() */
            if (h > (long)n) {
                free(edst); free(esrc);
                return err_set(err, s->path, w->line, "expected DEPS heads to be words of the sentence (0..%zu), found %ld", n, h);
            }
            if (h >= 0) {
                if (ne == cap) { cap *= 2; edst = xrealloc(edst, cap * sizeof *edst); esrc = xrealloc(esrc, cap * sizeof *esrc); }
                esrc[ne] = (size_t)h;
                edst[ne++] = i;
            }
            p += plen;
            if (*p == '|') p++;
        }
    }
    *start = xcalloc(n + 2, sizeof **start);
    *src = xmalloc((ne ? ne : 1) * sizeof **src);
    for (size_t e = 0; e < ne; e++) (*start)[edst[e] + 1]++;
    for (size_t v = 0; v <= n; v++) (*start)[v + 1] += (*start)[v];
    size_t *fill = xmalloc((n + 1) * sizeof *fill);
    memcpy(fill, *start, (n + 1) * sizeof *fill);
    for (size_t e = 0; e < ne; e++) (*src)[fill[edst[e]]++] = esrc[e];
    free(fill); free(edst); free(esrc);
    return 0;
}

/* networkx.ancestors(G, x): nodes with a path to x, x itself excluded. */
static size_t count_ancestors(size_t x, size_t n, const size_t *start, const size_t *src, unsigned char *seen, size_t *queue) {
    memset(seen, 0, n + 1);
    size_t qh = 0, qt = 0, cnt = 0;
    seen[x] = 1;
    queue[qt++] = x;
    while (qh < qt) {
        size_t v = queue[qh++];
        for (size_t k = start[v]; k < start[v + 1]; k++) {
            size_t u = src[k];
            if (!seen[u]) { seen[u] = 1; cnt++; queue[qt++] = u; }
        }
    }
    return cnt;
}

/* conll.py DependencyTree._choose_spanhead_from_heuristics: the single highest word (fewest
 * ancestors); on a tie, the first of the tied words whose UPOS comes first in the precedence list.
 * A UPOS missing from the list makes the Python raise (ValueError); here it ranks after the list. */
static size_t span_head(Row **words, long a, long b, const size_t *anc, const char *const *prec, size_t nprec) {
    size_t best = (size_t)-1, nbest = 0;
    for (long i = a; i <= b; i++) {
        if (anc[i] < best) { best = anc[i]; nbest = 1; }
        else if (anc[i] == best) nbest++;
    }
    size_t head = 0, best_rank = nprec + 1;
    for (long i = a; i <= b; i++) {
        if (anc[i] != best) continue;
        if (nbest == 1) return (size_t)i;
        size_t r = nprec;
        for (size_t k = 0; k < nprec; k++)
            if (!strcmp(prec[k], words[i]->upos)) { r = k; break; }
        if (r < best_rank) { best_rank = r; head = (size_t)i; }
    }
    return head;
}

/* utils_preprocess.remove_empty_space: ''.join(w.replace('\u200c', '').split(' ')). */
static size_t remove_space_zwnj(char *w) {
    size_t o = 0;
    for (size_t i = 0; w[i];) {
        if (w[i] == ' ') { i++; continue; }
        if ((unsigned char)w[i] == 0xE2 && (unsigned char)w[i + 1] == 0x80 && (unsigned char)w[i + 2] == 0x8C) { i += 3; continue; }
        w[o++] = w[i++];
    }
    w[o] = 0;
    return o;
}

/* Turns the rows of the sentence into the delivered words; 1 = drop it (XTREME's "_" filter). */
static int finish_xtreme(State *s, XsErr *err) {
    size_t n = s->nwords;
    Row **words = xmalloc((n + 1) * sizeof *words);  /* words[1..n] */
    for (size_t i = 0, k = 1; i < s->nrows; i++)
        if (s->rows[i].kind == ROW_WORD) words[k++] = &s->rows[i];
    size_t *keep_head = xcalloc(n + 1, sizeof *keep_head); /* word i: 0 = plain, else the range row + 1 */
    unsigned char *removed = xcalloc(n + 1, 1);
    int has_range = 0;
    for (size_t i = 0; i < s->nrows; i++) has_range |= s->rows[i].kind == ROW_RANGE;
    int rc = 0;
    if (has_range) {
        size_t *start = NULL, *src = NULL;
        if (build_graph(s, words, n, &start, &src, err)) { rc = -1; goto done; }
        size_t *anc = xmalloc((n + 1) * sizeof *anc), *queue = xmalloc((n + 1) * sizeof *queue);
        unsigned char *seen = xmalloc(n + 1);
        for (size_t i = 1; i <= n; i++) anc[i] = count_ancestors(i, n, start, src, seen, queue);
        const char *const *prec;
        size_t nprec;
        prec_list(s->o.lang, &prec, &nprec);
        for (size_t i = 0; i < s->nrows; i++) {
            Row *r = &s->rows[i];
            if (r->kind != ROW_RANGE) continue;
            size_t h = span_head(words, r->a, r->b, anc, prec, nprec);
            for (long k = r->a; k <= r->b; k++) removed[k] = (size_t)k != h;
            keep_head[h] = i + 1;
            s->st->nmwt++;
        }
        free(anc); free(queue); free(seen); free(start); free(src);
    }
    tag_sentence_clear(&s->out);
    size_t nunder = 0;
    for (size_t i = 1; i <= n; i++) {
        if (removed[i]) continue;
        const char *form = keep_head[i] ? s->rows[keep_head[i] - 1].form : words[i]->form;
        tag_sentence_push(&s->out, &s->outcap, form, strlen(form), words[i]->upos, strlen(words[i]->upos));
        nunder += !strcmp(form, "_");
    }
    /* udpos_preprocess._read_one_file keeps a sentence when num_empty == 0 or num_empty < len - 1. */
    if (!(nunder == 0 || nunder + 1 < s->out.n)) { rc = 1; goto done; }
    for (size_t i = 0; i < s->out.n; i++) remove_space_zwnj(s->out.words[i]);
done:
    free(words); free(keep_head); free(removed);
    return rc;
}

static int finish_sentence(State *s, XsErr *err) {
    if (s->dropping) { s->dropping = 0; clear_sentence(s); return 0; }
    if (!s->nwords) { clear_sentence(s); return 0; }
    int rc = 0;
    if (s->range_end > (long)s->nwords) {
        for (size_t i = s->nrows; i-- > 0;)
            if (s->rows[i].kind == ROW_RANGE) {
                rc = err_set(err, s->path, s->rows[i].line, "expected words %ld..%ld after the multi-word token, found the sentence ending at word %zu", s->rows[i].a, s->rows[i].b, s->nwords);
                break;
            }
        goto bad;
    }
    for (size_t i = 0; i < s->nrows; i++)
        if (s->rows[i].head > (long)s->nwords) {
            rc = err_set(err, s->path, s->rows[i].line, "expected HEAD to be a word of the sentence (0..%zu), found %ld", s->nwords, s->rows[i].head);
            goto bad;
        }
    if (s->o.conllu_words) {
        tag_sentence_clear(&s->out);
        for (size_t i = 0; i < s->nrows; i++) {
            Row *r = &s->rows[i];
            if (r->kind == ROW_WORD) tag_sentence_push(&s->out, &s->outcap, r->form, strlen(r->form), r->upos, strlen(r->upos));
        }
    } else {
        rc = finish_xtreme(s, err);
        if (rc < 0) goto bad;
        if (rc == 1) { s->st->nfiltered++; clear_sentence(s); return 0; }
    }
    s->out.line = s->first_line;
    s->out.id = s->id;
    s->id = NULL;
    s->st->nsent++;
    s->st->ntok += s->out.n;
    rc = s->fn(s->ctx, &s->out, err) ? -2 : 0;
    clear_sentence(s);
    return rc;
bad:
    clear_sentence(s);
    return -1;
}

static void take_comment(State *s, const char *line) {
    /* "# sent_id = X" */
    const char *p = line + 1;
    while (*p == ' ') p++;
    if (strncmp(p, "sent_id", 7)) return;
    p += 7;
    while (*p == ' ') p++;
    if (*p != '=') return;
    p++;
    while (*p == ' ') p++;
    free(s->id);
    s->id = xstrdup(p);
}

long conllu_stream(const char *path, const TagReadOpts *opts, TagFn fn, void *ctx, TagReadStats *st, XsErr *err) {
    TagReadStats local;
    if (!st) { st = &local; memset(st, 0, sizeof *st); }
    State s;
    memset(&s, 0, sizeof s);
    s.path = path;
    if (opts) s.o = *opts;
    s.fn = fn;
    s.ctx = ctx;
    s.st = st;
    LineReader lr;
    if (lines_open(&lr, path, err)) return -1;
    long rc = 0;
    char *line;
    size_t len;
    for (;;) {
        int r = lines_next(&lr, &line, &len, err);
        if (r == ROWS_EOF) break;
        if (r == ROWS_FATAL) { rc = -1; break; }
        int was_dropping = s.dropping;
        if (r == ROWS_OK) {
            if (len == 0) {
                int f = finish_sentence(&s, err);
                if (f == -2) { rc = -1; break; }
                if (f == 0) continue;
                r = ROWS_BAD;  /* a sentence-level error, already dropped */
            } else if (line[0] == '#') {
                if (!s.dropping) take_comment(&s, line);
                continue;
            } else if (s.dropping) {
                continue;
            } else if (parse_row(&s, line, lr.lineno, err)) {
                r = ROWS_BAD;
                s.dropping = 1;
            } else {
                continue;
            }
        } else {
            s.dropping = 1;
        }
        /* r == ROWS_BAD */
        if (rows_bad(s.o.skip_bad_rows, &st->nbad, err)) { rc = -1; break; }
        if (!was_dropping) st->nbad_sent++;
        clear_sentence(&s);
    }
    if (rc == 0) {
        /* A file that does not end with a blank line still delivers its last sentence. */
        int f = finish_sentence(&s, err);
        if (f == -2) rc = -1;
        else if (f == -1) {
            if (rows_bad(s.o.skip_bad_rows, &st->nbad, err)) rc = -1;
            else st->nbad_sent++;
        }
    }
    clear_sentence(&s);
    free(s.rows);
    tag_sentence_free(&s.out);
    lines_close(&lr);
    return rc ? -1 : (long)st->nbad;
}
