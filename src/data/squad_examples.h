/* squad_examples.h — span-QA training/evaluation examples from SQuAD-format JSON (SQuAD v1.1 and
 * v2.0, XQuAD, MLQA, TyDiQA-GoldP, XTREME download/ copies): question, context, answers with their
 * character and byte spans, checked against the context. Gold-for-scoring stays in data/squad_json. */
#ifndef XS_SQUAD_EXAMPLES_H
#define XS_SQUAD_EXAMPLES_H
#include "core/check.h"
#include <stddef.h>

typedef struct QaAnswer {
    char *text;
    long start;         /* answer_start as in the file: a character (code point) offset, Python's str index */
    size_t byte_start;  /* the same span in bytes of the UTF-8 context: [byte_start, byte_end) */
    size_t byte_end;
} QaAnswer;

typedef struct QaExample {
    char *id;
    char *title;        /* the article's title ("" when the file has none) */
    char *context;      /* in a QaSet: shared by the questions of one paragraph (owned by the set) */
    char *question;
    QaAnswer *answers;  /* (nanswers) in file order; none when is_impossible */
    size_t nanswers;
    int is_impossible;  /* SQuAD v2.0 "is_impossible": true */
    size_t article, paragraph;  /* indices in the file: data[article].paragraphs[paragraph] */
} QaExample;

typedef struct QaReadOpts {
    int skip_bad_rows;  /* a malformed question (or paragraph, article) becomes a logged, counted skip */
} QaReadOpts;

typedef struct QaReadStats {
    size_t narticles, nparagraphs;  /* read */
    size_t nquestions;              /* delivered */
    size_t nimpossible;             /* of them, unanswerable (v2) */
    size_t nanswers;                /* answers delivered */
    size_t nbad;                    /* malformed questions / paragraphs / articles skipped */
    char version[32];               /* the file's "version" ("1.1", "v2.0"), "" when none */
} QaReadStats;

/* Called once per question; ex and its strings are valid during the call only. Non-zero stops
 * the stream (return -1 and set err to fail it). */
typedef int (*QaFn)(void *ctx, const QaExample *ex, XsErr *err);

/* Reads {"data": [articles], "version": ...} or a bare list of articles (as XTREME's read_squad).
 * Malformed: a missing or mistyped field (title, paragraphs, context, qas, id, question, answers,
 * text, answer_start, is_impossible), an answer whose text is not the context at answer_start
 * ("path: question <id>: answers[k] ..."), an answerable question without answers, an unanswerable
 * one with answers. Returns the skip count (>= 0) or -1 + err. The JSON is loaded whole (jansson);
 * nothing else is kept. opts and st may be NULL. */
long qa_stream(const char *path, const QaReadOpts *opts, QaFn fn, void *ctx, QaReadStats *st, XsErr *err);

typedef struct QaSet {
    QaExample *v;       /* (n) owned; v[i].context points into contexts */
    size_t n, cap;
    char **contexts;    /* (ncontexts) one per paragraph read */
    size_t ncontexts, capcontexts;
    QaReadStats st;
} QaSet;

/* Reads the whole file; a question id occurring twice is an error. Returns the skip count or -1. */
long qa_read(const char *path, const QaReadOpts *opts, QaSet *out, XsErr *err);
void qa_set_free(QaSet *s);

#endif
