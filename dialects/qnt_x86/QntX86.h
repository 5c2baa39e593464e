//===- QntX86.h - The qnt_x86 dialect and its ops -------------*- C++ -*-===//

#ifndef QNT_DIALECTS_QNT_X86_QNTX86_H
#define QNT_DIALECTS_QNT_X86_QNTX86_H

#include "qnt/Support/MLIR.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/qnt_x86/QntX86Dialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/qnt_x86/QntX86Ops.h.inc"

#endif // QNT_DIALECTS_QNT_X86_QNTX86_H
