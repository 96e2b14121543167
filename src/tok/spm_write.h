/* spm_write.h — writes a SentencePiece ModelProto (.model) from a vocabulary held in memory, taking
 * the trainer and normalizer specs from a template model. Reading and encoding live in spm.h. */
#ifndef XS_SPM_WRITE_H
#define XS_SPM_WRITE_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

/* Writes `path` atomically: ModelProto.pieces = (pieces[i], scores[i], types[i]) for i < n (types are
 * SPM_NORMAL, SPM_UNKNOWN, ...; every field written, as protobuf does for explicitly set proto2
 * fields), then the template's trainer_spec with vocab_size set to n, then its normalizer_spec and
 * any further top-level fields, byte for byte. Fields appear in field-number order, as protobuf
 * serializers write them, so the result equals python-protobuf's SerializeToString of the same
 * message. Errors name the template (and byte offset) or the output file. */
int spm_write_model(const char *path, const char *const *pieces, const float *scores, const uint8_t *types, int n,
                    const char *template_path, XsErr *err);

#endif
