//===- OutlineParallel.cpp - scf.parallel onto the runtime's threads ------===//
//
// An outermost one-dimensional scf.parallel
//
//   scf.parallel (%i) = (%lb) to (%ub) step (%s) { body(%i) }
//
// becomes a function running a range of its iterations
//
//   func.func private @f_par0(%ctx: !llvm.ptr, %begin: i64, %end: i64) {
//     <captured values loaded from %ctx>
//     scf.for %t = %begin to %end { body(%lb + %t * %s) }
//   }
//
// and a call qnt_rt_parallel_for(@f_par0, %ctx, 0, trip_count) in its place.
// Values the body uses from outside travel in %ctx, a stack struct of their
// LLVM-lowered types (a memref as its descriptor, index as i64), built once
// in the entry block; unrealized_conversion_cast bridges each value to that
// form and back, and the LLVM conversions later reconcile the casts away.
// Constants are cloned into the body instead of captured.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace qnt {
#define GEN_PASS_DEF_OUTLINEPARALLELPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;

namespace {

constexpr StringLiteral kParallelFor = "qnt_rt_parallel_for";

struct OutlineParallelPass
    : public qnt::impl::OutlineParallelPassBase<OutlineParallelPass> {
  using OutlineParallelPassBase::OutlineParallelPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp op) {
      if (op.getNumLoops() == 1 && op.getNumResults() == 0 &&
          !op->getParentOfType<scf::ParallelOp>())
        loops.push_back(op);
    });
    if (loops.empty())
      return;
    LLVMTypeConverter converter(&getContext());
    SymbolTable symbols(module);
    func::FuncOp runtime = declareRuntime(module, symbols);
    for (scf::ParallelOp loop : loops)
      if (failed(outline(loop, converter, symbols, runtime)))
        return signalPassFailure();
  }

  /// func.func private @qnt_rt_parallel_for(fn, ctx, begin, end).
  func::FuncOp declareRuntime(ModuleOp module, SymbolTable &symbols) {
    if (auto existing = symbols.lookup<func::FuncOp>(kParallelFor))
      return existing;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(&getContext());
    auto i64 = b.getI64Type();
    auto fn = func::FuncOp::create(b, module.getLoc(), kParallelFor,
                                   b.getFunctionType({ptr, ptr, i64, i64}, {}));
    fn.setPrivate();
    symbols.insert(fn);
    return fn;
  }

  LogicalResult outline(scf::ParallelOp loop, LLVMTypeConverter &converter,
                        SymbolTable &symbols, func::FuncOp runtime) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto parent = loop->getParentOfType<func::FuncOp>();
    if (!parent)
      return loop.emitOpError("outlining needs an enclosing func.func");

    // What the body reads from outside: captured, or cloned if constant.
    SetVector<Value> used;
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    used.insert(loop.getLowerBound()[0]);
    used.insert(loop.getStep()[0]);
    SmallVector<Value> captured, constants;
    SmallVector<Type> fieldTypes;
    for (Value v : used) {
      if (matchPattern(v, m_Constant())) {
        constants.push_back(v);
        continue;
      }
      Type lowered = converter.convertType(v.getType());
      if (!lowered)
        return loop.emitOpError("cannot pass a value of type ")
               << v.getType() << " to a thread";
      captured.push_back(v);
      fieldTypes.push_back(lowered);
    }
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto ctxType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);

    // The body function.
    OpBuilder b(parent);
    auto body = func::FuncOp::create(
        b, loc, (parent.getName() + "_par").str(),
        b.getFunctionType({ptr, i64, i64}, {}));
    body.setPrivate();
    symbols.insert(body); // renames on a clash
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (Value c : constants)
      mapping.map(c, b.clone(*c.getDefiningOp())->getResult(0));
    for (auto [i, v] : llvm::enumerate(captured)) {
      Value field = LLVM::GEPOp::create(
          b, loc, ptr, ctxType, entry->getArgument(0),
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      Value loaded = LLVM::LoadOp::create(b, loc, fieldTypes[i], field);
      mapping.map(v, UnrealizedConversionCastOp::create(b, loc, v.getType(),
                                                        loaded)
                         .getResult(0));
    }
    auto toIndex = [&](Value v) {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
    };
    Value lb = mapping.lookup(loop.getLowerBound()[0]);
    Value step = mapping.lookup(loop.getStep()[0]);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto inner = scf::ForOp::create(b, loc, toIndex(entry->getArgument(1)),
                                    toIndex(entry->getArgument(2)), one);
    b.setInsertionPointToStart(inner.getBody());
    Value iv = arith::AddIOp::create(
        b, loc, lb,
        arith::MulIOp::create(b, loc, inner.getInductionVar(), step));
    mapping.map(loop.getInductionVars()[0], iv);
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
    b.setInsertionPointToEnd(entry);
    func::ReturnOp::create(b, loc);

    // The context struct, allocated once in the caller's entry block.
    b.setInsertionPointToStart(&parent.getBody().front());
    Value count = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
    Value ctxPtr = LLVM::AllocaOp::create(b, loc, ptr, ctxType, count);

    // Fill it and call the runtime where the loop was.
    b.setInsertionPoint(loop);
    for (auto [i, v] : llvm::enumerate(captured)) {
      Value lowered =
          UnrealizedConversionCastOp::create(b, loc, fieldTypes[i], v)
              .getResult(0);
      Value field = LLVM::GEPOp::create(
          b, loc, ptr, ctxType, ctxPtr,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(b, loc, lowered, field);
    }
    Value fn = func::ConstantOp::create(b, loc, body.getFunctionType(),
                                        SymbolRefAttr::get(body));
    Value fnPtr =
        UnrealizedConversionCastOp::create(b, loc, ptr, fn).getResult(0);
    Value span = arith::SubIOp::create(b, loc, loop.getUpperBound()[0],
                                       loop.getLowerBound()[0]);
    Value trips = arith::CeilDivSIOp::create(b, loc, span, loop.getStep()[0]);
    Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    Value tripsI64 = arith::IndexCastOp::create(b, loc, i64, trips);
    func::CallOp::create(b, loc, runtime, ValueRange{fnPtr, ctxPtr, zero, tripsI64});
    loop.erase();
    return success();
  }
};

} // namespace
