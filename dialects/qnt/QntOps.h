//===- QntOps.h - qnt operations ----------------------------*- C++ -*-===//

#ifndef QNT_DIALECTS_QNT_QNTOPS_H
#define QNT_DIALECTS_QNT_QNTOPS_H

#include "dialects/qnt/QntDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/qnt/QntOps.h.inc"

#endif // QNT_DIALECTS_QNT_QNTOPS_H
