//===- AttachTarget.cpp - State the module's #qnt.target -----------------===//
//
// What --qnt-data-tiling, --qnt-tile-matmul and --qnt-lower-x86 read,
// stated for quant-opt as upstream's --nvvm-attach-target states a GPU
// target; quant-compile derives it from --mcpu/--mattr.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

using namespace mlir;
using namespace qnt;

namespace qnt {
#define GEN_PASS_DEF_ATTACHTARGETPASS
#include "passes/Passes.h.inc"
} // namespace qnt

namespace {
struct AttachTargetPass
    : public qnt::impl::AttachTargetPassBase<AttachTargetPass> {
  using AttachTargetPassBase::AttachTargetPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto target = TargetAttr::getChecked(
        [&] { return module.emitError("--qnt-attach-target: "); },
        &getContext(), StringRef(cpu.getValue()), unsigned(vectorBits),
        DotKind(dot), unsigned(registers));
    if (!target)
      return signalPassFailure();
    module->setAttr(TargetAttr::kAttrName, target);
  }
};
} // namespace
