/* encoder.h — the post-LayerNorm BERT / XLM-R encoder (HF modeling_bert.py, modeling_xlm_roberta.py):
 * forward with every layer's hidden state, backward for every parameter and the input embeddings.
 * Weights/loading live in model.c / params.c; pooling and heads live with their callers. */
#ifndef XS_ENCODER_H
#define XS_ENCODER_H
#include "model/config.h"
#include "model/params.h"
#include <stdint.h>

/* Activations + workspace for up to (Bmax, Tmax), sized once in encoder_state_new (one arena);
 * encoder_forward/backward never allocate. train = 1 keeps what backward needs. */
typedef struct EncoderState EncoderState;

EncoderState *encoder_state_new(const ModelConfig *cfg, int B, int T, int train);
/* Inference state that computes hidden states 0..layer only and keeps just hidden_states[layer]
 * (two ping-pong buffers): for encoding from a middle layer, less memory and no work past it. */
EncoderState *encoder_state_new_layer(const ModelConfig *cfg, int B, int T, int layer);
void encoder_state_free(EncoderState *s);
/* Compute only the rows where mask != 0 (packed: no padding rows in any GEMM, attention over each
 * sequence's tokens only), in inference and in training. Hidden states at tokens are those of the
 * unpacked forward (same math and, in training, the same dropout masks; float rounding may differ in
 * the last bits); at padding positions they are 0, where HF computes values that only padding
 * depends on. In backward, gradients given at padding positions are ignored (they reach no token)
 * and demb is 0 there. Off by default (exact HF, padding rows included). */
void encoder_set_skip_padding(EncoderState *s, int on);
/* Bytes the state holds (for RSS budgeting / logs). */
size_t encoder_state_bytes(const EncoderState *s);

/* ids, type_ids: (B,T) (type_ids may be NULL = all zeros); mask: (B,T) 1 = token, 0 = padding
 * (NULL = all tokens). B <= Bmax, T <= Tmax of the state; train = 1 needs a state made with train = 1.
 * train: dropout (cfg->hidden_dropout / cfg->attn_dropout) with masks from core/rng.h, keyed by seed,
 * stream per (layer, site), counter = step: identical for any thread count.
 * Positions: XLM-R = HF create_position_ids_from_input_ids (cumsum of ids != pad, + pad; pads get pad),
 * BERT = 0..T-1. Padding positions are computed as HF computes them. */
void encoder_forward(const ModelConfig *cfg, const EncoderParams *w, EncoderState *s,
                     const int32_t *ids, const int32_t *type_ids, const float *mask,
                     int B, int T, int train, uint64_t seed, uint32_t step);

/* (B,T,C) of the last forward, rows contiguous: layer 0 = embedding output (after LN and dropout),
 * layer L = last; exactly HF's hidden_states[layer]. Valid until the next forward. */
const float *encoder_hidden(const EncoderState *s, int layer);

/* dlast: (B,T,C) dLoss/d(hidden_states[L]). Accumulates (+=) into grads (same table, another block).
 * demb (B,T,C) or NULL: written (=) with dLoss/d(embedding sum before LN) = HF's inputs_embeds grad.
 * Needs the last forward to have run with train = 1 (dropout may be 0). */
void encoder_backward(const ModelConfig *cfg, const EncoderParams *w, EncoderParams *grads, EncoderState *s,
                      const float *dlast, float *demb);
/* Same with a gradient per hidden state: dhidden[l] (B,T,C) or NULL for l = 0..L (for heads that read
 * a middle layer, or several). */
void encoder_backward_multi(const ModelConfig *cfg, const EncoderParams *w, EncoderParams *grads,
                            EncoderState *s, const float *const *dhidden, float *demb);

#endif
