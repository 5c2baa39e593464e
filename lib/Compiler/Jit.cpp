//===- Jit.cpp - Compiled code run in this process ------------------------===//

#include "qnt/Compiler/Jit.h"
#include "qnt/runtime.h"
#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"

#include <cmath>

using namespace mlir;

namespace qnt {

std::unique_ptr<Jit> Jit::create(ModuleOp module, const Target &target,
                                 std::string &error) {
  if (!target.runsOnHost()) {
    error = "cannot run code for " + target.describe();
    return nullptr;
  }
  // llvmModuleBuilder is a function_ref: the lambda must outlive create().
  auto build = [&](Operation *op, llvm::LLVMContext &context) {
    return translate(cast<ModuleOp>(op), context, target);
  };
  ExecutionEngineOptions options;
  options.llvmModuleBuilder = build;
  // As emit() compiles: at O3, with the target's code generation options.
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  setCodegenOptions(target.avx512);
  auto engine = ExecutionEngine::create(module, options);
  if (!engine) {
    error = llvm::toString(engine.takeError());
    return nullptr;
  }
  // The runtime entry points compiled code calls, from this process.
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    auto add = [&](const char *name, void *ptr) {
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(ptr),
                             llvm::JITSymbolFlags::Exported};
    };
    add("qnt_rt_parallel_for", reinterpret_cast<void *>(&qnt_rt_parallel_for));
    add("qnt_rt_profile_begin", reinterpret_cast<void *>(&qnt_rt_profile_begin));
    add("qnt_rt_profile_end", reinterpret_cast<void *>(&qnt_rt_profile_end));
    add("_mlir_memref_to_llvm_alloc",
        reinterpret_cast<void *>(&_mlir_memref_to_llvm_alloc));
    add("_mlir_memref_to_llvm_aligned_alloc",
        reinterpret_cast<void *>(&_mlir_memref_to_llvm_aligned_alloc));
    add("_mlir_memref_to_llvm_free",
        reinterpret_cast<void *>(&_mlir_memref_to_llvm_free));
    add("memrefCopy", reinterpret_cast<void *>(&memrefCopy));
    return map;
  });
  auto jit = std::unique_ptr<Jit>(new Jit());
  jit->engine = std::move(*engine);
  jit->avx512 = target.avx512;
  return jit;
}

void *Jit::lookup(llvm::StringRef name, std::string &error) {
  setCodegenOptions(avx512); // the first lookup compiles
  auto address = engine->lookup(name);
  if (!address) {
    error = llvm::toString(address.takeError());
    return nullptr;
  }
  return *address;
}

/// @linear(x) = qnt.linear(x, the weight `makeWeight` builds).
static OwningOpRef<ModuleOp> linearModule(
    MLIRContext *context, int64_t n, int64_t k, bool asymmetric, int64_t rows,
    function_ref<Value(OpBuilder &, Location, RankedTensorType)> makeWeight) {
  context
      ->loadDialect<func::FuncDialect, arith::ArithDialect, qnt::QntDialect>();
  OpBuilder b(context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  Type f32 = b.getF32Type();
  auto xType = RankedTensorType::get({rows, k}, f32);
  auto yType = RankedTensorType::get({rows, n}, f32);
  auto wType = RankedTensorType::get({n, k}, f32);
  auto fn = func::FuncOp::create(b, loc, "linear",
                                 b.getFunctionType({xType}, {yType}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  Value weights = makeWeight(b, loc, wType);
  Value y = qnt::LinearOp::create(b, loc, yType, fn.getArgument(0), weights,
                                  qnt::LayoutAttr(),
                                  /*act_scales=*/DenseElementsAttr(),
                                  asymmetric ? b.getUnitAttr() : UnitAttr());
  func::ReturnOp::create(b, loc, y);
  return module;
}

OwningOpRef<ModuleOp> linearModule(MLIRContext *context, int64_t n, int64_t k,
                                   ArrayRef<float> w, bool asymmetric,
                                   int64_t rows) {
  return linearModule(context, n, k, asymmetric, rows,
                      [&](OpBuilder &b, Location loc, RankedTensorType type) {
                        return arith::ConstantOp::create(
                            b, loc, DenseElementsAttr::get(type, w));
                      });
}

OwningOpRef<ModuleOp> linearModule(MLIRContext *context, int64_t n, int64_t k,
                                   uint32_t ggmlType, ArrayRef<uint8_t> blocks,
                                   int64_t rows) {
  return linearModule(
      context, n, k, /*asymmetric=*/false, rows,
      [&](OpBuilder &b, Location loc, RankedTensorType type) -> Value {
        auto bytes = RankedTensorType::get({int64_t(blocks.size())}, b.getI8Type());
        ArrayRef<int8_t> values(reinterpret_cast<const int8_t *>(blocks.data()),
                                blocks.size());
        return qnt::GgmlConstantOp::create(
            b, loc, type, qnt::GgmlFormat(ggmlType),
            cast<ElementsAttr>(DenseElementsAttr::get(bytes, values)));
      });
}

OwningOpRef<ModuleOp> attentionModule(MLIRContext *context, int64_t heads,
                                      int64_t kvHeads, int64_t headDim,
                                      int64_t rows, llvm::StringRef cache) {
  context->loadDialect<func::FuncDialect, qnt::QntDialect>();
  OpBuilder b(context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  bool q8 = cache == "q8_0";
  Type element = q8               ? Type(b.getI8Type())
                 : cache == "f16" ? Type(b.getF16Type())
                                  : Type(b.getF32Type());
  auto rowType = RankedTensorType::get({1, heads * headDim}, b.getF32Type());
  auto cacheType = RankedTensorType::get({kvHeads, rows, headDim}, element);
  auto scalesType =
      RankedTensorType::get({kvHeads, rows, headDim / 32}, b.getF16Type());
  SmallVector<Type> inputs = {rowType, cacheType, cacheType};
  if (q8)
    inputs.append({scalesType, scalesType});
  inputs.push_back(b.getIndexType());
  auto fn = func::FuncOp::create(b, loc, "attention",
                                 b.getFunctionType(inputs, {rowType}));
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value keyScales = q8 ? body->getArgument(3) : Value();
  Value valueScales = q8 ? body->getArgument(4) : Value();
  Value out = qnt::AttentionOp::create(
      b, loc, rowType, body->getArgument(0), body->getArgument(1),
      body->getArgument(2), body->getArguments().back(), heads, kvHeads,
      float(1.0 / std::sqrt(double(headDim))), keyScales, valueScales);
  func::ReturnOp::create(b, loc, out);
  return module;
}

} // namespace qnt
