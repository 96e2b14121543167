/* tagging.c — the line-based tagging readers (XTREME columns, PAN-X, GermEval 2014, jiant CCG),
 * sentence collection and the tag set. CoNLL-U is in conll.c; line reading in rows.c. */
#include "data/tagging.h"
#include "core/mem.h"
#include "data/conll.h"
#include "data/rows.h"
#include "data/squad_json.h"
#include "core/util.h"
#include <stdlib.h>
#include <string.h>

static const char *const FORMAT_NAMES[TAGF_NFORMATS] = {"conllu", "columns", "panx", "germeval", "ccg-jiant"};

const char *tag_format_name(TagFormat f) {
    CHECK((unsigned)f < TAGF_NFORMATS, "bad TagFormat %d", (int)f);
    return FORMAT_NAMES[f];
}

int tag_format_parse(const char *name, TagFormat *f) {
    for (int i = 0; i < TAGF_NFORMATS; i++)
        if (!strcmp(name, FORMAT_NAMES[i])) { *f = (TagFormat)i; return 0; }
    return -1;
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

/* lang = s[0..n) when it looks like a language code (2-3 lowercase ASCII letters). */
static void take_lang(const char *s, size_t n, char lang[16]) {
    if (!lang) return;
    lang[0] = 0;
    if (n < 2 || n > 3) return;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z') return;
    memcpy(lang, s, n);
    lang[n] = 0;
}

int tag_format_guess(const char *path, TagFormat *f, int *untagged, char lang[16]) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char parent[256] = "";
    if (b > path) {
        const char *e = b - 1, *s = e;
        while (s > path && s[-1] != '/') s--;
        snprintf(parent, sizeof parent, "%.*s", (int)(e - s), s);
    }
    int un = 0;
    if (lang) lang[0] = 0;
    static const char *const splits[] = {"train", "dev", "test"};
    if (ends_with(b, ".conllu")) {
        *f = TAGF_CONLLU;
        const char *u = strchr(b, '_');
        if (u) take_lang(b, (size_t)(u - b), lang);
    } else if ((!strcmp(parent, "udpos") || !strcmp(parent, "panx")) && ends_with(b, ".tsv") && strchr(b, '-')) {
        *f = TAGF_COLUMNS;
        un = !strncmp(b, "test-", 5);
        const char *d = strchr(b, '-');
        take_lang(d + 1, strlen(d + 1) - 4, lang);
    } else if (!strncmp(b, "NER-de-", 7) || (!strncmp(b, "germeval", 8) && ends_with(b, ".tsv"))) {
        *f = TAGF_GERMEVAL;
        if (lang) strcpy(lang, "de");
    } else if (!strcmp(b, "ccg.train") || !strcmp(b, "ccg.dev") || !strcmp(b, "ccg.test")) {
        *f = TAGF_CCG_JIANT;
        if (lang) strcpy(lang, "en");
    } else {
        const char *d = strchr(b, '-');
        int ok = 0;
        for (int i = 0; d && i < 3; i++) ok |= !strcmp(d + 1, splits[i]);
        char tmp[16];
        take_lang(b, d ? (size_t)(d - b) : 0, tmp);
        if (!ok || !tmp[0]) return -1;
        *f = TAGF_PANX;
        if (lang) strcpy(lang, tmp);
    }
    if (untagged) *untagged = un;
    return 0;
}

const char *const TAGS_UPOS[17] = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
                                   "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"};
const char *const TAGS_PANX[7] = {"B-LOC", "B-ORG", "B-PER", "I-LOC", "I-ORG", "I-PER", "O"};

/* ---- sentences ---- */

void tag_sentence_push(TagSentence *s, size_t *cap, const char *word, size_t wlen, const char *tag, size_t tlen) {
    if (s->n == *cap) {
        *cap = *cap ? 2 * *cap : 32;
        s->words = xrealloc(s->words, *cap * sizeof *s->words);
        s->tags = xrealloc(s->tags, *cap * sizeof *s->tags);
    }
    s->words[s->n] = xstrndup(word, wlen);
    s->tags[s->n] = tag ? xstrndup(tag, tlen) : NULL;
    s->n++;
}

