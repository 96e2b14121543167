/* tagging.h — word-level tagging examples (UD-POS, PAN-X, GermEval 2014 NER, CCG supertags) read
 * from the files as published and from XTREME's download/ layout, streamed or collected, and the
 * tag set builder. CoNLL-U parsing is in data/conll; sub-word alignment is left to tasks/. */
#ifndef XS_TAGGING_H
#define XS_TAGGING_H
#include "core/check.h"
#include <stddef.h>

typedef enum {
    TAGF_CONLLU,      /* UD CoNLL-U (data/conll.c): FORM + UPOS, multi-word tokens as XTREME */
    TAGF_COLUMNS,     /* token<TAB>tag, blank line between sentences: XTREME download/udpos and
                       * download/panx {train,dev,test}-{lang}.tsv, CCG token/supertag columns */
    TAGF_PANX,        /* PAN-X as published ({lang}-{split}): lang:token<TAB>TAG, IOB2 */
    TAGF_GERMEVAL,    /* GermEval 2014: index<TAB>token<TAB>outer<TAB>nested, "#" comment lines */
    TAGF_CCG_JIANT,   /* jiant ccg.{train,dev,test}: one sentence a line, space-tokenized
                       * text<TAB>space-separated supertags */
    TAGF_NFORMATS
} TagFormat;

/* "conllu", "columns", "panx", "germeval", "ccg-jiant"; parse returns -1 for an unknown name. */
const char *tag_format_name(TagFormat f);
int tag_format_parse(const char *name, TagFormat *f);

/* The layout from the path alone, as the publishers and XTREME's download script name files:
 * "*.conllu" → conllu; ".../udpos/{split}-{lang}.tsv", ".../panx/{split}-{lang}.tsv" → columns (test-*
 * untagged); "{lang}-{train,dev,test}" (PAN-X as published) → panx; "NER-de-*.tsv", "germeval*.tsv" →
 * germeval; "ccg.{train,dev,test}" → ccg-jiant. lang (may be NULL) gets the language code the name
 * holds ("" when none): UD "fr_gsd-ud-test.conllu" → "fr" (what download_data.sh passes as --lang),
 * "test-de.tsv" → "de", PAN-X "de-dev" → "de". untagged may be NULL. -1 when nothing fits. */
int tag_format_guess(const char *path, TagFormat *f, int *untagged, char lang[16]);

typedef struct TagSentence {
    char **words;  /* (n) surface words, UTF-8 */
    char **tags;   /* (n) tag strings; NULL when the file carries no tags (opts.untagged) */
    size_t n;
    char *id;      /* CoNLL-U "# sent_id", or NULL */
    long line;     /* 1-based line of the sentence's first row */
} TagSentence;

typedef struct TagReadOpts {
    int skip_bad_rows;  /* a malformed row drops its sentence with a logged warning, counted in nbad */
    int untagged;       /* COLUMNS: every row is the token alone (XTREME test-{lang}.tsv) */
    int nested;         /* GERMEVAL: the nested-entity column (4th) instead of the outer one (3rd) */
    int conllu_words;   /* CONLLU: UD syntactic words (range lines ignored) instead of XTREME's fused
                         * forms; also turns off XTREME's "_"-sentence filter and space removal */
    const char *lang;   /* CONLLU: language code choosing XTREME's POS precedence list ("es", "fr",
                         * "it"; anything else or NULL = the default list) */
} TagReadOpts;

typedef struct TagReadStats {
    size_t nsent;       /* sentences delivered */
    size_t ntok;        /* words delivered */
    size_t nbad;        /* malformed rows skipped (skip_bad_rows) */
    size_t nbad_sent;   /* sentences dropped because of them */
    size_t ndocstart;   /* COLUMNS: -DOCSTART- lines (sentence boundaries, as XTREME's utils_tag) */
    size_t nblank;      /* CCG_JIANT: blank lines skipped */
    size_t nmwt;        /* CONLLU: multi-word tokens fused into their surface form */
    size_t nempty;      /* CONLLU: empty nodes (ID n.m) dropped */
    size_t nfiltered;   /* CONLLU: sentences dropped by XTREME's filter (all or all but one word "_") */
} TagReadStats;

/* Called once per sentence; s and its strings are valid during the call only. Non-zero stops the
 * stream (return -1 and set err to fail it). */
typedef int (*TagFn)(void *ctx, const TagSentence *s, XsErr *err);

/* Streams path one sentence at a time (memory: one sentence). Returns the number of malformed rows
 * skipped (>= 0), or -1 + err ("path:line: expected ..."). opts and st may be NULL. */
long tagging_stream(const char *path, TagFormat fmt, const TagReadOpts *opts, TagFn fn, void *ctx,
                    TagReadStats *st, XsErr *err);

typedef struct TagCorpus {
    TagSentence *v;  /* (n) owned */
    size_t n, cap;
    TagReadStats st;
} TagCorpus;

/* Reads a whole file into *out (strings owned by the corpus). Returns the skip count or -1 + err. */
long tagging_read(const char *path, TagFormat fmt, const TagReadOpts *opts, TagCorpus *out, XsErr *err);
void tag_corpus_free(TagCorpus *c);

/* ---- tag sets: name <-> index ---- */
typedef struct TagSet {
    char **names;   /* (n) owned */
    size_t n, cap;
    size_t *slot;   /* (nslot) open-addressing hash: index + 1, 0 = empty */
    size_t nslot;
} TagSet;

void tagset_init(TagSet *s);
/* A fixed set in the given order. */
void tagset_init_names(TagSet *s, const char *const *names, size_t n);
/* Index of name, adding it when new. */
int tagset_add(TagSet *s, const char *name);
/* Index of name, or -1. */
int tagset_find(const TagSet *s, const char *name);
/* Adds every tag of the corpus (the "all tags seen in train" sets of CCG, or XTREME's labels.txt). */
void tagset_add_corpus(TagSet *s, const TagCorpus *c);
/* Re-orders by byte order of the names, as XTREME's labels.txt (`sort | uniq`) and jiant do. */
void tagset_sort(TagSet *s);
void tagset_free(TagSet *s);
/* jiant's tags_to_id.json ({"tag": id, ...}, ids 0..n-1 each once): the set in id order. */
int tagset_read_json(const char *path, TagSet *s, XsErr *err);
/* ids[i] = index of s->tags[i] or -1 when the tag is not in the set; returns how many are -1.
 * CHECK: the sentence has tags. */
size_t tagset_map(const TagSet *set, const TagSentence *s, int *ids /* (s->n) */);

/* XTREME's label lists (labels.txt of download/udpos and download/panx): the 17 UPOS tags and the
 * 7 PAN-X IOB2 tags, in byte order. */
extern const char *const TAGS_UPOS[17];
extern const char *const TAGS_PANX[7];

/* ---- for the readers (data/conll.c) ---- */
/* Appends a word (and its tag unless tag is NULL) to s, copying both; *cap is s's capacity. */
void tag_sentence_push(TagSentence *s, size_t *cap, const char *word, size_t wlen, const char *tag, size_t tlen);
/* Frees the strings and empties s (the arrays are kept for reuse). */
void tag_sentence_clear(TagSentence *s);
/* Frees everything. */
void tag_sentence_free(TagSentence *s);

#endif
