/* encoder.c — post-LN BERT / XLM-R forward and backward over kernels/ops.h (placeholder; being written).
 * Parameters come from params.h; loading from model.c. */
#include "model/encoder.h"