void tag_sentence_clear(TagSentence *s) {
    for (size_t i = 0; i < s->n; i++) { free(s->words[i]); if (s->tags) free(s->tags[i]); }
    free(s->id);
    s->id = NULL;
    s->n = 0;
    s->line = 0;
}

void tag_sentence_free(TagSentence *s) {
    tag_sentence_clear(s);
    free(s->words);
    free(s->tags);
    memset(s, 0, sizeof *s);
}

/* ---- the line formats ---- */

typedef struct {
    const char *path;
    TagFormat fmt;
    TagReadOpts o;
    TagFn fn;
    void *ctx;
    TagReadStats *st;
    TagSentence cur;   /* the sentence being read */
    size_t cap;
    int dropping;      /* a bad row was skipped: ignore the rest of its sentence */
} LineState;

/* Delivers the current sentence (if any) and empties it. */
static int emit(LineState *ls, XsErr *err) {
    if (ls->cur.n && !ls->dropping) {
        TagSentence view = ls->cur;
        if (ls->o.untagged) view.tags = NULL;
        ls->st->nsent++;
        ls->st->ntok += view.n;
        if (ls->fn(ls->ctx, &view, err)) { tag_sentence_clear(&ls->cur); return -1; }
    }
    tag_sentence_clear(&ls->cur);
    ls->dropping = 0;
    return 0;
}

/* Splits s on tabs in place into at most max fields; returns the number of fields found (which
 * may exceed max: the rest are not stored). */
static size_t split_tabs(char *s, char **f, size_t max) {
    size_t n = 0;
    for (;;) {
        char *t = strchr(s, '\t');
        if (n < max) f[n] = s;
        n++;
        if (!t) break;
        *t = 0;
        s = t + 1;
    }
    return n;
}

static int parse_columns(LineState *ls, char *line, long ln, XsErr *err) {
    char *f[2];
    size_t nf = split_tabs(line, f, 2);
    if (ls->o.untagged) {
        if (nf != 1) return err_set(err, ls->path, ln, "expected a token alone (untagged file), found %zu tab-separated fields", nf);
    } else if (nf != 2) {
        return err_set(err, ls->path, ln, "expected token<TAB>tag, found %zu tab-separated field%s", nf, nf == 1 ? "" : "s");
    }
    if (!*f[0]) return err_set(err, ls->path, ln, "expected a token, found an empty field");
    if (!ls->o.untagged && !*f[1]) return err_set(err, ls->path, ln, "expected a tag after the tab, found an empty field");
    if (!ls->cur.n) ls->cur.line = ln;
    tag_sentence_push(&ls->cur, &ls->cap, f[0], strlen(f[0]), ls->o.untagged ? NULL : f[1], ls->o.untagged ? 0 : strlen(f[1]));
    return 0;
}

/* XTREME utils_preprocess.panx_preprocess: the token is what follows the first ':' of column 0. */
static int parse_panx(LineState *ls, char *line, long ln, XsErr *err) {
    char *f[2];
    size_t nf = split_tabs(line, f, 2);
    if (nf != 2) return err_set(err, ls->path, ln, "expected lang:token<TAB>tag, found %zu tab-separated field%s", nf, nf == 1 ? "" : "s");
    char *colon = strchr(f[0], ':');
    if (!colon || colon == f[0]) return err_set(err, ls->path, ln, "expected lang:token, found \"%s\" (no language prefix)", f[0]);
    if (!colon[1]) return err_set(err, ls->path, ln, "expected lang:token, found an empty token after \"%.*s:\"", (int)(colon - f[0]), f[0]);
    if (!*f[1]) return err_set(err, ls->path, ln, "expected a tag after the tab, found an empty field");
    if (!ls->cur.n) ls->cur.line = ln;
    tag_sentence_push(&ls->cur, &ls->cap, colon + 1, strlen(colon + 1), f[1], strlen(f[1]));
    return 0;
}

