//===- QntDialect.cpp - The qnt dialect ---------------------------*- C++ -*-===//

#include "dialects/qnt/QntDialect.h"
#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace qnt;

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

LogicalResult QntDialect::verifyRegionResultAttribute(
    Operation *op, unsigned regionIndex, unsigned resultIndex,
    NamedAttribute attribute) {
  // An entry point's parameter name (qnt/entry_points.def, the importer's).
  if (attribute.getName() == kParamAttrName) {
    if (!isa<StringAttr>(attribute.getValue()))
      return op->emitError()
             << "'" << kParamAttrName << "' must be a string: a name";
    return success();
  }
  if (attribute.getName() != kInLastArgAttrName)
    return op->emitError() << "unknown qnt attribute on a result: "
                           << attribute.getName();
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn || !isa<UnitAttr>(attribute.getValue()))
    return op->emitError() << "'" << kInLastArgAttrName
                           << "' must be a unit attribute of a function's result";
  ArrayRef<Type> args = fn.getArgumentTypes();
  auto result = dyn_cast<ShapedType>(fn.getResultTypes()[resultIndex]);
  auto last = args.empty() ? nullptr : dyn_cast<ShapedType>(args.back());
  if (!result || !last || !result.hasRank() || !last.hasRank() ||
      result.getShape() != last.getShape())
    return op->emitError() << "result " << resultIndex << " ("
                           << fn.getResultTypes()[resultIndex]
                           << ") is not shaped like the last argument ("
                           << (args.empty() ? Type() : args.back()) << ")";
  return success();
}

namespace {
/// tensor.dim %r, i of %r = call @f(..., %d) whose result is `qnt.in_last_arg`:
/// tensor.dim %d, i.
struct DimOfResultInLastArg : OpRewritePattern<tensor::DimOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::DimOp op,
                                PatternRewriter &rewriter) const override {
    auto result = dyn_cast<OpResult>(op.getSource());
    auto call = result ? dyn_cast<func::CallOp>(result.getOwner()) : nullptr;
    if (!call || call.getNumOperands() == 0)
      return failure();
    auto fn = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        call, call.getCalleeAttr());
    if (!fn ||
        !fn.getResultAttr(result.getResultNumber(), QntDialect::kInLastArgAttrName))
      return failure();
    rewriter.replaceOpWithNewOp<tensor::DimOp>(op, call.getOperands().back(),
                                               op.getIndex());
    return success();
  }
};
} // namespace

void QntDialect::getCanonicalizationPatterns(RewritePatternSet &results) const {
  results.add<DimOfResultInLastArg>(getContext());
}
