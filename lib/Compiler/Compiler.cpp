//===- Compiler.cpp - From qnt IR to object code ------------------*- C++ -*-===//

#include "qnt/Compiler/Compiler.h"

#include "dialects/qnt/QntDialect.h"
#include "passes/Passes.h"
#include "passes/Transforms/WeightsFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/Scalar/LoopDataPrefetch.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;

namespace qnt {

//===----------------------------------------------------------------------===//
// Target
//===----------------------------------------------------------------------===//

/// Whether an x86 feature changes what instructions compiled kernels may use
/// (vector ISA, bit manipulation), as opposed to system features (pku,
/// mwaitx, sgx, ...) that the compiled code never touches and that
/// hypervisors often hide from the host's feature list.
static bool isCodeFeature(StringRef feature) {
  for (StringRef prefix : {"sse", "ssse3", "avx", "fma", "f16c", "bmi", "amx",
                           "gfni", "vaes", "vpclmulqdq", "lzcnt", "popcnt",
                           "movbe", "adx", "sha", "aes", "pclmul", "cx16"})
    if (feature.starts_with(prefix))
      return true;
  return false;
}

/// The code features `cpu` with `attrs` has that this machine lacks.
static std::vector<std::string> missingOnHost(StringRef cpu, StringRef attrs) {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  llvm::StringMap<bool> wanted;
  SmallVector<StringRef> cpuFeatures;
  llvm::X86::getFeaturesForCPU(cpu, cpuFeatures);
  for (StringRef f : cpuFeatures)
    wanted[f] = true;
  SmallVector<StringRef> extra;
  attrs.split(extra, ',', -1, /*KeepEmpty=*/false);
  for (StringRef f : extra) {
    f = f.trim();
    if (f.consume_front("+"))
      wanted[f] = true;
    else if (f.consume_front("-"))
      wanted[f] = false;
  }
  std::vector<std::string> missing;
  for (const auto &entry : wanted)
    if (entry.second && isCodeFeature(entry.first()) && !host.lookup(entry.first()))
      missing.push_back(entry.first().str());
  llvm::sort(missing);
  return missing;
}

std::string Target::describe() const {
  std::string text = cpu + " (" + triple + "), AVX2 " + (avx2 ? "yes" : "no") +
                     ", AVX-512 " + (avx512 ? "yes" : "no") + ", VNNI " +
                     (vnni ? "yes" : "no");
  if (runsOnHost())
    return text + "; runs on this machine";
  return text + "; this machine lacks " + llvm::join(missingOnHost, ", ");
}

FailureOr<Target> resolveTarget(StringRef cpu, StringRef attrs,
                                std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  Target t;
  t.triple = llvm::sys::getProcessTriple();
  llvm::Triple triple(t.triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return failure();

  SmallVector<std::string> features;
  if (cpu.empty() || cpu == "host") {
    t.cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.push_back((feature.second ? "+" : "-") + feature.first().str());
    llvm::sort(features);
  } else {
    t.cpu = cpu.str();
    std::unique_ptr<llvm::MCSubtargetInfo> sti(
        target->createMCSubtargetInfo(triple, t.cpu, ""));
    if (!sti || !sti->isCPUStringValid(t.cpu)) {
      error = "unknown CPU '" + t.cpu + "' for " + t.triple +
              " (try host, x86-64, x86-64-v3, haswell, skylake-avx512, znver4)";
      return failure();
    }
  }
  if (!attrs.empty())
    features.push_back(attrs.str());
  t.features = llvm::join(features, ",");

  t.machine.reset(target->createTargetMachine(
      triple, t.cpu, t.features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!t.machine) {
    error = "cannot create a target machine for " + t.cpu;
    return failure();
  }
  const llvm::MCSubtargetInfo *sti = t.machine->getMCSubtargetInfo();
  t.avx2 = sti->checkFeatures("+avx2");
  t.avx512 = sti->checkFeatures("+avx512f,+avx512bw,+avx512vl");
  t.vnni = sti->checkFeatures("+avx512vnni,+avx512vl") ||
           sti->checkFeatures("+avxvnni");
  if (!(cpu.empty() || cpu == "host") || !attrs.empty())
    t.missingOnHost = missingOnHost(t.cpu, attrs);
  return t;
}

qnt::TargetAttr Target::kernelTarget(MLIRContext *context) const {
  using qnt::DotKind;
  unsigned registers = avx512 ? 32 : 16;
  if (vnni)
    return qnt::TargetAttr::get(context, cpu, avx512 ? 512 : 256, DotKind::Vnni,
                                registers);
  if (avx2)
    return qnt::TargetAttr::get(context, cpu, 256, DotKind::Maddubs, registers);
  return qnt::TargetAttr::get(context, cpu, 128, DotKind::Generic, 16);
}

//===----------------------------------------------------------------------===//
// Passes
//===----------------------------------------------------------------------===//

void registerCompilerDialects(DialectRegistry &registry) {
  qnt::registerDependentDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

LogicalResult quantize(ModuleOp module, const QuantOptions &quant,
                       const Target &target, const PassManagerHook &hook) {
  // The target the kernels are tiled and lowered for (quantized or not).
  if (!module->hasAttr(qnt::TargetAttr::kAttrName))
    module->setAttr(qnt::TargetAttr::kAttrName,
                    target.kernelTarget(module->getContext()));
  if (!quant.enabled)
    return success();
  PassManager pm(module->getContext());
  qnt::buildQuantizePipeline(pm, quant);
  if (hook && failed(hook(pm)))
    return failure();
  return pm.run(module);
}

qnt::LoweringOptions loweringOptions(int64_t tileCols) {
  qnt::LoweringOptions options;
  options.tileCols = tileCols;
  return options;
}

/// Runs `build`'s passes on the module.
static LogicalResult runPipeline(
    ModuleOp module, const PassManagerHook &hook,
    function_ref<void(PassManager &)> build) {
  PassManager pm(module->getContext());
  build(pm);
  if (hook && failed(hook(pm)))
    return failure();
  return pm.run(module);
}

LogicalResult lowerToBuffers(ModuleOp module,
                             const qnt::LoweringOptions &options,
                             const PassManagerHook &hook) {
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn.isPublic() && !fn.isDeclaration())
      fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(module.getContext()));
  return runPipeline(module, hook, [&](PassManager &pm) {
    qnt::buildLowerToBuffersPipeline(pm, options);
  });
}

LogicalResult buffersToLLVM(ModuleOp module,
                            const qnt::LoweringOptions &options,
                            const PassManagerHook &hook) {
  // The markers cHeader reads are no LLVM parameter attributes.
  for (auto fn : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      fn.removeArgAttr(i, "bufferize.result");
      fn.removeArgAttr(i, qnt::kWeightsArgAttr);
      fn.removeArgAttr(i, qnt::QntDialect::kParamAttrName);
    }
  return runPipeline(module, hook, [&](PassManager &pm) {
    qnt::buildBuffersToLLVMPipeline(pm, options);
  });
}

LogicalResult lowerToLLVM(ModuleOp module, const qnt::LoweringOptions &options,
                          const PassManagerHook &hook) {
  if (failed(lowerToBuffers(module, options, hook)))
    return failure();
  return buffersToLLVM(module, options, hook);
}

//===----------------------------------------------------------------------===//
// LLVM
//===----------------------------------------------------------------------===//

/// Software prefetching of the strided loads of the loops that do not
/// prefetch themselves (the matmul micro-kernels prefetch their weights:
/// `--qnt-lower-microkernel`'s prefetch-bytes; LLVM leaves a loop with
/// prefetches alone): the KV cache attention reads, and the kernels' when
/// compiled with `--weight-prefetch=0`. LLVM's LoopDataPrefetch pass
/// prefetches the strided loads of inner loops a distance ahead, but x86's
/// cost model gives it neither a cache line size nor a distance, so it does
/// nothing there by default: the distance (in instructions of the loop) and
/// the line size are set here unless given on the command line
/// (`--prefetch-distance=N`, 0 turns it off; `--cache-line-size`).
constexpr llvm::StringLiteral kPrefetchDistance = "1500";

static void setPrefetchDefaults() {
  auto &options = llvm::cl::getRegisteredOptions();
  for (auto [name, value] : {std::pair<llvm::StringRef, llvm::StringRef>{
                                 "prefetch-distance", kPrefetchDistance},
                             {"cache-line-size", "64"}}) {
    auto it = options.find(name);
    if (it != options.end() && it->second->getNumOccurrences() == 0)
      (void)it->second->addOccurrence(0, name, value);
  }
}

std::unique_ptr<llvm::Module> translate(ModuleOp module,
                                        llvm::LLVMContext &context,
                                        const Target &target) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "qnt");
  if (!llvmModule)
    return nullptr;
  llvmModule->setTargetTriple(llvm::Triple(target.triple));
  llvmModule->setDataLayout(target.machine->createDataLayout());
  // Per-function CPU and features: the code is for `target` even when a JIT
  // with the host's defaults compiles it (the unit tests and quant-bench
  // --kernels run AVX2-only and generic code this way on any x86-64
  // machine). The features are set even when empty (a named CPU's own): a
  // function without them takes the JIT's, which are the host's.
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", target.cpu);
    f.addFnAttr("target-features", target.features);
  }
  auto optimize = makeOptimizingTransformer(3, 0, target.machine.get());
  if (llvm::Error err = optimize(llvmModule.get())) {
    llvm::consumeError(std::move(err));
    return nullptr;
  }
  {
    // The prefetches, after O3 (whose loop passes would move them).
    setPrefetchDefaults();
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(target.machine.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::FunctionPassManager fpm;
    fpm.addPass(llvm::LoopDataPrefetchPass());
    llvm::ModulePassManager mpm;
    mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
    mpm.run(*llvmModule, mam);
  }
  return llvmModule;
}

