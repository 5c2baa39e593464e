//===- DataTiling.cpp - The tiled layout of each quantized weight ---------===//
//
// Sets the weight_layout of every linear whose weight is a compile-time
// constant: tiles of n0 channels x 4 bytes, the reduction padded to whole
// blocks of 32 (see passes/MicroKernel.h for why n0 follows the target).
//
//===----------------------------------------------------------------------===//

#include "passes/MicroKernel.h"
#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/IR/Matchers.h"

namespace qnt {
#define GEN_PASS_DEF_DATATILINGPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// The weights the fold pass quantizes or repacks: float constants, GGML
/// blocks and dequantized quantized constants.
bool hasConstantWeight(LinearOp op) {
  if (!isa<RankedTensorType>(op.getWeight().getType()))
    return false;
  if (matchPattern(op.getWeight(), m_Constant()) ||
      op.getWeight().getDefiningOp<GgmlConstantOp>())
    return true;
  auto dequant = op.getWeight().getDefiningOp<DequantizeOp>();
  return dequant && dequant.getInput().getDefiningOp<ConstantOp>();
}

struct DataTilingPass : public qnt::impl::DataTilingPassBase<DataTilingPass> {
  using DataTilingPassBase::DataTilingPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (n0 < 0) {
      module.emitError("n0 must be positive, or 0 for the target's");
      return signalPassFailure();
    }
    int64_t channels = n0 ? int64_t(n0) : tileChannels(TargetAttr::lookup(module));
    auto layout =
        LayoutAttr::get(&getContext(), channels, kTileK0, kTilePad, records);
    module.walk([&](LinearOp op) {
      if (!op.getWeightLayoutAttr() && hasConstantWeight(op))
        op.setWeightLayoutAttr(layout);
    });
  }
};

} // namespace