static int parse_germeval(LineState *ls, char *line, long ln, XsErr *err) {
    char *f[4];
    size_t nf = split_tabs(line, f, 4);
    if (nf != 4) return err_set(err, ls->path, ln, "expected index<TAB>token<TAB>outer tag<TAB>nested tag, found %zu tab-separated field%s", nf, nf == 1 ? "" : "s");
    long idx;
    if (parse_long(f[0], &idx) || idx != (long)ls->cur.n + 1)
        return err_set(err, ls->path, ln, "expected token index %zu, found \"%s\"", ls->cur.n + 1, f[0]);
    if (!*f[1]) return err_set(err, ls->path, ln, "expected a token, found an empty field");
    const char *tag = ls->o.nested ? f[3] : f[2];
    if (!*tag) return err_set(err, ls->path, ln, "expected a %s tag, found an empty field", ls->o.nested ? "nested" : "outer");
    if (!ls->cur.n) ls->cur.line = ln;
    tag_sentence_push(&ls->cur, &ls->cap, f[1], strlen(f[1]), tag, strlen(tag));
    return 0;
}

/* jiant tasks/lib/ccg.py: line.strip().split("\t") must give (text, tags); text.split(" ") are the
 * words (the data is space-tokenized), tags.split() the supertags, one per word. */
static int parse_ccg_jiant(LineState *ls, char *line, long ln, XsErr *err) {
    char *f[2];
    size_t nf = split_tabs(line, f, 2);
    if (nf != 2) return err_set(err, ls->path, ln, "expected space-tokenized text<TAB>space-separated supertags, found %zu tab-separated field%s", nf, nf == 1 ? "" : "s");
    size_t nw = 0, nt = 0;
    for (const char *p = f[0];; p++) { if (*p == ' ' || !*p) nw++; if (!*p) break; }
    for (const char *p = f[1]; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        nt++;
        while (*p && *p != ' ') p++;
    }
    if (nw != nt) return err_set(err, ls->path, ln, "expected one supertag per word, found %zu words and %zu supertags", nw, nt);
    ls->cur.line = ln;
    const char *w = f[0], *t = f[1];
    for (size_t i = 0; i < nw; i++) {
        const char *we = strchr(w, ' ');
        size_t wl = we ? (size_t)(we - w) : strlen(w);
        if (!wl) { tag_sentence_clear(&ls->cur); return err_set(err, ls->path, ln, "expected a word, found an empty one (word %zu: two spaces in a row, or a space at an end)", i + 1); }
        while (*t == ' ') t++;
        size_t tl = strcspn(t, " ");
        tag_sentence_push(&ls->cur, &ls->cap, w, wl, t, tl);
        w += wl + 1;
        t += tl;
    }
    return 0;
}

