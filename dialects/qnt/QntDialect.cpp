//===- QntDialect.cpp - The qnt dialect ---------------------------*- C++ -*-===//

#include "dialects/qnt/QntDialect.h"
#include "dialects/qnt/QntOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::qnt;

#include "dialects/qnt/QntDialect.cpp.inc"

namespace {
/// Prints common schemes under short aliases (#q8_0, #scheme...) so that IR
/// full of quantized types stays readable.
struct QntOpAsmInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;
  AliasResult getAlias(Attribute attr, raw_ostream &os) const override {
    auto scheme = dyn_cast<SchemeAttr>(attr);
    if (!scheme)
      return AliasResult::NoAlias;
    if (scheme == SchemeAttr::getQ8_0(attr.getContext()))
      os << "q8_0";
    else
      os << "scheme";
    return AliasResult::OverridableAlias;
  }
};
} // namespace

void QntDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "dialects/qnt/QntOps.cpp.inc"
      >();
  addInterfaces<QntOpAsmInterface>();
}
