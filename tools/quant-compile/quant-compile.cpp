//===- quant-compile.cpp - A model to an object file ------------*- C++ -*-===//
//
//   quant-compile linear.mlir -o linear.o        # and linear.h beside it
//   quant-compile linear.mlir --emit=mlir        # the quantized qnt IR
//   quant-compile linear.mlir --emit=asm --mcpu=haswell -o -
//
// The input is qnt IR at tensor level; weights that are constants are
// quantized at compile time and activations at run time, for the CPU named by
// --mcpu (this machine by default).
//
//===----------------------------------------------------------------------===//

#include "qnt/Compiler/Compiler.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/ToolUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { MLIR, MLIRLLVM, LLVMIR, Asm, Obj };

cl::OptionCategory category("quant-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"),
                               cl::init("-"), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("output file (- for stdout)"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<Emit> emitAction(
    "emit", cl::desc("what to write"), cl::init(Emit::Obj),
    cl::values(clEnumValN(Emit::MLIR, "mlir", "qnt IR after quantization"),
               clEnumValN(Emit::MLIRLLVM, "mlir-llvm", "the LLVM dialect"),
               clEnumValN(Emit::LLVMIR, "llvm", "LLVM IR, optimized"),
               clEnumValN(Emit::Asm, "asm", "assembly"),
               clEnumValN(Emit::Obj, "obj", "an object file (default)")),
    cl::cat(category));
cl::opt<std::string> mcpu("mcpu", cl::desc("target CPU (default: host)"),
                          cl::init("host"), cl::cat(category));
cl::opt<std::string> mattr("mattr",
                           cl::desc("target features, e.g. -avx512f,+avx2"),
                           cl::init(""), cl::cat(category));
cl::opt<std::string> headerFile(
    "header",
    cl::desc("C header of the entry points (default: the object's name .h)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<bool> noQuantize("no-quantize",
                         cl::desc("keep weights and activations in float"),
                         cl::init(false), cl::cat(category));
cl::opt<std::string> weightGranularity(
    "weight-granularity", cl::desc("per-block (GGML Q8_0) or per-channel"),
    cl::init("per-block"), cl::cat(category));
cl::opt<int64_t> weightBlock("weight-block",
                             cl::desc("values per weight block along K"),
                             cl::init(32), cl::cat(category));
cl::opt<std::string> weightStorage(
    "weight-storage",
    cl::desc("auto (u8 + 128 where the CPU has VNNI), i8 or u8"),
    cl::init("auto"), cl::cat(category));
cl::opt<std::string> weightScale("weight-scale",
                                 cl::desc("f16 (GGML) or f32 weight scales"),
                                 cl::init("f16"), cl::cat(category));
cl::opt<std::string> actGranularity(
    "act-granularity", cl::desc("per-block or per-token activation scales"),
    cl::init("per-block"), cl::cat(category));
cl::opt<std::string> actScale("act-scale",
                              cl::desc("f32 or f16 activation scales"),
                              cl::init("f32"), cl::cat(category));
cl::opt<std::string> rounding("rounding",
                              cl::desc("half-away (GGML) or half-even"),
                              cl::init("half-away"), cl::cat(category));
cl::opt<int64_t> tileCols("tile-cols",
                          cl::desc("output columns per parallel task"),
                          cl::init(16), cl::cat(category));
cl::opt<bool> report("report",
                     cl::desc("print the target and the weights' sizes"),
                     cl::init(false), cl::cat(category));

int fail(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-compile") << message << "\n";
  return 1;
}

/// Bytes of the float weights (constants feeding qnt.linear) and of the
/// quantized weights (qnt.constant components).
struct WeightSizes {
  int64_t floatBytes = 0, quantBytes = 0, linears = 0, quantized = 0;
};

int64_t bytesOf(Type type) {
  auto shaped = cast<ShapedType>(type);
  return shaped.getNumElements() *
         ((shaped.getElementTypeBitWidth() + 7) / 8);
}

WeightSizes measureWeights(ModuleOp module) {
  WeightSizes sizes;
  module.walk([&](Operation *op) {
    if (auto linear = dyn_cast<mlir::qnt::LinearOp>(op)) {
      ++sizes.linears;
      if (auto t = dyn_cast<RankedTensorType>(linear.getWeight().getType()))
        sizes.floatBytes += bytesOf(t);
    }
    if (isa<mlir::qnt::MatmulOp>(op))
      ++sizes.linears, ++sizes.quantized;
    if (auto c = dyn_cast<mlir::qnt::ConstantOp>(op)) {
      sizes.quantBytes += bytesOf(c.getData().getType()) +
                          bytesOf(c.getScales().getType());
      if (c.getSums())
        sizes.quantBytes += bytesOf(c.getSums()->getType());
    }
  });
  return sizes;
}

std::string defaultOutput(StringRef ext) {
  if (inputFile == "-")
    return "-";
  SmallString<128> path(llvm::sys::path::filename(inputFile));
  llvm::sys::path::replace_extension(path, ext);
  return std::string(path);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions({&category, &cl::getGeneralCategory()});
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-compile: compiles a qnt model (.mlir) into an object file for "
      "this CPU,\nwith weights quantized at compile time and activations at "
      "run time.\n");

  std::string error;
  FailureOr<::qnt::Target> target = ::qnt::resolveTarget(mcpu, mattr, error);
  if (failed(target))
    return fail(error);

  DialectRegistry registry;
  ::qnt::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  auto input = openInputFile(inputFile, &error);
  if (!input)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1; // the parser has reported why

  WeightSizes before = measureWeights(*module);
  ::qnt::QuantOptions quant;
  quant.enabled = !noQuantize;
  quant.weightGranularity = weightGranularity;
  quant.weightBlock = weightBlock;
  quant.weightStorage = weightStorage;
  quant.weightScale = weightScale;
  quant.actGranularity = actGranularity;
  quant.actScale = actScale;
  quant.rounding = rounding;
  if (failed(::qnt::quantize(*module, quant, *target, applyPassManagerCLOptions)))
    return 1;
  WeightSizes after = measureWeights(*module);
  if (report) {
    llvm::errs() << "target: " << target->cpu << " (" << target->triple
                 << "), AVX2 " << (target->avx2 ? "yes" : "no") << ", AVX-512 "
                 << (target->avx512 ? "yes" : "no") << ", VNNI "
                 << (target->vnni ? "yes" : "no") << "\n";
    llvm::errs() << "linear layers: " << after.linears << ", quantized "
                 << after.quantized << "\n";
    llvm::errs() << "weights: " << before.floatBytes << " bytes float -> "
                 << after.quantBytes << " bytes quantized";
    if (after.floatBytes)
      llvm::errs() << " + " << after.floatBytes << " bytes kept float";
    llvm::errs() << "\n";
  }

  std::string output = outputFile;
  if (output.empty())
    output = defaultOutput(emitAction == Emit::Obj ? ".o" : ".out");
  auto out = openOutputFile(output, &error);
  if (!out)
    return fail(error);

  if (emitAction == Emit::MLIR) {
    module->print(out->os());
    out->keep();
    return 0;
  }

  std::string header = ::qnt::cHeader(*module, inputFile);
  if (failed(::qnt::lowerToLLVM(*module, *target, tileCols,
                                 applyPassManagerCLOptions)))
    return 1;
  if (emitAction == Emit::MLIRLLVM) {
    module->print(out->os());
    out->keep();
    return 0;
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      ::qnt::translate(*module, llvmContext, *target);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  if (emitAction == Emit::LLVMIR) {
    llvmModule->print(out->os(), nullptr);
    out->keep();
    return 0;
  }
  if (failed(::qnt::emit(*llvmModule, *target, emitAction == Emit::Asm,
                       out->os(), error)))
    return fail(error);
  out->keep();

  if (emitAction == Emit::Obj && (output != "-" || !headerFile.empty())) {
    std::string headerPath = headerFile;
    if (headerPath.empty()) {
      SmallString<128> path(output);
      llvm::sys::path::replace_extension(path, ".h");
      headerPath = std::string(path);
    }
    auto headerOut = openOutputFile(headerPath, &error);
    if (!headerOut)
      return fail(error);
    headerOut->os() << header;
    headerOut->keep();
  }
  return 0;
}