static long stream_lines(LineState *ls, XsErr *err) {
    LineReader lr;
    if (lines_open(&lr, ls->path, err)) return -1;
    long rc = 0;
    char *line;
    size_t len;
    for (;;) {
        int r = lines_next(&lr, &line, &len, err);
        if (r == ROWS_EOF) break;
        if (r == ROWS_FATAL) { rc = -1; break; }
        long ln = lr.lineno;
        if (r == ROWS_OK) {
            if (len == 0) {
                if (ls->fmt == TAGF_CCG_JIANT) { ls->st->nblank++; continue; }
                if (emit(ls, err)) { rc = -1; break; }
                continue;
            }
            if (ls->fmt == TAGF_COLUMNS && !strncmp(line, "-DOCSTART-", 10)) {
                /* utils_tag.read_examples_from_file: a document marker ends the sentence. */
                ls->st->ndocstart++;
                if (emit(ls, err)) { rc = -1; break; }
                continue;
            }
            if (ls->fmt == TAGF_GERMEVAL && line[0] == '#') continue;
            if (ls->dropping) continue;
            if (memchr(line, 0, len)) { err_set(err, ls->path, ln, "expected text, found a NUL byte"); r = ROWS_BAD; }
            else switch (ls->fmt) {
            case TAGF_COLUMNS: r = parse_columns(ls, line, ln, err) ? ROWS_BAD : ROWS_OK; break;
            case TAGF_PANX: r = parse_panx(ls, line, ln, err) ? ROWS_BAD : ROWS_OK; break;
            case TAGF_GERMEVAL: r = parse_germeval(ls, line, ln, err) ? ROWS_BAD : ROWS_OK; break;
            case TAGF_CCG_JIANT: r = parse_ccg_jiant(ls, line, ln, err) ? ROWS_BAD : ROWS_OK; break;
            default: CHECK(0, "format %d is not line-based", (int)ls->fmt);
            }
            if (r == ROWS_OK && ls->fmt == TAGF_CCG_JIANT && emit(ls, err)) { rc = -1; break; }
        }
        if (r == ROWS_BAD) {
            if (rows_bad(ls->o.skip_bad_rows, &ls->st->nbad, err)) { rc = -1; break; }
            /* The whole sentence goes: a tagging example with a hole in it is not the file's. */
            if (!ls->dropping) ls->st->nbad_sent++;
            if (ls->fmt != TAGF_CCG_JIANT) ls->dropping = 1;
            tag_sentence_clear(&ls->cur);
        }
    }
    if (rc == 0 && emit(ls, err)) rc = -1;
    tag_sentence_free(&ls->cur);
    lines_close(&lr);
    return rc ? -1 : (long)ls->st->nbad;
}

long tagging_stream(const char *path, TagFormat fmt, const TagReadOpts *opts, TagFn fn, void *ctx,
                    TagReadStats *st, XsErr *err) {
    TagReadStats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    TagReadOpts o0;
    memset(&o0, 0, sizeof o0);
    if (!opts) opts = &o0;
    if (fmt == TAGF_CONLLU) return conllu_stream(path, opts, fn, ctx, st, err);
    CHECK((unsigned)fmt < TAGF_NFORMATS, "bad TagFormat %d", (int)fmt);
    LineState ls;
    memset(&ls, 0, sizeof ls);
    ls.path = path;
    ls.fmt = fmt;
    ls.o = *opts;
    if (fmt != TAGF_COLUMNS) ls.o.untagged = 0;
    ls.fn = fn;
    ls.ctx = ctx;
    ls.st = st;
    return stream_lines(&ls, err);
}

/* ---- collection ---- */

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static int collect(void *ctx, const TagSentence *s, XsErr *err) {
    (void)err;
    TagCorpus *c = ctx;
    c->v = xgrow(c->v, &c->cap, c->n, sizeof *c->v, 256);
    TagSentence *d = &c->v[c->n++];
    memset(d, 0, sizeof *d);
    d->n = s->n;
    d->line = s->line;
    d->id = dup_or_null(s->id);
    d->words = xmalloc((s->n ? s->n : 1) * sizeof *d->words);
    for (size_t i = 0; i < s->n; i++) d->words[i] = xstrdup(s->words[i]);
    if (s->tags) {
        d->tags = xmalloc((s->n ? s->n : 1) * sizeof *d->tags);
        for (size_t i = 0; i < s->n; i++) d->tags[i] = xstrdup(s->tags[i]);
    }
    return 0;
}

long tagging_read(const char *path, TagFormat fmt, const TagReadOpts *opts, TagCorpus *out, XsErr *err) {
    memset(out, 0, sizeof *out);
    long rc = tagging_stream(path, fmt, opts, collect, out, &out->st, err);
    if (rc < 0) tag_corpus_free(out);
    return rc;
}

