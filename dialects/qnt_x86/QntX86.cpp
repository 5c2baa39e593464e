//===- QntX86.cpp - The qnt_x86 dialect and its ops' verifiers ------------===//

#include "dialects/qnt_x86/QntX86.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace qnt::x86;

#include "dialects/qnt_x86/QntX86Dialect.cpp.inc"

void QntX86Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/qnt_x86/QntX86Ops.cpp.inc"
      >();
}

/// The byte operands of a dot hold `per` bytes for each lane of `acc`.
static LogicalResult verifyBytesPerLane(Operation *op, VectorType acc,
                                        VectorType bytes, int64_t per) {
  int64_t lanes = acc.getNumElements(), n = bytes.getNumElements();
  if (n != per * lanes)
    return op->emitOpError("expects ")
           << per << " bytes per i" << acc.getElementTypeBitWidth()
           << " lane: " << n << " bytes for " << lanes << " lanes";
  return success();
}

LogicalResult DpbusdOp::verify() {
  return verifyBytesPerLane(*this, getAcc().getType(), getLhs().getType(), 4);
}

LogicalResult DpbssdOp::verify() {
  return verifyBytesPerLane(*this, getAcc().getType(), getLhs().getType(), 4);
}

LogicalResult DpbuswOp::verify() {
  return verifyBytesPerLane(*this, getAcc().getType(), getLhs().getType(), 2);
}

LogicalResult LookupOp::verify() {
  if (getTable().size() != 16)
    return emitOpError("expects a table of 16 bytes, got ") << getTable().size();
  return success();
}

LogicalResult WidenPairsOp::verify() {
  int64_t in = getInput().getType().getNumElements();
  int64_t out = getResult().getType().getNumElements();
  if (in != 2 * out)
    return emitOpError("expects 2 i16 lanes per i32 lane: ")
           << in << " for " << out;
  if (getFactors() && getFactors().getType().getNumElements() != out)
    return emitOpError("expects one factor per i32 lane: ")
           << getFactors().getType().getNumElements() << " for " << out;
  return success();
}

#define GET_OP_CLASSES
#include "dialects/qnt_x86/QntX86Ops.cpp.inc"
