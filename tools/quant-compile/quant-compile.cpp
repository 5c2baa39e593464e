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

#include "passes/MicroKernel.h"
#include "passes/Passes.h"
#include "qnt/Compiler/Compiler.h"
#include "qnt/GGUF/GGUF.h"
#include "qnt/Import/GGUFImport.h"
#include "qnt/model.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Support/ToolUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include "Progress.h"
#include "Sensitivity.h"

#include <map>
#include <set>
#include <cstring>
#include <unistd.h>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { MLIR, MLIRLLVM, LLVMIR, Asm, Obj };

cl::OptionCategory category("quant-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.gguf | input.mlir>"),
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
// The quantization flags write straight into quantFlags: qnt-quantize's
// options (qnt::QuantizeOptions), whose initial values are their
// defaults.
::qnt::QuantOptions quantFlags;
cl::opt<qnt::Granularity, true> weightGranularity(
    "weight-granularity", cl::desc("which weights share a scale"),
    cl::location(quantFlags.weightGranularity),
    qnt::weightGranularityValues(), cl::cat(category));
cl::opt<qnt::WeightBits, true> weightBits(
    "weight-bits", cl::desc("which weights become 4-bit"),
    cl::location(quantFlags.weightBits), qnt::weightBitsValues(),
    cl::cat(category));
cl::opt<bool, true> weightMin(
    "weight-min",
    cl::desc("with --weight-bits=4: a minimum per block beside the scale "
             "(Q4_1's rule) instead of Q4_0's symmetric grid"),
    cl::location(quantFlags.weightMins), cl::cat(category));
cl::opt<int64_t, true> weightBlock("weight-block",
                                   cl::desc("values per weight block along K"),
                                   cl::location(quantFlags.weightBlock),
                                   cl::cat(category));
cl::opt<bool, true> weightRecords(
    "weight-records",
    cl::desc("store each tiled weight's data, scales and mins group by group "
             "in one run of records, the kernels' one stream "
             "(--weight-records=false: one tensor per component)"),
    cl::location(quantFlags.weightRecords), cl::cat(category));
cl::opt<bool, true> fuseLinears(
    "fuse-linears",
    cl::desc("one linear (one kernel) for the linears that read the same "
             "input with weights of one kind: q, k and v, gate and up "
             "(default; --fuse-linears=false keeps them apart)"),
    cl::location(quantFlags.fuseLinears), cl::cat(category));
cl::opt<qnt::WeightStorage, true> weightStorage(
    "weight-storage", cl::desc("how 8-bit weights are stored"),
    cl::location(quantFlags.weightStorage), qnt::weightStorageValues(),
    cl::cat(category));
cl::opt<qnt::ScaleType, true> weightScale(
    "weight-scale", cl::desc("element type of the weight scales"),
    cl::location(quantFlags.weightScale), qnt::scaleTypeValues(),
    cl::cat(category));
cl::opt<qnt::Granularity, true> actGranularity(
    "act-granularity", cl::desc("which activation values share a scale"),
    cl::location(quantFlags.actGranularity), qnt::actGranularityValues(),
    cl::cat(category));
cl::opt<qnt::ScaleType, true> actScale(
    "act-scale", cl::desc("element type of the activation scales"),
    cl::location(quantFlags.actScale), qnt::scaleTypeValues(),
    cl::cat(category));
cl::opt<qnt::SuperBlockScales, true> actSuperBlocks(
    "act-super-blocks",
    cl::desc("per-block activations against K-quant weights (Q4_K, Q6_K) "
             "with one scale per super-block of 256 and sums per block "
             "(GGML's Q8_K)"),
    cl::location(quantFlags.actSuperBlocks), qnt::superBlockScalesValues(),
    cl::cat(category));
cl::opt<qnt::Rounding, true> rounding(
    "rounding", cl::desc("rounding of x / scale"),
    cl::location(quantFlags.rounding), qnt::roundingValues(),
    cl::cat(category));
cl::opt<int64_t> tileCols("tile-cols",
                          cl::desc("output columns per parallel task of a float linear"),
                          cl::init(qnt::kLoweringDefaults.tileCols),
                          cl::cat(category));
cl::opt<std::string> weightPrefetch(
    "weight-prefetch",
    cl::desc("how far ahead, in bytes of each stream, the matmul kernels "
             "prefetch their weights (0: not at all; auto, the default: by "
             "weight type, 2048, 6144 for the K-quants)"),
    cl::value_desc("auto|bytes"), cl::init("auto"), cl::cat(category));
cl::opt<std::string> weightPrefetchLead(
    "weight-prefetch-lead",
    cl::desc("how far ahead, in bytes of each stream, decode's matmuls also "
             "prefetch one line every 2048 bytes, so that DRAM reads of the "
             "next pages start early (0: not; none with --weight-prefetch=0; "
             "auto, the default: by weight type, 16384, none for the "
             "K-quants)"),
    cl::value_desc("auto|bytes"), cl::init("auto"), cl::cat(category));
cl::opt<int64_t> weightStreams(
    "weight-streams",
    cl::desc("weight tiles decode's matmuls read at once, far apart in the "
             "weight, for more runs of DRAM reads a thread (1 to 4; 0, the "
             "default: by weight type and target, 2 but for Q4_K, and for "
             "Q6_K and IQ4_NL without AVX-512's 32 registers)"),
    cl::init(qnt::kLoweringDefaults.gemvStreams), cl::cat(category));