void tag_corpus_free(TagCorpus *c) {
    for (size_t i = 0; i < c->n; i++) tag_sentence_free(&c->v[i]);
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* ---- tag sets ---- */

static size_t hash_str(const char *s) {
    size_t h = 1469598103934665603ull;  /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void rehash(TagSet *s) {
    free(s->slot);
    s->nslot = 16;
    while (s->nslot < 2 * s->n + 2) s->nslot *= 2;
    s->slot = xcalloc(s->nslot, sizeof *s->slot);
    for (size_t i = 0; i < s->n; i++) {
        size_t h = hash_str(s->names[i]) & (s->nslot - 1);
        while (s->slot[h]) h = (h + 1) & (s->nslot - 1);
        s->slot[h] = i + 1;
    }
}

void tagset_init(TagSet *s) {
    memset(s, 0, sizeof *s);
    rehash(s);
}

void tagset_init_names(TagSet *s, const char *const *names, size_t n) {
    tagset_init(s);
    for (size_t i = 0; i < n; i++) tagset_add(s, names[i]);
}

int tagset_find(const TagSet *s, const char *name) {
    size_t h = hash_str(name) & (s->nslot - 1);
    while (s->slot[h]) {
        if (!strcmp(s->names[s->slot[h] - 1], name)) return (int)(s->slot[h] - 1);
        h = (h + 1) & (s->nslot - 1);
    }
    return -1;
}

int tagset_add(TagSet *s, const char *name) {
    int i = tagset_find(s, name);
    if (i >= 0) return i;
    s->names = xgrow(s->names, &s->cap, s->n, sizeof *s->names, 32);
    s->names[s->n++] = xstrdup(name);
    if (2 * s->n + 2 > s->nslot) rehash(s);
    else {
        size_t h = hash_str(name) & (s->nslot - 1);
        while (s->slot[h]) h = (h + 1) & (s->nslot - 1);
        s->slot[h] = s->n;
    }
    return (int)(s->n - 1);
}

void tagset_add_corpus(TagSet *s, const TagCorpus *c) {
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].tags)
            for (size_t k = 0; k < c->v[i].n; k++) tagset_add(s, c->v[i].tags[k]);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void tagset_sort(TagSet *s) {
    if (s->n > 1) qsort(s->names, s->n, sizeof *s->names, cmp_str); /* names is NULL when empty */
    rehash(s);
}

void tagset_free(TagSet *s) {
    for (size_t i = 0; i < s->n; i++) free(s->names[i]);
    free(s->names);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

size_t tagset_map(const TagSet *set, const TagSentence *s, int *ids) {
    CHECK(s->tags != NULL, "tagset_map on a sentence without tags (line %ld)", s->line);
    size_t unknown = 0;
    for (size_t i = 0; i < s->n; i++) {
        ids[i] = tagset_find(set, s->tags[i]);
        if (ids[i] < 0) unknown++;
    }
    return unknown;
}

int tagset_read_json(const char *path, TagSet *s, XsErr *err) {
    tagset_init(s);
    json_t *root = squad_json_load(path, err);
    if (!root) { tagset_free(s); return -1; } /* the set is freed on every error (found by fuzz_labels) */
    int rc = 0;
    size_t n = json_object_size(root);
    char **byid = xcalloc(n ? n : 1, sizeof *byid);
    const char *key;
    json_t *v;
    if (!json_is_object(root)) { rc = err_set(err, path, 0, "expected a JSON object {\"tag\": id, ...}"); goto done; }
    json_object_foreach(root, key, v) {
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : -1;
        if (json_is_string(v)) {  /* jiant writes ids as numbers; its loader also accepts strings (int(v)) */
            long l;
            if (!parse_long(json_string_value(v), &l)) id = l;
        }
        if (id < 0 || (size_t)id >= n) { rc = err_set(err, path, 0, "tag \"%s\": expected an id in 0..%zu", key, n ? n - 1 : 0); goto done; }
        if (byid[id]) { rc = err_set(err, path, 0, "tags \"%s\" and \"%s\" have the same id %lld", byid[id], key, (long long)id); goto done; }
        byid[id] = (char *)key;
    }
    for (size_t i = 0; i < n; i++) tagset_add(s, byid[i]);
done:
    free(byid);
    json_decref(root);
    if (rc) tagset_free(s);
    return rc;
}
