//===- Conversion.h - The lowerings out of qnt, as patterns -----*- C++ -*-===//
//
// Each lowering of passes/Conversion as upstream's conversions export theirs:
// a populate* entry point that adds its patterns to a set, the pass a thin
// shell over it. A pipeline of one's own (another bufferization, another
// thread runtime) can take the patterns without the passes:
//
//   qnt.matmul_tile     --populateMatmulTileToVectorPatterns-->   vector + qnt_x86
//   other qnt ops       --populateQntToVectorConversionPatterns--> scf/vector loops
//                                                                 on component tensors
//   qnt_x86 dots        --populateQntX86ToLLVMPatterns-->         x86 intrinsics or
//                                                                 vector arithmetic
//
//===----------------------------------------------------------------------===//

#ifndef QNT_CONVERSION_CONVERSION_H
#define QNT_CONVERSION_CONVERSION_H

#include "dialects/qnt/QntDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace qnt {

/// A `!qnt.tensor` becomes its component tensors (data, scales and, where its
/// scheme keeps them, sums and zero points): a 1:N conversion; every other
/// type stays as it is.
void populateQntToComponentsTypeConversion(TypeConverter &converter);

/// Every qnt op but the matmul (a register tile by then) as loops on tensors,
/// by family: quantize/dequantize/constant/pack/unpack; embedding, rms_norm,
/// rope, silu_mul, float linear, the residual adds and the f16 cache's
/// truncf; attention. `tileCols` is the column tile of the row-parallel
/// kernels. Function signatures, calls and returns are the caller's to
/// convert (upstream's func patterns with the same converter).
void populateQntToVectorConversionPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns,
                                           int64_t tileCols);

/// What populateQntToVectorConversionPatterns leaves: qnt illegal, qnt_x86
/// and the upstream dialects the loops use legal, functions, calls and
/// returns legal once `converter` has converted their types, the residual
/// adds and cache truncs illegal (other arith.addf/truncf ops stay).
/// `converter` must outlive `target`.
void configureQntToVectorConversionTarget(ConversionTarget &target,
                                          const TypeConverter &converter);

/// qnt.matmul_tile as unrolled vector code: i32 accumulators per group built
/// on the qnt_x86 dot the tile's `dot` names, scaled into f32 once a group.
/// The weights' streams are prefetched `prefetchBytes` ahead of their reads
/// (one `memref.prefetch` per 64-byte line; 0: none; kPrefetchByFormat:
/// the distance qnt::defaultPrefetchBytes gives the weight's format); a
/// single-row tile's also `leadPrefetchBytes` ahead, one line every
/// qnt::kLeadPrefetchPeriod bytes (0: not; kPrefetchByFormat: as
/// qnt::defaultLeadPrefetchBytes gives).
void populateMatmulTileToVectorPatterns(RewritePatternSet &patterns,
                                        int64_t prefetchBytes,
                                        int64_t leadPrefetchBytes);

/// The qnt_x86 ops as the target's instructions where `dot` has them and
/// `intrinsics` allows (vpdpbusd with vnni; AVX2's vpmaddubsw sequences,
/// vpshufb with vnni or maddubs), else as vector arithmetic LLVM lowers for
/// any CPU.
void populateQntX86ToLLVMPatterns(RewritePatternSet &patterns, DotKind dot,
                                  bool intrinsics);

} // namespace qnt

#endif // QNT_CONVERSION_CONVERSION_H