cl::opt<bool> noFuse("no-fuse",
                     cl::desc("keep quantizes and residual adds separate "
                              "(skip --qnt-fuse)"),
                     cl::init(false), cl::cat(category));
cl::opt<bool> shareKernels(
    "share-kernels",
    cl::desc("one kernel function per distinct matmul shape, and one "
             "function for the layers that differ only in their weights and "
             "cache layer, called by every layer, so the compile time does "
             "not grow with the depth (--share-kernels=false: a kernel per "
             "call site, a function per layer)"),
    cl::init(qnt::kLoweringDefaults.shareKernels), cl::cat(category));
cl::opt<bool> profile("profile",
                      cl::desc("time each layer op when the model runs "
                               "(quant-run --profile reports it)"),
                      cl::init(qnt::kLoweringDefaults.profile),
                      cl::cat(category));
cl::opt<int64_t> contextLength(
    "context", cl::desc("KV cache length for a GGUF model (default: the model's)"),
    cl::init(0), cl::cat(category));
cl::opt<::qnt::KvCache> kvCache(
    "kv-cache",
    cl::desc("what the KV cache of a GGUF model holds: keys and values are "
             "rounded to it as written and read back as f32"),
    cl::values(clEnumValN(::qnt::KvCache::F16, "f16",
                          "half the bytes of f32 (default; llama.cpp's default)"),
               clEnumValN(::qnt::KvCache::F32, "f32", "as computed"),
               clEnumValN(::qnt::KvCache::Q8_0, "q8_0",
                          "GGML Q8_0 blocks of 32 within each head: 34 bytes "
                          "per 32 values, 0.27 of f32")),
    cl::init(::qnt::KvCache::F16), cl::cat(category));
cl::opt<std::string> sensitivityText(
    "sensitivity",
    cl::desc("measure on this text what quantizing each linear costs (KL with "
             "only it quantized, its output error): a table on stdout, "
             "--sensitivity-out.csv and .html; then stop"),
    cl::value_desc("text file"), cl::cat(category));
cl::opt<std::string> sensitivityOut(
    "sensitivity-out",
    cl::desc("where --sensitivity writes PREFIX.csv and PREFIX.html (default: "
             "the output's name .sensitivity)"),
    cl::value_desc("prefix"), cl::cat(category));
cl::opt<double> accuracyBudget(
    "accuracy-budget",
    cl::desc("keep the most sensitive linears in float until the mean KL "
             "against float on --calibration is at most this"),
    cl::init(-1), cl::cat(category));
cl::opt<std::string> calibrationText(
    "calibration",
    cl::desc("the text --accuracy-budget measures on and --act-mode=static "
             "calibrates on"),
    cl::value_desc("text file"), cl::cat(category));
cl::opt<std::string> actMode(
    "act-mode",
    cl::desc("dynamic (absmax scales at run time) or static (scales calibrated "
             "on --calibration, baked into the code)"),
    cl::init("dynamic"), cl::cat(category));
cl::opt<std::string> actClip(
    "act-clip",
    cl::desc("static scales clip |x| at: absmax, or a percentile of the "
             "calibration's values (99.9, 99.99, ...)"),
    cl::init("absmax"), cl::cat(category));
cl::opt<std::string> actStaticGranularity(
    "act-static-granularity",
    cl::desc("static scales per-block (one per 32 input channels, as the "
             "kernel groups them) or per-tensor (one per linear input)"),
    cl::init("per-block"), cl::cat(category));
cl::list<std::string> actAsymmetric(
    "act-asymmetric",
    cl::desc("linears whose inputs are quantized with zero points "
             "(asymmetric): all, auto (those it measurably helps on "
             "--calibration), or names by prefix or role (ffn_down, "
             "blk.0.attn_q, ...)"),
    cl::CommaSeparated, cl::cat(category));
