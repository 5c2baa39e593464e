//===- QntDialect.h - The qnt dialect, its attributes and types -*- C++ -*-===//

#ifndef QNT_DIALECTS_QNT_QNTDIALECT_H
#define QNT_DIALECTS_QNT_QNTDIALECT_H

#include "qnt/Math/Records.h"
#include "qnt/Support/MLIR.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/qnt/QntDialect.h.inc"
#include "dialects/qnt/QntEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/qnt/QntAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/qnt/QntTypes.h.inc"

#endif // QNT_DIALECTS_QNT_QNTDIALECT_H
