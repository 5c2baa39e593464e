//===- ExternalizeWeights.cpp - Constant tensors into a weights file ------===//
//
// The weights of a model should not be compiled into its code: they are large,
// and the runtime can map them from a file at load. This pass completes the
// weights file (qnt/weights.h) and binds the code to it: every large constant
// tensor becomes a named tensor of the file (an attribute used by several
// constants, one weight shared by two entry points, is written once), added
// after the tensors the fold pass streamed there if the code names some
// (qnt.weight); then the index is written, and each qnt.weight becomes a
// memref.view of a byte buffer the entry point receives, at the offset the
// index gives. Offsets appear in the code here and nowhere before.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Transforms/WeightsFile.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

namespace qnt {
#define GEN_PASS_DEF_EXTERNALIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// The name a constant's tensor gets in the file: its name location's (the
/// importer names weights after the model's tensors), else its resource's,
/// else "constant".
std::string tensorName(arith::ConstantOp c) {
  if (auto named = dyn_cast<NameLoc>(c.getLoc()))
    return named.getName().str();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
    return resource.getRawHandle().getKey().str();
  return "constant";
}

/// "f32[4x4]": an index entry's type, for messages.
std::string describe(const qnt_weights_entry &e) {
  std::string text = qnt_dtype_name(e.dtype);
  text += "[";
  for (int32_t d = 0; d < e.rank; ++d)
    text += (d ? "x" : "") + std::to_string(e.shape[d]);
  return text + "]";
}

struct ExternalizeWeightsPass
    : public qnt::impl::ExternalizeWeightsPassBase<ExternalizeWeightsPass> {
  using ExternalizeWeightsPassBase::ExternalizeWeightsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (file.empty()) {
      module.emitError("qnt-externalize-weights needs file=<path>");
      return signalPassFailure();
    }
    // Tensors the code already names are in the file: add to it.
    bool named = module.walk([](WeightOp) { return WalkResult::interrupt(); })
                     .wasInterrupted();
    WeightsFileWriter writer;
    if (failed(named ? writer.extend(file, module.getLoc())
                     : writer.create(file, module.getLoc())))
      return signalPassFailure();

    // The constants, each named in the file.
    DenseMap<Attribute, std::string> names;
    SmallVector<arith::ConstantOp> constants;
    module.walk([&](arith::ConstantOp c) {
      auto type = dyn_cast<RankedTensorType>(c.getType());
      auto attr = dyn_cast<ElementsAttr>(c.getValue());
      if (type && attr && type.hasStaticShape() &&
          type.getElementTypeBitWidth() % 8 == 0 &&
          type.getNumElements() * (type.getElementTypeBitWidth() / 8) >=
              minBytes &&
          c->getParentOfType<func::FuncOp>())
        constants.push_back(c);
    });
    for (arith::ConstantOp c : constants) {
      auto attr = cast<ElementsAttr>(c.getValue());
      auto [it, inserted] = names.try_emplace(attr);
      if (inserted) {
        std::vector<char> data;
        if (!elementBytes(attr, data)) {
          c.emitError("cannot read this constant's bytes");
          return signalPassFailure();
        }
        FailureOr<std::string> name =
            writer.write(tensorName(c), cast<ShapedType>(c.getType()),
                         std::move(data), c.getLoc());
        if (failed(name))
          return signalPassFailure();
        it->second = *name;
      }
      OpBuilder b(c);
      c.replaceAllUsesWith(
          WeightOp::create(b, c.getLoc(), c.getType(), it->second).getResult());
      c.erase();
    }
    if (failed(writer.close(module.getLoc())))
      return signalPassFailure();

    // Each name bound to its offset, through the function's weights
    // argument.
    SymbolTableCollection symbols;
    SymbolUserMap users(symbols, module);
    for (auto fn : module.getOps<func::FuncOp>()) {
      SmallVector<WeightOp> weights;
      fn.walk([&](WeightOp w) { weights.push_back(w); });
      if (weights.empty())
        continue;
      FailureOr<Value> arg =
          getOrAddWeightsArgument(fn, users, "bind the weights");
      if (failed(arg))
        return signalPassFailure();
      for (WeightOp w : weights) {
        const qnt_weights_entry *entry = writer.lookup(w.getName());
        if (!entry) {
          w.emitError("no tensor '") << w.getName() << "' in " << file;
          return signalPassFailure();
        }
        auto type = cast<RankedTensorType>(w.getType());
        bool same =
            entry->dtype == WeightOp::getFileDType(type.getElementType()) &&
            entry->rank == type.getRank() &&
            llvm::equal(ArrayRef<int64_t>(entry->shape, entry->rank),
                        type.getShape());
        if (!same) {
          w.emitError("tensor '") << w.getName() << "' in " << file << " is "
                                  << describe(*entry) << ", not " << type;
          return signalPassFailure();
        }
        OpBuilder b(w);
        w.replaceAllUsesWith(
            viewWeights(b, w.getLoc(), *arg, entry->offset, type));
        w.erase();
      }
    }
  }
};

} // namespace
