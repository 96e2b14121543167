/* squad.h — SQuAD v1.1 / v2.0 and MLQA answer normalisation and EM/F1, bit-for-bit as the
 * official Python scripts compute them. Reading the JSON files is left to data/squad_json. */
#ifndef XS_SQUAD_H
#define XS_SQUAD_H
#include "core/check.h"
#include "data/squad_json.h"
#include <stddef.h>
#include <stdint.h>

/* Which normalize_answer: SQUAD = evaluate-v1.1.py / evaluate-v2.0.py (ASCII punctuation,
 * English articles); the others are mlqa_evaluation_v1.py called with that language code. */
typedef enum { SQ_SQUAD = 0, SQ_EN, SQ_ES, SQ_HI, SQ_VI, SQ_DE, SQ_AR, SQ_ZH } SqLang;

/* "en" → SQ_EN … ; returns -1 for a code the MLQA script does not know. */
int squad_lang_parse(const char *code);

/* Python 3 str semantics on code points (exposed so the tests can check them exhaustively
 * against CPython's tables): re's \w, MLQA's PUNCT set, and the two derived properties CPython's
 * str.lower() uses for the final-sigma rule. str.isspace is core/text.h's text_isspace. */
int pyu_isword(uint32_t c);
int pyu_is_mlqa_punct(uint32_t c);
int pyu_is_case_ignorable(uint32_t c);
int pyu_is_cased(uint32_t c);
/* str.lower(): full lowercase (U+0130 → "i̇") and Final_Sigma. out must hold 2n code points;
 * returns the number written. */
size_t pyu_lower(const uint32_t *in /* (n) */, size_t n, uint32_t *out /* (2n) */);

/* normalize_answer(s[, lang]) as a malloc'd UTF-8 string: its tokens joined by single spaces
 * (so `.split()` of it is a split on ' '). s must be valid UTF-8. */
char *squad_normalize(const char *s, SqLang lang);

/* One prediction vs one gold answer, on already-normalised strings. */
int squad_exact_norm(const char *npred, const char *ngold);
/* f1_score of the v1.1/MLQA scripts: 0 when no token is shared. */
double squad_f1_norm(const char *npred, const char *ngold);

/* Question ids → prediction strings (and optional no-answer probabilities). */
typedef struct SquadV1Result {
    double exact_match, f1;  /* 0-100 */
    size_t total, missing;
} SquadV1Result;

/* evaluate() of evaluate-v1.1.py (lang = SQ_SQUAD) or of mlqa_evaluation_v1.py. A gold question
 * with no prediction is an error unless allow_missing (then it scores 0 like the scripts); a
 * prediction for an id not in the gold is an error. Returns 0 or -1 with err set. */
int squad_evaluate_v1(const SquadGold *gold, const QaPreds *pred, SqLang lang, int allow_missing,
                      SquadV1Result *res, XsErr *err);

typedef struct SquadV2Result {
    double exact, f1; size_t total;
    int has_hasans; double hasans_exact, hasans_f1; size_t hasans_total;
    int has_noans; double noans_exact, noans_f1; size_t noans_total;
    int has_best; double best_exact, best_exact_thresh, best_f1, best_f1_thresh;
} SquadV2Result;

/* main() of evaluate-v2.0.py: na (may be NULL = all 0.0) and na_thresh as --na-prob-file and
 * --na-prob-thresh; best_* only when na is given. Every gold id needs a prediction. */
int squad_evaluate_v2(const SquadGold *gold, const QaPreds *pred, const QaProbs *na, double na_thresh,
                      SquadV2Result *res, XsErr *err);

#endif
