/* model_head.h — a task head inside a Model: its tensors as entries of the model's ParamSet (HF names, so a
 * folder with a head loads in HF's *For* class and back), bound to HeadParams by name. The math: heads.h. */
#ifndef XS_MODEL_HEAD_H
#define XS_MODEL_HEAD_H
#include "model/heads.h"
#include "model/model.h"

/* Registers hc's tensors in m->tab, between model_open / model_init and the block's allocation
 * (model_load_weights / model_alloc_params; CHECK). Base tensors (the pooler of BERT's sequence
 * classification and of every multiple-choice head) re-use the model's pooler entry, added with
 * params_add_pooler when the model has none (heads share it); every other tensor is a new entry named
 * hc->prefix + its HF name ("classifier.dense.weight", or "heads.qqp.classifier.dense.weight"). A head
 * with prefix "" sets m->cfg.architecture to the HF class ("XLMRobertaForTokenClassification", ...) and
 * m->cfg.num_labels to K for SEQ_CLS / TOKEN_CLS (0 for the others), which model_save writes to config.json;
 * a prefixed head changes neither. Errors (m unchanged then): hc disagrees with m->cfg (arch, hidden size;
 * MLM: num_labels != vocab_size), SEQ_CLS with fewer than 2 labels or TOKEN_CLS with none, a malformed
 * prefix (words of [A-Za-z0-9_-] each ending in '.', not "roberta." / "bert."), a name longer than a table
 * name, or a tensor of the head already in the table (the same head twice, or two heads sharing names, e.g.
 * BERT's classifier.* of SEQ_CLS and TOKEN_CLS without a prefix on one of them). */
int model_add_head(Model *m, const HeadConfig *hc, XsErr *err);

/* Points w at the head's parameters in m->tab.block and, when g != NULL, g at their gradients in m->tab.grad
 * (every pointer NULL while there is no gradient block). MLM: w->decoder = the word embeddings, g->decoder =
 * their gradient (m->g.word_emb), so the decoder's gradient accumulates next to the encoder's. CHECK-fails
 * when the table lacks a tensor of the head (model_add_head was not called) or has no block. Pointers stay
 * valid until model_free. */
void model_head_bind(const Model *m, const HeadConfig *hc, HeadParams *w, HeadParams *g);

/* HF's class for hc on a model of cfg: "{XLMRoberta|Roberta|Bert}For{SequenceClassification|MultipleChoice|
 * TokenClassification|QuestionAnswering|MaskedLM}". Returns buf. */
const char *model_head_class(const ModelConfig *cfg, HeadKind kind, char *buf, size_t cap);

/* A folder with a head in one call: model_open → head_config(kind, num_labels) → model_add_head →
 * model_load_weights(m, mode) → model_init_fresh(m, seed) (head entries, or a pooler, absent from the file or
 * skipped by MODEL_LOAD_ENCODER_ONLY: HF's _init_weights, Philox stream = the entry's table index).
 * num_labels = 0: the folder's config.json (id2label) for SEQ_CLS / TOKEN_CLS (an error when it has none);
 * MULTIPLE_CHOICE: the number of choices, needed by head_forward only. mode: MODEL_LOAD_FRESH_OK (resume a
 * model with this head, or start one on an encoder folder) or MODEL_LOAD_ENCODER_ONLY (keep only the encoder
 * and pooler of another phase's folder; its head's tensors are listed in m->unused); MODEL_LOAD_STRICT
 * requires every head tensor in the file. *hc receives the head's config. m is freed on error. */
int model_load_head(const char *dir, HeadKind kind, int num_labels, int mode, uint64_t seed, Model *m, HeadConfig *hc,
                    XsErr *err);
/* The same for the head whose tensors carry the table-name prefix `prefix` (HeadConfig.prefix; "" = model_load_head):
 * one head of a multi-head folder. A prefixed SEQ_CLS / TOKEN_CLS head needs num_labels > 0 (config.json's id2label
 * describes the plain head); the folder's other heads are listed in m->unused. */
int model_load_head_at(const char *dir, HeadKind kind, int num_labels, const char *prefix, int mode, uint64_t seed,
                       Model *m, HeadConfig *hc, XsErr *err);

#endif