/// LLVM's pre-RA machine scheduler reorders a micro-kernel's unrolled steps
/// for latency and, with 16 vector registers, spills what it made live: on
/// AVX2 the 8-bit GEMM of a 5632x2048 weight at 512 rows ran at 227 GOPS
/// with it and 312 without (quant-bench --kernels --mcpu=x86-64-v3, Zen 5,
/// 2 threads). With 32 registers (AVX-512) it made no difference there, and
/// it stays on. The option is global: set for each target compiled, unless
/// the command line gave it.
void setCodegenOptions(bool avx512) {
  static llvm::cl::Option *const option = [] {
    auto &options = llvm::cl::getRegisteredOptions();
    auto it = options.find("enable-misched");
    return it == options.end() || it->second->getNumOccurrences() > 0
               ? nullptr
               : it->second;
  }();
  if (option)
    (void)option->addOccurrence(0, "enable-misched", avx512 ? "true" : "false");
}

LogicalResult emit(llvm::Module &module, const Target &target, bool asm_,
                   llvm::raw_pwrite_stream &os, std::string &error) {
  setCodegenOptions(target.avx512);
  llvm::legacy::PassManager pm;
  auto kind = asm_ ? llvm::CodeGenFileType::AssemblyFile
                   : llvm::CodeGenFileType::ObjectFile;
  if (target.machine->addPassesToEmitFile(pm, os, nullptr, kind)) {
    error = "the target cannot emit this file type";
    return failure();
  }
  pm.run(module);
  return success();
}

