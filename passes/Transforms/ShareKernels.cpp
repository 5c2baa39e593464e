//===- ShareKernels.cpp - One kernel function per distinct matmul ---------===//
//
// The layers of a model call the same matmuls on different weights: each
// qnt.matmul becomes a call of a private function holding it, one per
// distinct signature, so that tiling, lowering and LLVM see each kernel once.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace qnt {
#define GEN_PASS_DEF_SHAREKERNELSPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

constexpr llvm::StringLiteral kPrefix = "qnt_matmul_";

struct ShareKernelsPass
    : public qnt::impl::ShareKernelsPassBase<ShareKernelsPass> {
  using ShareKernelsPassBase::ShareKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) {
      // Not those already in a kernel (the pass may run twice).
      auto fn = op->getParentOfType<func::FuncOp>();
      if ((!fn || !fn.isPrivate() || !fn.getSymName().starts_with(kPrefix)))
        matmuls.push_back(op);
    });
    // The kernel of each signature; its attributes (beyond the types) must
    // match too, so they are part of the key.
    // A residual and a destination have the same type: whether the last
    // argument is accumulated into is part of the key.
    DenseMap<std::tuple<Type, Attribute, unsigned>, func::FuncOp> kernels;
    for (MatmulOp op : matmuls) {
      // The result goes into a destination the caller gives (its rows are
      // the activation's, known there), or into the residual it
      // accumulates, so no kernel returns a buffer of its own.
      OpBuilder b(op);
      Location loc = op.getLoc();
      SmallVector<Value> args(op->getOperands());
      bool dest = !op.getAcc();
      if (dest) {
        RankedTensorType result = op.getResult().getType();
        SmallVector<Value> dynamic;
        if (result.isDynamicDim(0)) {
          SmallVector<Type> parts;
          op.getLhs().getType().getComponentTypes(parts);
          Value data = UnpackOp::create(b, loc, parts, op.getLhs()).getResult(0);
          dynamic.push_back(tensor::DimOp::create(b, loc, data, 0));
        }
        // CSE makes the layers' destinations of one shape one tensor.empty,
        // and one-shot bufferization one buffer where their values do not
        // overlap in time, as for the matmuls left inline.
        args.push_back(tensor::EmptyOp::create(b, loc, result.getShape(),
                                               result.getElementType(), dynamic));
      }
      auto type = FunctionType::get(&getContext(), ValueRange(args).getTypes(),
                                    op->getResultTypes());
      Attribute attrs = op->getDiscardableAttrDictionary();
      func::FuncOp &kernel = kernels[{type, attrs, unsigned(dest)}];
      if (!kernel) {
        OpBuilder kb = OpBuilder::atBlockEnd(module.getBody());
        kernel = func::FuncOp::create(kb, loc,
                                      (kPrefix + Twine(kernels.size() - 1)).str(),
                                      type);
        kernel.setPrivate();
        symbols.insert(kernel);
        Block *body = kernel.addEntryBlock();
        kb.setInsertionPointToStart(body);
        IRMapping map;
        map.map(op->getOperands(), body->getArguments().take_front(op->getNumOperands()));
        Value result = kb.clone(*op, map)->getResult(0);
        if (dest)
          result = bufferization::MaterializeInDestinationOp::create(
                       kb, loc, result, body->getArguments().back())
                       .getResult();
        func::ReturnOp::create(kb, loc, result);
        // The result is the destination, or the residual accumulated into.
        kernel.setResultAttr(0, QntDialect::kInLastArgAttrName,
                             kb.getUnitAttr());
      }
      auto call = func::CallOp::create(b, loc, kernel, args);
      op->replaceAllUsesWith(call.getResults());
      op->erase();
    }
  }
};

} // namespace
