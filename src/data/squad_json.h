/* squad_json.h — reads SQuAD-format gold JSON (v1.1, v2.0, XQuAD, MLQA, TyDiQA-GoldP) for
 * scoring, and `{qid: "answer"}` / `{qid: prob}` prediction JSON. Scoring is in eval/squad. */
#ifndef XS_SQUAD_JSON_H
#define XS_SQUAD_JSON_H
#include "core/check.h"
#include <jansson.h>
#include <stddef.h>

typedef struct SquadQA {
    char *id;
    char **answers;   /* (nanswers) answer texts, in file order */
    size_t nanswers;
} SquadQA;

typedef struct SquadGold {
    SquadQA *qa;      /* (n) in file order (articles → paragraphs → qas) */
    size_t n;
    char *version;    /* the "version" field, or NULL */
} SquadGold;

/* A whole JSON file through jansson; duplicate keys refused; syntax errors name the line and
 * column. The caller json_decref()s the result. Shared with data/squad_examples. */
json_t *squad_json_load(const char *path, XsErr *err);

/* Accepts {"data": [...]} (the SQuAD layout) or a bare list of articles (as XTREME's read_squad
 * does). Duplicate question ids are an error. */
int squad_gold_read(const char *path, SquadGold *g, XsErr *err);
void squad_gold_free(SquadGold *g);

/* A JSON object of question id → answer string, kept in file order with a sorted index. */
typedef struct QaPreds {
    char **ids;       /* (n) */
    char **texts;     /* (n) */
    size_t n;
    size_t *order;    /* (n) indices sorted by id, for lookup */
} QaPreds;
int qa_preds_read(const char *path, QaPreds *p, XsErr *err);
/* Builds p->order for p->ids[0 .. n) (malloc'd; qa_preds_free frees it): for predictions made in memory. */
void qa_preds_index(QaPreds *p);
/* Index of id, or -1. */
long qa_preds_find(const QaPreds *p, const char *id);
void qa_preds_free(QaPreds *p);

/* A JSON object of question id → number (SQuAD v2.0 na_prob file), in file order. */
typedef struct QaProbs {
    char **ids;       /* (n) */
    double *probs;    /* (n) */
    size_t n;
    size_t *order;    /* (n) sorted by id */
} QaProbs;
int qa_probs_read(const char *path, QaProbs *p, XsErr *err);
long qa_probs_find(const QaProbs *p, const char *id);
void qa_probs_free(QaProbs *p);

#endif