//===----------------------------------------------------------------------===//
// C header
//===----------------------------------------------------------------------===//

/// The C type of a scalar or memref parameter.
static std::string cType(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return "qnt_memref_" + std::to_string(memref.getRank()) + "d *";
  if (type.isF32())
    return "float ";
  if (type.isF64())
    return "double ";
  if (type.isInteger(32))
    return "int32_t ";
  return "int64_t "; // index, i64
}

std::string cHeader(ModuleOp module, StringRef source) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Entry points compiled by quant-compile from " << source
     << ".\n * Tensors are memref descriptors (qnt/runtime.h); result<i> "
        "points to a buffer\n * the caller allocates, weights to the mapped "
        "weights file. */\n"
     << "#ifndef QNT_GENERATED_ENTRY_POINTS_H\n#define QNT_GENERATED_ENTRY_POINTS_H\n\n"
     << "#include \"qnt/runtime.h\"\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (!fn.isPublic() || fn.isDeclaration())
      continue;
    SmallVector<std::string> params;
    os << "/* @" << fn.getName() << "\n";
    unsigned results = 0;
    for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
      // The importer's names (qnt/entry_points.def) where it gave them.
      std::string name = "arg" + std::to_string(i);
      if (auto given = fn.getArgAttrOfType<StringAttr>(
              i, qnt::QntDialect::kParamAttrName))
        name = given.str();
      else if (fn.getArgAttr(i, "bufferize.result"))
        name = "result" + std::to_string(results++);
      else if (fn.getArgAttr(i, "qnt.weights"))
        name = "weights";
      params.push_back(cType(type) + name);
      std::string typeText;
      llvm::raw_string_ostream(typeText) << type;
      os << " *   " << name << ": " << typeText << "\n";
    }
    if (fn.getNumResults() > 1) {
      os << " * (not callable from C: several scalar results) */\n\n";
      continue;
    }
    std::string returned = "void";
    if (fn.getNumResults() == 1)
      returned = StringRef(cType(fn.getResultTypes()[0])).rtrim().str();
    os << " */\n" << returned << " _mlir_ciface_" << fn.getName() << "("
       << (params.empty() ? "void" : llvm::join(params, ", ")) << ");\n\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return text;
}

} // namespace qnt