cl::opt<std::string> calibrationPlanOut(
    "calibration-plan-out",
    cl::desc("write what --act-mode=static and --act-asymmetric decided (a "
             "JSON plan, --qnt-apply-calibration's) to this file"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> calibrationPlanIn(
    "calibration-plan",
    cl::desc("apply a plan --calibration-plan-out wrote (or one written by "
             "hand) instead of calibrating again"),
    cl::value_desc("file"), cl::cat(category));
cl::list<std::string> keepFloat(
    "keep-float",
    cl::desc("layers kept in float, by name prefix (output, blk.0.ffn_down, ...)"),
    cl::CommaSeparated, cl::cat(category));
cl::opt<std::string> weightsOut(
    "weights",
    cl::desc("write large constants to this file instead of the code "
             "(default for a GGUF: the output's name .weights)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<bool> printTarget(
    "print-target",
    cl::desc("print the target --mcpu/--mattr resolve to, and whether this "
             "machine can run its code, then exit"),
    cl::init(false), cl::cat(category));
cl::opt<bool> quiet("q",
                    cl::desc("no progress on stderr (on a terminal one line "
                             "updated in place, else a line per step)"),
                    cl::cat(category));
cl::opt<bool> report("report",
                     cl::desc("print the target and the weights' sizes"),
                     cl::init(false), cl::cat(category));

/// The progress line, ended before an error is printed.
::qnt::Progress *progressLine = nullptr;

/// Sets `error` to `message` and fails.
LogicalResult fail(std::string &error, const Twine &message) {
  error = message.str();
  return failure();
}

int fail(const Twine &message) {
  if (progressLine)
    progressLine->finish();
  llvm::WithColor::error(llvm::errs(), "quant-compile") << message << "\n";
  return 1;
}

/// Bytes of the float weights (constants feeding qnt.linear) and of the
/// quantized weights (qnt.constant components).
struct WeightSizes {
  int64_t floatBytes = 0, quantBytes = 0, linears = 0, quantized = 0;
  int64_t floatEquivalent = 0; ///< f32 bytes of the quantized weights' values
  int64_t kernels = 0; ///< linears and matmuls left, fused ones counting once
};

int64_t bytesOf(Type type) {
  auto shaped = cast<ShapedType>(type);
  return shaped.getNumElements() *
         ((shaped.getElementTypeBitWidth() + 7) / 8);
}

/// Each weight counted once, however many linears (or entry points) read it:
/// constants are identified by their attributes.
WeightSizes measureWeights(ModuleOp module) {
  WeightSizes sizes;
  DenseSet<Attribute> floats, quantized;
  module.walk([&](Operation *op) {
    if (auto linear = dyn_cast<qnt::LinearOp>(op)) {
      sizes.linears += qnt::fusedLinearCount(op->getLoc());
      ++sizes.kernels;
      auto type = dyn_cast<RankedTensorType>(linear.getWeight().getType());
      ElementsAttr attr;
      if (type && matchPattern(linear.getWeight(), m_Constant(&attr)) &&
          floats.insert(attr).second)
        sizes.floatBytes += bytesOf(type);
      if (auto g = linear.getWeight().getDefiningOp<qnt::GgmlConstantOp>())
        if (floats.insert(g.getBlocks()).second)
          sizes.floatBytes += bytesOf(g.getBlocks().getType());
      if (auto d = linear.getWeight().getDefiningOp<qnt::DequantizeOp>())
        if (auto c = d.getInput().getDefiningOp<qnt::ConstantOp>())
          if (floats.insert(c.getData()).second)
            sizes.floatBytes += bytesOf(c.getData().getType()) +
                                bytesOf(c.getScales().getType());
    }
    if (auto matmul = dyn_cast<qnt::MatmulOp>(op)) {
      sizes.linears += qnt::fusedLinearCount(op->getLoc());
      sizes.quantized += qnt::fusedLinearCount(op->getLoc());
      ++sizes.kernels;
      // The weight's identity: its data attribute in memory, or its name
      // in the weights file it was streamed into.
      Attribute key;
      Operation *def = matmul.getRhs().getDefiningOp();
      if (auto c = dyn_cast_or_null<qnt::ConstantOp>(def))
        key = c.getData();
      else if (auto pack = dyn_cast_or_null<qnt::PackOp>(def)) {
        Value first = pack.getComponents()[0];
        if (auto w = first.getDefiningOp<qnt::WeightOp>())
          key = w.getNameAttr();
        else if (auto c = first.getDefiningOp<arith::ConstantOp>()) // records
          key = c.getValue();
      }
      if (!key || !quantized.insert(key).second)
        return;
      SmallVector<Type> parts;
      auto type = cast<qnt::QTensorType>(matmul.getRhs().getType());
      type.getComponentTypes(parts);
      for (Type part : parts)
        sizes.quantBytes += bytesOf(part);
      sizes.floatEquivalent += type.getShape()[0] * type.getShape()[1] * 4;
    }
  });
  return sizes;
}

/// Which of the runtime's QNT_QUANT_* the options amount to, for code of
/// `target` (whose micro-kernels may take Q4_K's activations per super-block).
int32_t quantizationKind(const ::qnt::QuantOptions &q, ::qnt::TargetAttr target) {
  if (!q.enabled)
    return QNT_QUANT_FLOAT;
  bool defaults = q.isDefaultScheme() && q.keepFloat.empty() &&
                  !q.staticActivations && !q.asymmetricActivations;
  if (!defaults)
    return QNT_QUANT_CUSTOM;
  return ::qnt::takesSuperBlockScales(q.actSuperBlocks, target)
             ? QNT_QUANT_DEFAULT_SUPER_ACT
             : QNT_QUANT_DEFAULT;
}

/// model.meta's header for a model whose weights file is `weightsPath`
/// (complete: the fingerprint and the model id are of its bytes).
LogicalResult makeMetaHeader(const ::qnt::gguf::File &file, int64_t context,
                             int32_t quantization, StringRef weightsPath,
                             const std::string &notes, qnt_meta_header &h,
                             std::string &error) {
  ::qnt::gguf::LlamaConfig c;
  if (!::qnt::gguf::readLlamaConfig(file, c, error))
    return failure();
  ::qnt::gguf::Vocabulary vocab;
  if (!::qnt::gguf::readVocabulary(file, vocab, error))
    return failure();
  auto weights = llvm::MemoryBuffer::getFile(weightsPath, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false);
  if (!weights) {
    error = "cannot read " + weightsPath.str() + ": " + weights.getError().message();
    return failure();
  }
  h = {};
  std::memcpy(h.magic, QNT_META_MAGIC, 8);
  h.dim = c.dim;
  h.blocks = c.blocks;
  h.heads = c.heads;
  h.kv_heads = c.kvHeads;
  h.head_dim = c.headDim;
  h.rope_dim = c.ropeDim;
  h.ffn = c.ffn;
  h.vocab = c.vocab;
  h.context = context > 0 ? std::min(context, c.context) : c.context;
  h.rope_base = c.ropeBase;
  h.rms_eps = c.rmsEps;
  h.bos = vocab.bos;
  h.eos = vocab.eos;
  h.unk = vocab.unk;
  h.add_bos = vocab.addBos;
  h.eot = vocab.eot;
  h.kv_cache = int32_t(kvCache.getValue());
  static_assert(int32_t(::qnt::KvCache::F16) == QNT_KV_CACHE_F16 &&
                int32_t(::qnt::KvCache::F32) == QNT_KV_CACHE_F32 &&
                int32_t(::qnt::KvCache::Q8_0) == QNT_KV_CACHE_Q8_0);
  ::qnt::compile::runtimeTokenizer(vocab, h.tokenizer, h.pre);
  h.merges = int64_t(vocab.merges.size());
  h.chat_template = int64_t(vocab.chatTemplate.size());
  h.notes = int64_t(notes.size());
  h.quantization = quantization;
  h.abi_version = QNT_MODEL_ABI_VERSION;
  h.weights_size = (*weights)->getBufferSize();
  h.weights_fingerprint =
      qnt_weights_fingerprint((*weights)->getBufferStart(), h.weights_size);
  h.model_id = qnt_model_id(&h);
  return success();
}

/// model.meta: the header, then the tokenizer, in qnt/model.h's layout.
LogicalResult writeMeta(const ::qnt::gguf::File &file, const qnt_meta_header &h,
                        const std::string &notes, const std::string &path,
                        std::string &error) {
  ::qnt::gguf::Vocabulary vocab;
  if (!::qnt::gguf::readVocabulary(file, vocab, error))
    return failure();
  // The runtime writes the layout it reads.
  std::vector<const char *> pieces, mergePieces;
  std::vector<uint32_t> lengths, mergeLengths;
  for (const std::string &token : vocab.tokens) {
    pieces.push_back(token.data());
    lengths.push_back(uint32_t(token.size()));
  }
  for (const std::string &merge : vocab.merges) {
    mergePieces.push_back(merge.data());
    mergeLengths.push_back(uint32_t(merge.size()));
  }
  char why[1024];
  if (qnt_meta_write(path.c_str(), &h, pieces.data(), lengths.data(),
                     vocab.scores.data(), vocab.types.data(),
                     mergePieces.data(), mergeLengths.data(),
                     vocab.chatTemplate.data(), notes.data(), why,
                     sizeof why) != 0) {
    error = why;
    return failure();
  }
  return success();
}

/// The symbols by which the runtime knows which model.meta a model.so
/// belongs to, as constant globals of the LLVM-dialect module.
void addModelIdentity(ModuleOp module, const qnt_meta_header &h) {
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Location loc = module.getLoc();
  LLVM::GlobalOp::create(b, loc, b.getI64Type(), /*isConstant=*/true,
                         LLVM::Linkage::External, QNT_MODEL_ID_SYMBOL,
                         b.getI64IntegerAttr(int64_t(h.model_id)));
  LLVM::GlobalOp::create(b, loc, b.getI32Type(), /*isConstant=*/true,
                         LLVM::Linkage::External, QNT_MODEL_ABI_SYMBOL,
                         b.getI32IntegerAttr(h.abi_version));
}

/// cc -shared -o output object -lm: the runtime's symbols are resolved from
/// the program that loads the library (quant-run).
LogicalResult linkShared(StringRef object, StringRef output, std::string &error) {
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc) {
    error = "no C compiler (cc) on PATH to link " + output.str();
    return failure();
  }
  std::vector<StringRef> args = {*cc, "-shared", "-o", output, object, "-lm"};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "linking " + output.str() + " failed" +
            (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}

std::string defaultOutput(StringRef ext) {
  if (inputFile == "-")
    return "-";
  SmallString<128> path(llvm::sys::path::filename(inputFile));
  llvm::sys::path::replace_extension(path, ext);
  return std::string(path);
}

/// The model: a GGUF file imported into `gguf` (its mapping outlives the
/// module: the weights are not copied), anything else parsed as MLIR. Null
/// on failure, with `error` set or, for IR that does not parse, empty (the
/// parser has reported why).
OwningOpRef<ModuleOp> readInput(MLIRContext &context,
                                llvm::SourceMgr &sourceMgr,
                                std::unique_ptr<::qnt::gguf::File> &gguf,
                                std::string &error) {
  if (StringRef(inputFile).ends_with(".gguf")) {
    gguf = ::qnt::gguf::File::open(inputFile, error);
    if (!gguf)
      return nullptr;
    ::qnt::ImportOptions importOptions;
    importOptions.context = contextLength;
    importOptions.kvCache = kvCache;
    OwningOpRef<ModuleOp> module =
        ::qnt::importGGUF(*gguf, &context, importOptions, error);
    if (!module)
      error = inputFile + ": " + error;
    return module;
  }
  auto input = openInputFile(inputFile, &error);
  if (!input)
    return nullptr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

/// What watches a compile: the progress line, --mlir-timing and --report's
/// pass lists. Each pipeline runs under hook(); the LLVM steps after them
/// under phase().
class Instruments {
public:
  explicit Instruments(::qnt::Progress &progress) : progress(progress) {
    applyDefaultTimingManagerCLOptions(timing);
    root = timing.getRootScope();
  }

  /// Instruments each pipeline's pass manager as it is built: its passes
  /// timed under a timer of the pipeline's own, listed with --report, and
  /// MLIR's pass-manager flags (--mlir-print-ir-*, ...) applied.
  ::qnt::PassManagerHook hook() {
    return [this](PassManager &pm) -> LogicalResult {
      int index = std::min(pipeline++, 2);
      progress.instrument(pm, kPipelines[index]);
      if (timing.isEnabled()) {
        if (index > 0)
          pipelineTimers[index - 1].stop();
        pipelineTimers[index] = root.nest(&kPipelineIds[index], [index] {
          return std::string(kPipelines[index]);
        });
        pm.enableTiming(pipelineTimers[index]);
      }
      if (report) {
        progress.finish();
        SmallVector<StringRef> names;
        for (Pass &pass : pm.getPasses())
          names.push_back(pass.getArgument());
        llvm::errs() << "passes: " << llvm::join(names, ", ") << "\n";
      }
      return applyPassManagerCLOptions(pm);
    };
  }

  /// An LLVM step after the pipelines: `step` on the progress line, and a
  /// timer of its own named `timer` (or `step`), stopped when the scope
  /// returned is. `id` is a static address.
  TimingScope phase(const char *id, const char *step,
                    const char *timer = nullptr) {
    progress.step(step);
    for (TimingScope &pipelineTimer : pipelineTimers)
      pipelineTimer.stop();
    const char *name = timer ? timer : step;
    return root.nest(id, [name] { return std::string(name); });
  }

private:
  /// The pipelines in the order they run.
  static constexpr const char *kPipelines[3] = {"quantize", "lower", "to LLVM"};
  /// Timers are keyed by addresses. A pass's timer is keyed by the pass, so
  /// each pipeline's passes get a timer of their own (a later pass manager's
  /// pass may sit where an earlier, destroyed one sat), and the LLVM phases
  /// are keyed by static addresses (a TimingIdentifier's heap address could
  /// be a destroyed pass's).
  static constexpr char kPipelineIds[3] = {};

  ::qnt::Progress &progress;
  /// --mlir-timing: every pipeline's passes and the LLVM steps in one report,
  /// printed when the compile is done (the manager's destruction).
  DefaultTimingManager timing;
  TimingScope root;
  std::array<TimingScope, 3> pipelineTimers;
  int pipeline = 0;
};

/// --report's account of what came in: the GGUF's tensors by type, and the
/// KV cache the compile will ask for.
void reportInput(const ::qnt::gguf::File &gguf) {
  // What came in: the GGUF's tensors by type.
  std::map<std::string, std::pair<int, uint64_t>> types;
  for (const ::qnt::gguf::TensorInfo &t : gguf.tensors()) {
    auto &[count, bytes] = types[::qnt::gguf::tensorTypeName(t.type)];
    ++count;
    bytes += t.bytes;
  }
  llvm::errs() << "tensors in " << inputFile << ":";
  const char *separator = " ";
  for (const auto &[name, entry] : types) {
    llvm::errs() << separator << entry.first << " " << name << " ("
                 << entry.second << " bytes)";
    separator = ", ";
  }
  llvm::errs() << "\n";
  ::qnt::gguf::LlamaConfig c;
  std::string error;
  if (::qnt::gguf::readLlamaConfig(gguf, c, error)) {
    // Keys and values of every layer, for each position of the context.
    int64_t contextRows = contextLength > 0 ? std::min<int64_t>(contextLength, c.context)
                                            : c.context;
    // The runtime's own count, on the header fields it reads.
    qnt_meta_header cache = {};
    cache.blocks = c.blocks;
    cache.kv_heads = c.kvHeads;
    cache.head_dim = c.headDim;
    cache.kv_cache = int32_t(kvCache.getValue());
    int64_t perToken = qnt_kv_cache_bytes_per_token(&cache);
    llvm::errs() << "KV cache: " << qnt_kv_cache_name(cache.kv_cache)
                 << ", " << perToken << " bytes per token, "
                 << llvm::format("%.1f MiB", double(perToken) * double(contextRows) /
                                                 (1 << 20))
                 << " for the context of " << contextRows << " tokens\n";
  }
}

/// --report's account of the quantization: the linears' weights before and
/// after.
void reportWeights(const WeightSizes &before, const WeightSizes &after) {
  llvm::errs() << "linear layers: " << after.linears << ", quantized "
               << after.quantized;
  if (after.kernels < after.linears)
    llvm::errs() << "; " << after.kernels
                 << " after fusing those that read one input";
  llvm::errs() << "\n";
  llvm::errs() << "weights of the linear layers: " << before.floatBytes
               << " bytes as given -> " << after.quantBytes << " bytes quantized";
  if (after.floatBytes)
    llvm::errs() << " + " << after.floatBytes << " bytes kept float";
  if (after.floatEquivalent)
    llvm::errs() << llvm::format(" (%.2f bytes per value; f32 is 4)",
                                 double(after.quantBytes) /
                                     double(after.floatEquivalent / 4));
  llvm::errs() << "\n";
}

/// Applies quant-compile's calibration flags (--sensitivity,
/// --accuracy-budget, --act-mode=static, --act-asymmetric,
/// --calibration-plan and --calibration-plan-out) to `quant`: the linears kept
/// float and the calibration plan --qnt-apply-calibration applies; what they
/// measured goes to `notes` (model.meta's). `stop` when --sensitivity has
/// written its tables and nothing is to be compiled. The measurements run
/// the scalar reference on `gguf` (null for qnt IR).
LogicalResult applyCalibrationFlags(const ::qnt::gguf::File *gguf,
                                    ModuleOp module, StringRef stem,
                                    ::qnt::QuantOptions &quant,
                                    std::string &notes, bool &stop,
                                    std::string &error) {
  // What the scalar reference measures (--sensitivity, --accuracy-budget,
  // the static and asymmetric summaries): the default scheme, --keep-float
  // layers staying float as asked.
  auto measuresDefault = [&] {
    ::qnt::QuantOptions measured = quant;
    measured.keepFloat.clear();
    return quantizationKind(measured, ::qnt::TargetAttr()) == QNT_QUANT_DEFAULT;
  };
  // The tokens of a text those measure on; false with `why` set.
  auto textTokens = [&](const std::string &flag, const std::string &path,
                        std::vector<int32_t> &ids, std::string &why) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer) {
      why = "cannot read " + path;
      return false;
    }
    if (!::qnt::compile::tokenizeText(*gguf, (*buffer)->getBuffer().str(), ids,
                                      error)) {
      why = flag + ": " + error;
      return false;
    }
    return true;
  };
  std::string why;
  if (!sensitivityText.empty() || accuracyBudget >= 0) {
    if (!gguf)
      return fail(error, "--sensitivity and --accuracy-budget need a GGUF model");
    if (!measuresDefault())
      return fail(error, "--sensitivity and --accuracy-budget measure the default "
                  "scheme (Q8_0 weights, per-block activations): drop the "
                  "other quantization options");
    if (!sensitivityText.empty()) {
      std::vector<int32_t> ids;
      std::string prefix = sensitivityOut.empty() ? (stem + ".sensitivity").str()
                                                  : sensitivityOut.getValue();
      if (!textTokens("--sensitivity", sensitivityText, ids, why))
        return fail(error, why);
      if (!::qnt::compile::writeSensitivity(*gguf, ids, prefix, error))
        return fail(error, "--sensitivity: " + error);
      stop = true;
      return success();
    }
    if (calibrationText.empty())
      return fail(error, "--accuracy-budget needs --calibration TEXT");
    std::vector<int32_t> ids;
    std::set<std::string> kept(keepFloat.begin(), keepFloat.end());
    if (!textTokens("--accuracy-budget", calibrationText, ids, why))
      return fail(error, why);
    if (!::qnt::compile::chooseKeptFloat(*gguf, ids, accuracyBudget, kept, notes,
                                         error))
      return fail(error, "--accuracy-budget: " + error);
    llvm::errs() << notes << "\n";
    quant.keepFloat.assign(kept.begin(), kept.end());
  }
  if (actMode != "dynamic" && actMode != "static")
    return fail(error, "--act-mode must be dynamic or static, got '" + actMode + "'");
  if (actMode == "static") {
    ::qnt::reference::CalibrationOptions calibration;
    if (actStaticGranularity == "per-channel")
      return fail(error, "--act-static-granularity=per-channel is not supported: one "
                  "scale per input channel does not factor out of the integer "
                  "dot product unless the weight's columns are rescaled "
                  "(SmoothQuant); use per-block (one scale per 32 channels)");
    if (actStaticGranularity != "per-block" && actStaticGranularity != "per-tensor")
      return fail(error, "--act-static-granularity must be per-block or per-tensor, got '" +
                  actStaticGranularity + "'");
    calibration.perTensor = actStaticGranularity == "per-tensor";
    if (actClip != "absmax") {
      StringRef text = actClip;
      double p;
      if (text.getAsDouble(p) || !(p > 0 && p <= 100))
        return fail(error, "--act-clip must be absmax or a percentile in (0, 100], got '" +
                    actClip + "'");
      calibration.percentile = p;
    }
    if (!gguf)
      return fail(error, "--act-mode=static calibrates a GGUF model; for qnt IR, put "
                  "act_scales on the qnt.linear ops");
    if (!quant.enabled)
      return fail(error, "--act-mode=static quantizes activations: not with --no-quantize");
    if (accuracyBudget >= 0)
      return fail(error, "--accuracy-budget measures dynamic activations: not with "
                  "--act-mode=static");
    if (!measuresDefault())
      return fail(error, "--act-mode=static calibrates the default scheme (Q8_0 "
                  "weights, per-block activations): drop the other "
                  "quantization options");
    if (calibrationText.empty())
      return fail(error, "--act-mode=static needs --calibration TEXT");
    std::vector<int32_t> ids;
    std::map<std::string, std::vector<float>> scales;
    std::set<std::string> kept(quant.keepFloat.begin(), quant.keepFloat.end());
    std::string summary;
    if (!textTokens("--act-mode=static", calibrationText, ids, why))
      return fail(error, why);
    if (!::qnt::compile::calibrateStatic(*gguf, ids, calibration, kept, scales,
                                         summary, error))
      return fail(error, "--act-mode=static: " + error);
    llvm::errs() << summary << "\n";
    notes += (notes.empty() ? "" : "; ") + summary;
    quant.staticActivations = true;
    // Each linear's input gets its scales (one per block, or the one):
    // applied by --qnt-apply-calibration.
    for (const auto &[name, values] : scales)
      quant.calibration.actScales[name].assign(
          values.begin(), values.begin() + (calibration.perTensor ? 1 : values.size()));
  }
  if (!actAsymmetric.empty()) {
    if (!quant.enabled)
      return fail(error, "--act-asymmetric quantizes activations: not with --no-quantize");
    if (actMode == "static")
      return fail(error, "--act-asymmetric: static scales are symmetric; not with "
                  "--act-mode=static");
    bool chooses = llvm::is_contained(actAsymmetric, "auto");
    if (chooses && actAsymmetric.size() > 1)
      return fail(error, "--act-asymmetric=auto chooses the linears itself: give it alone");
    if (chooses && (!gguf || calibrationText.empty()))
      return fail(error, "--act-asymmetric=auto measures a GGUF model on --calibration TEXT");
    // A linear is named by prefix ("blk.0.", "output") or by role
    // ("ffn_down": the name's last component), or all of them.
    auto matches = [&](StringRef name) {
      return llvm::any_of(actAsymmetric, [&](StringRef p) {
        return p == "all" || name.starts_with(p) || name.ends_with(("." + p).str());
      });
    };
    std::set<std::string> names;
    module.walk([&](qnt::LinearOp op) {
      if (auto name = dyn_cast<NameLoc>(op.getLoc()); name && matches(name.getName()))
        names.insert(name.getName().str());
    });
    if (!chooses && names.empty())
      return fail(error, "--act-asymmetric: no linear is named " +
                  llvm::join(actAsymmetric, ","));
    if (gguf && !calibrationText.empty()) {
      if (!measuresDefault())
        return fail(error, "--act-asymmetric with --calibration measures the default "
                    "scheme (Q8_0 weights, per-block activations): drop the "
                    "other quantization options");
      std::vector<int32_t> ids;
      std::string summary;
      if (!textTokens("--act-asymmetric", calibrationText, ids, why))
        return fail(error, why);
      std::set<std::string> kept(quant.keepFloat.begin(), quant.keepFloat.end());
      if (!::qnt::compile::measureAsymmetric(*gguf, ids, kept, chooses, names,
                                             summary, error))
        return fail(error, "--act-asymmetric: " + error);
      llvm::errs() << summary << "\n";
      notes += (notes.empty() ? "" : "; ") + summary;
    }
    quant.asymmetricActivations = !names.empty();
    quant.calibration.asymmetric.insert(names.begin(), names.end());
  }
  if (!calibrationPlanIn.empty()) {
    if (actMode == "static" || !actAsymmetric.empty())
      return fail(error, "--calibration-plan applies a plan made before: not with "
                  "--act-mode=static or --act-asymmetric");
    if (!quant.enabled)
      return fail(error, "--calibration-plan quantizes activations: not with --no-quantize");
    if (!qnt::readCalibrationPlan(calibrationPlanIn, quant.calibration, error))
      return failure();
    quant.staticActivations = !quant.calibration.actScales.empty();
    quant.asymmetricActivations = !quant.calibration.asymmetric.empty();
    notes += std::string(notes.empty() ? "" : "; ") + "calibration plan " +
             llvm::sys::path::filename(calibrationPlanIn).str();
  }
  if (!calibrationPlanOut.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(calibrationPlanOut, ec);
    if (ec)
      return fail(error, "cannot write " + calibrationPlanOut + ": " + ec.message());
    qnt::printCalibrationPlan(quant.calibration, os);
  }
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  qnt::registerPassesAndPipelines();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  // --help shows this tool's flags; MLIR's and LLVM's (--mlir-print-ir-*,
  // --mlir-timing, ...) still work and are listed by --help-hidden.
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-compile: compiles a model (a llama GGUF, or qnt IR in .mlir) for "
      "this CPU,\nwith weights quantized at compile time and activations at "
      "run time.\n\n"
      "  quant-compile model.gguf -o model.so      # then: quant-run model.so\n"
      "  quant-compile linear.mlir -o linear.o     # and linear.h, for C\n"
      "  quant-compile model.gguf --emit=mlir -o model.mlir\n\n"
      "MLIR's and LLVM's own flags: --help-hidden.\n");

  std::optional<int64_t> prefetchBytes =
      qnt::parsePrefetchBytes(weightPrefetch);
  if (!prefetchBytes)
    return fail("--weight-prefetch must be auto (by weight type), 0 (no "
                "prefetch) or a positive number of bytes, got " +
                Twine(weightPrefetch));
  std::optional<int64_t> leadBytes = qnt::parsePrefetchBytes(weightPrefetchLead);
  if (!leadBytes)
    return fail("--weight-prefetch-lead must be auto (by weight type), 0 "
                "(none) or a positive number of bytes, got " +
                Twine(weightPrefetchLead));
  if (weightStreams < 0 || weightStreams > qnt::kMaxGemvStreams)
    return fail("--weight-streams must be 0 (by weight type) to " +
                Twine(qnt::kMaxGemvStreams) + ", got " + Twine(weightStreams));
  std::string error;
  FailureOr<::qnt::Target> target = ::qnt::resolveTarget(mcpu, mattr, error);
  if (failed(target))
    return fail(error);
  if (printTarget) {
    llvm::outs() << "target: " << target->describe() << "\n";
    return 0;
  }

  DialectRegistry registry;
  ::qnt::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  // Progress: steps, passes and the fold pass's weights (its remarks).
  ::qnt::Progress progress(quiet || emitAction != Emit::Obj,
                           ::qnt::Progress::stderrIsTerminal());
  progressLine = &progress;
  auto progressHandler = progress.handle(context);
  progress.step(("reading " + llvm::sys::path::filename(inputFile)).str());
  std::unique_ptr<::qnt::gguf::File> gguf;
  OwningOpRef<ModuleOp> module =
      readInput(context, sourceMgr, gguf, error);
  if (!module)
    return error.empty() ? 1 : fail(error); // empty: the parser has said why

  std::string output = outputFile;
  if (output.empty())
    output = defaultOutput(emitAction == Emit::Obj ? ".o" : ".out");
  bool sharedLibrary = emitAction == Emit::Obj && StringRef(output).ends_with(".so");
  SmallString<128> stem(output);
  llvm::sys::path::replace_extension(stem, "");

  // What a compiled GGUF model needs at run time, beside the code.
  std::string weightsPath = weightsOut;
  bool lowers = emitAction != Emit::MLIR;
  if (gguf && lowers) {
    if (output == "-" && weightsPath.empty())
      return fail("a GGUF model needs -o (its weights go to a file beside it)");
    if (weightsPath.empty())
      weightsPath = (stem + ".weights").str();
  }

  WeightSizes before = measureWeights(*module);
  ::qnt::QuantOptions quant = quantFlags;
  quant.enabled = !noQuantize;
  quant.keepFloat.assign(keepFloat.begin(), keepFloat.end());
  // What the calibration flags decide (model.meta records it too).
  std::string notes;
  bool stop = false;
  if (failed(applyCalibrationFlags(gguf.get(), *module, stem, quant, notes,
                                   stop, error)))
    return fail(error);
  if (stop)
    return 0; // --sensitivity wrote its tables
  // The quantized weights stream into the weights file as they are made.
  quant.weightsFile = weightsPath;
  quant.progress = progress.enabled();
  Instruments instruments(progress);
  ::qnt::PassManagerHook hook = instruments.hook();
  if (report)
    llvm::errs() << "target: " << target->describe() << "\n";
  if (report && gguf)
    reportInput(*gguf);
  if (failed(::qnt::quantize(*module, quant, *target, hook)))
    return 1;
  if (report) {
    progress.finish();
    reportWeights(before, measureWeights(*module));
  }

  // A shared library: the object goes to a temporary file, then to `cc`.
  SmallString<128> objectPath;
  if (sharedLibrary) {
    int fd;
    if (auto ec = llvm::sys::fs::createTemporaryFile("quant-compile", "o", fd,
                                                     objectPath))
      return fail("cannot create a temporary file: " + ec.message());
    ::close(fd);
  }
  auto out = openOutputFile(sharedLibrary ? StringRef(objectPath) : StringRef(output),
                            &error);
  if (!out)
    return fail(error);

  if (emitAction == Emit::MLIR) {
    module->print(out->os());
    out->keep();
    return 0;
  }

  qnt::LoweringOptions lowering = ::qnt::loweringOptions(tileCols);
  lowering.fuse = !noFuse;
  lowering.prefetchBytes = *prefetchBytes;
  lowering.leadPrefetchBytes = *leadBytes;
  lowering.gemvStreams = weightStreams;
  lowering.profile = profile;
  lowering.shareKernels = shareKernels;
  lowering.mergeLayers = shareKernels;
  lowering.weightsFile = weightsPath;
  if (failed(::qnt::lowerToBuffers(*module, lowering, hook)))
    return 1;
  std::string header = ::qnt::cHeader(*module, inputFile);
  // The weights file is complete: the meta file records its fingerprint, and
  // the code the model id.
  qnt_meta_header meta = {};
  if (gguf && failed(makeMetaHeader(*gguf, contextLength,
                                    quantizationKind(quant, ::qnt::TargetAttr::lookup(*module)),
                                    weightsPath, notes, meta, error)))
    return fail(inputFile + ": " + error);
  if (failed(::qnt::buffersToLLVM(*module, lowering, hook)))
    return 1;
  if (gguf)
    addModelIdentity(*module, meta);
  if (emitAction == Emit::MLIRLLVM) {
    module->print(out->os());
    out->keep();
    return 0;
  }

  llvm::LLVMContext llvmContext;
  static const char translateId = 0, codegenId = 0, linkId = 0;
  TimingScope translateTimer =
      instruments.phase(&translateId, "LLVM: translate, optimize (O3)",
                        "LLVM IR: translate, optimize (O3)");
  std::unique_ptr<llvm::Module> llvmModule =
      ::qnt::translate(*module, llvmContext, *target);
  translateTimer.stop();
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  if (emitAction == Emit::LLVMIR) {
    llvmModule->print(out->os(), nullptr);
    out->keep();
    return 0;
  }
  TimingScope codegenTimer = instruments.phase(&codegenId, "LLVM codegen");
  if (failed(::qnt::emit(*llvmModule, *target, emitAction == Emit::Asm,
                       out->os(), error)))
    return fail(error);
  codegenTimer.stop();
  out->keep();
  out.reset();
  if (sharedLibrary) {
    TimingScope linkTimer = instruments.phase(&linkId, "link");
    bool linked = succeeded(linkShared(objectPath, output, error));
    llvm::sys::fs::remove(objectPath);
    if (!linked)
      return fail(error);
  }
  if (gguf && emitAction == Emit::Obj &&
      failed(writeMeta(*gguf, meta, notes, (stem + ".meta").str(), error)))
    return fail(inputFile + ": " + error);

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
