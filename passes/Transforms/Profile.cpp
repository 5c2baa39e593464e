//===- Profile.cpp - Time each layer op when the program runs -------------===//
//
// --qnt-profile brackets every op of a function's body that does a layer's
// work (the qnt ops, tensor adds) with calls into the runtime:
//
//   func.call @qnt_rt_profile_begin(%id) : (i64) -> ()
//   %y = qnt.matmul ...
//   func.call @qnt_rt_profile_end(%id) : (i64) -> ()
//
// and writes the name of each id into the public constant
// @qnt_profile_names (NUL-separated "function layer op" strings), which the
// runtime reads from a loaded model to report the time of each op, of each
// kind and of each layer role. The calls have effects and the lowerings
// replace an op in place, so each bracket keeps its op's kernel inside.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace qnt {
#define GEN_PASS_DEF_PROFILEPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

constexpr llvm::StringLiteral kBegin = "qnt_rt_profile_begin";
constexpr llvm::StringLiteral kEnd = "qnt_rt_profile_end";
constexpr llvm::StringLiteral kNames = "qnt_profile_names";

/// Whether an op does a layer's work worth timing.
bool timed(Operation *op) {
  if (isa<QntDialect>(op->getDialect()))
    return !isa<ConstantOp, PackOp, UnpackOp>(op);
  if (auto add = dyn_cast<arith::AddFOp>(op))
    return isa<RankedTensorType>(add.getType());
  return false;
}

/// The layer an op belongs to: the name the importer gave its location.
std::string layerOf(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(inner))
        return name.getName().str();
  return "-";
}

struct ProfilePass : public qnt::impl::ProfilePassBase<ProfilePass> {
  using ProfilePassBase::ProfilePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (module.lookupSymbol(kNames)) {
      module.emitError() << "is already instrumented (@" << kNames
                         << " exists)";
      return signalPassFailure();
    }
    OpBuilder b(module.getContext());
    Type i64 = b.getI64Type();
    b.setInsertionPointToEnd(module.getBody());
    for (StringRef name : {kBegin, kEnd}) {
      if (module.lookupSymbol(name))
        continue;
      auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                     b.getFunctionType({i64}, {}));
      fn.setPrivate();
    }

    std::string names;
    int64_t next = 0;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      for (Block &block : fn.getBody())
        for (Operation &op : llvm::make_early_inc_range(block)) {
          if (!timed(&op))
            continue;
          int64_t id = next++;
          names += (fn.getSymName() + " " + layerOf(op.getLoc()) + " " +
                    op.getName().getStringRef())
                       .str();
          names.push_back('\0');
          Location loc = op.getLoc();
          b.setInsertionPoint(&op);
          Value idValue = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(id));
          func::CallOp::create(b, loc, kBegin, TypeRange{}, ValueRange{idValue});
          b.setInsertionPointAfter(&op);
          func::CallOp::create(b, loc, kEnd, TypeRange{}, ValueRange{idValue});
        }
    }

    // The names, as a public constant the runtime finds by symbol.
    names.push_back('\0'); // an empty name ends the table
    auto type = MemRefType::get({int64_t(names.size())}, b.getI8Type());
    auto data = RankedTensorType::get({int64_t(names.size())}, b.getI8Type());
    SmallVector<int8_t> bytes(names.begin(), names.end());
    b.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(b, module.getLoc(), kNames,
                             b.getStringAttr("public"), type,
                             DenseElementsAttr::get(data, ArrayRef<int8_t>(bytes)),
                             /*constant=*/true, /*alignment=*/nullptr);
  }
};

} // namespace
