//===- MLIR.h - MLIR's names inside namespace qnt ---------------*- C++ -*-===//
//
// The project's C++ lives in one namespace, `qnt` (the dialects, the passes,
// the libraries, the tools). Code in it that speaks MLIR sees MLIR's names
// unqualified, as CIRCT's circt/Support/LLVM.h does for circt and MLIR does
// for LLVM's ADT: `Value`, `OpBuilder` and `LogicalResult` mean MLIR's. A
// name qnt declares itself wins inside qnt: where qnt/Math is included,
// `math::` there is qnt's maths library and MLIR's dialect `mlir::math::`.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_SUPPORT_MLIR_H
#define QNT_SUPPORT_MLIR_H

namespace mlir {}

namespace qnt {
using namespace ::mlir;
} // namespace qnt

#endif // QNT_SUPPORT_MLIR_H
