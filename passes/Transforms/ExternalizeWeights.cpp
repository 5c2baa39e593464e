//===- ExternalizeWeights.cpp - Constant tensors into a weights file ------===//
//
// The weights of a model should not be compiled into its code: they are large,
// and the runtime can map them from a file at load. This pass writes every
// large constant tensor to a file, 64-byte aligned (a cache line, a 512-bit
// vector), and reads it back through memref.view of a byte buffer the entry
// point receives. An attribute used by several constants (one weight shared
// by two entry points) is written once.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Transforms/WeightsFile.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace qnt {
#define GEN_PASS_DEF_EXTERNALIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

struct ExternalizeWeightsPass
    : public qnt::impl::ExternalizeWeightsPassBase<ExternalizeWeightsPass> {
  using ExternalizeWeightsPassBase::ExternalizeWeightsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (file.empty()) {
      module.emitError("qnt-externalize-weights needs file=<path>");
      return signalPassFailure();
    }
    WeightsFileWriter writer;
    if (failed(writer.open(file, append, module.getLoc())))
      return signalPassFailure();

    SymbolTableCollection symbols;
    SymbolUserMap users(symbols, module);
    DenseMap<Attribute, uint64_t> offsets;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isDeclaration())
        continue;
      SmallVector<arith::ConstantOp> constants;
      fn.walk([&](arith::ConstantOp c) {
        auto type = dyn_cast<RankedTensorType>(c.getType());
        auto attr = dyn_cast<ElementsAttr>(c.getValue());
        if (type && attr && type.hasStaticShape() &&
            type.getElementTypeBitWidth() % 8 == 0 &&
            type.getNumElements() * (type.getElementTypeBitWidth() / 8) >=
                minBytes)
          constants.push_back(c);
      });
      if (constants.empty())
        continue;
      FailureOr<Value> weights =
          getOrAddWeightsArgument(fn, users, "externalize the constants");
      if (failed(weights))
        return signalPassFailure();

      for (arith::ConstantOp c : constants) {
        auto attr = cast<ElementsAttr>(c.getValue());
        auto [it, inserted] = offsets.try_emplace(attr, 0);
        if (inserted) {
          std::vector<char> data;
          if (!elementBytes(attr, data)) {
            c.emitError("cannot read this constant's bytes");
            return signalPassFailure();
          }
          it->second = writer.write(std::move(data));
        }
        OpBuilder b(c);
        c.replaceAllUsesWith(viewWeights(b, c.getLoc(), *weights, it->second,
                                         cast<RankedTensorType>(c.getType())));
        c.erase();
      }
    }
    if (failed(writer.close(module.getLoc())))
      return signalPassFailure();
  }
};

} // namespace
