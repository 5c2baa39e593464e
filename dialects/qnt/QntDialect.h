//===- QntDialect.h - The qnt dialect, its attributes and types -*- C++ -*-===//

#ifndef QNT_DIALECTS_QNT_QNTDIALECT_H
#define QNT_DIALECTS_QNT_QNTDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/qnt/QntDialect.h.inc"
#include "dialects/qnt/QntEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/qnt/QntAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/qnt/QntTypes.h.inc"

namespace qnt::math {
struct Scheme;
} // namespace qnt::math

namespace mlir::qnt {

/// The scheme in the form the dependency-free maths library takes (field for
/// field; the library refuses to quantize what it does not handle).
::qnt::math::Scheme toMathScheme(SchemeAttr scheme);
/// The reverse: the attribute of a maths scheme (a GGML format's, say).
SchemeAttr fromMathScheme(MLIRContext *context, const ::qnt::math::Scheme &s);

} // namespace mlir::qnt

#endif // QNT_DIALECTS_QNT_QNTDIALECT_H
