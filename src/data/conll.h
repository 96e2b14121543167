/* conll.h — Universal Dependencies CoNLL-U for UD-POS: (FORM, UPOS) per word, with multi-word
 * tokens and empty nodes treated as XTREME's download_data.sh pipeline does. Column files and the
 * sentence / tag-set types are in data/tagging. */
#ifndef XS_CONLL_H
#define XS_CONLL_H
#include "data/tagging.h"

/* Streams a .conllu file one sentence at a time (tagging_stream with TAGF_CONLLU lands here).
 *
 * Default (XTREME): what ud-conversion-tools' conllu_to_conll.py --replace_subtokens_with_fused_forms
 * followed by utils_preprocess.udpos_preprocess gives, i.e. download/udpos/{split}-{lang}.tsv:
 *  - a multi-word token "a-b FORM" becomes ONE word: the surface FORM, tagged with the UPOS of the
 *    span's head word = the word of a..b with the fewest ancestors in the dependency graph (HEAD
 *    and the enhanced DEPS edges), ties broken by the language's POS precedence list;
 *  - empty nodes (ID n.m) are dropped;
 *  - a sentence whose words are all "_", or all but one, is dropped;
 *  - U+200C and ASCII spaces are removed from every word.
 * opts->conllu_words: the UD syntactic words (range lines ignored), nothing dropped or changed.
 * Malformed (error or, with skip_bad_rows, a dropped sentence): not 10 tab-separated columns, an ID
 * out of sequence, a bad range, an empty FORM or UPOS, a HEAD or DEPS head that is not a word.
 * opts and st may be NULL (st is not cleared: tagging_stream does that). */
long conllu_stream(const char *path, const TagReadOpts *opts, TagFn fn, void *ctx, TagReadStats *st, XsErr *err);

#endif
