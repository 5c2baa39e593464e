/* The entry points quant-compile wrote (its header, QNT_HEADER) have the C
 * types qnt/model.h declares from qnt/entry_points.def, the description the
 * importer built them from: a parameter that differs in type or count makes
 * these assignments incompatible-pointer errors under -Werror. */
#include "qnt/model.h"
#include QNT_HEADER

#ifdef QNT_Q8
static qnt_forward_q8_fn forward = _mlir_ciface_forward;
static qnt_decode_q8_fn decode = _mlir_ciface_decode;
#else
static qnt_forward_fn forward = _mlir_ciface_forward;
static qnt_decode_fn decode = _mlir_ciface_decode;
#endif

int entry_points_match(void) { return forward != 0 && decode != 0; }
