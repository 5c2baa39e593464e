//===- GGUFImport.h - A llama GGUF as qnt IR -----------------*- C++ -*-===//
//
// Builds the model as two entry points over one KV cache, @forward (prefill
// or scoring: T tokens, and logits_from, the first position whose logits it
// computes) and @decode (one token), with the parameters
// runtime/include/qnt/entry_points.def lists, each named there
// (QntDialect::kParamAttrName); the logits are the result:
//
//   @forward(tokens: tensor<?xi32>, pos: index, logits_from: index,
//            kcache, vcache [, kscales, vscales]) -> tensor<?xVxf32>
//   @decode(tokens: tensor<1xi32>, pos: index,
//           kcache, vcache [, kscales, vscales]) -> tensor<1xVxf32>
//
// kcache and vcache are [layers, context, kv_heads * head_dim] buffers of
// f16 (or f32, or i8 with f16 scales per 32 in kscales and vscales:
// ImportOptions::kvCache), updated in place at rows pos .. pos + T - 1. Per
// layer: RMSNorm, q/k/v linears, RoPE, cache writes, causal grouped-query
// attention, output linear, residual add, RMSNorm, SwiGLU FFN (gate, up,
// silu*mul, down), residual add; then the final norm and the output head
// (the embedding when output.weight is absent).
//
// Weights are dense_resource attributes whose blobs point into the mapped
// file (no copy): `file` must outlive the module. Q8_0 weights become
// qnt.dequantize of a qnt.constant, which the fold pass repacks without
// requantizing.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_IMPORT_GGUFIMPORT_H
#define QNT_IMPORT_GGUFIMPORT_H

#include "qnt/GGUF/GGUF.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace qnt {

/// The KV cache's element type (qnt/model.h's QNT_KV_CACHE_*, same values).
enum class KvCache : int32_t { F32 = 0, F16 = 1, Q8_0 = 2 };

struct ImportOptions {
  /// KV cache length; 0 for the model's context length.
  int64_t context = 0;
  /// What the cache holds: keys and values are rounded to it as written.
  KvCache kvCache = KvCache::F16;
};

/// Imports a llama GGUF; null with `error` set if the model is not one this
/// importer understands.
mlir::OwningOpRef<mlir::ModuleOp> importGGUF(const gguf::File &file,
                                             mlir::MLIRContext *context,
                                             const ImportOptions &options,
                                             std::string &error);

} // namespace qnt

#endif // QNT_IMPORT_GGUFIMPORT_H
