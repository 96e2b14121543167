/* config.h — the Hugging Face config.json fields xstilts needs, for model_type xlm-roberta,
 * roberta and bert. Reading/writing lives in config.c; the shapes it implies live in params.h. */
#ifndef XS_CONFIG_H
#define XS_CONFIG_H
#include "core/check.h"

typedef enum { ARCH_XLMR = 0, ARCH_BERT = 1 } ModelArch; /* xlm-roberta and roberta -> ARCH_XLMR */

/* One head of a multi-head folder (a multi-task training job): config.json "xstilts_heads" (docs/HEADS.md). */
#define MODEL_MAX_HEADS 32
typedef struct ModelHeadRef {
    char task[48];            /* the task it was trained on ("mnli") */
    char kind[24];            /* heads.h head_kind_name ("seq_cls", "multiple_choice", ...) */
    int num_labels;           /* SEQ_CLS / TOKEN_CLS classes, MULTIPLE_CHOICE choices; 0 for SPAN_QA / MLM */
    char prefix[48];          /* table-name prefix of its tensors: "" = HF's plain names (config.json's class and
                               * id2label describe that head), "heads.qqp." = the others */
} ModelHeadRef;

typedef struct ModelConfig {
    ModelArch arch;
    char model_type[32];      /* as written in config.json ("xlm-roberta", "roberta", "bert") */
    int vocab_size;           /* V */
    int hidden_size;          /* C */
    int num_layers;           /* L  (num_hidden_layers) */
    int num_heads;            /* NH (num_attention_heads) */
    int intermediate_size;    /* F */
    int max_position;         /* P  (max_position_embeddings) */
    int type_vocab_size;      /* TV */
    int pad_token_id;
    float layer_norm_eps;
    float hidden_dropout;     /* hidden_dropout_prob */
    float attn_dropout;       /* attention_probs_dropout_prob */
    float initializer_range;  /* std of the normal init, 0.02 */
    char tokenizer_class[64]; /* optional "tokenizer_class" (e5, LaBSE: BERT encoder + XLM-R tokenizer); "" if absent */
    char architecture[64];    /* architectures[0] when it is a task class ("XLMRobertaForTokenClassification");
                               * "" = absent or the base class. config_save writes it ("" -> the base class);
                               * in a Model it names the head in the table: model_open clears it, model_add_head sets it */
    int num_labels;           /* size of "id2label" (else "num_labels"); 0 when absent. config_save writes
                               * id2label / label2id {i: "LABEL_i"} when > 0, as HF's PretrainedConfig */
    const char *const *label_names; /* (num_labels) names config_save writes in id2label / label2id instead of
                               * HF's generic "LABEL_i" (a task's labels: tasks/taskdata.h); not owned; NULL =
                               * LABEL_i. config_load leaves it NULL (tasks/predict.c checks the names) */
    int n_heads;              /* > 0: a multi-head folder, heads[] = config.json "xstilts_heads" (config_save writes it
                               * only then, so one-head folders are unchanged); 0: one head (the class) or none.
                               * model_open clears it (a Model's heads are the ones added); train/job.c sets it */
    ModelHeadRef heads[MODEL_MAX_HEADS];
} ModelConfig;

/* Reads dir/config.json. Errors name the file and the missing/bad field. */
int config_load(const char *path, ModelConfig *cfg, XsErr *err);
/* Writes config.json atomically, with the fields HF's from_pretrained expects. */
int config_save(const char *path, const ModelConfig *cfg, XsErr *err);
/* Named sizes: tiny, small, base, large. Returns -1 for an unknown name. */
int config_preset(ModelConfig *cfg, ModelArch arch, const char *size, int vocab_size);

#endif
