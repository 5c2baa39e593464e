//===- Pipelines.cpp - Named pipelines ----------------------------*- C++ -*-===//

#include "passes/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace qnt;

bool qnt::QuantizeOptions::isDefaultScheme() const {
  const QuantizeOptions &d = kQuantizeDefaults;
  return weightBits == d.weightBits && weightMins == d.weightMins &&
         weightGranularity == d.weightGranularity &&
         weightBlock == d.weightBlock && weightStorage == d.weightStorage &&
         weightScale == d.weightScale && actGranularity == d.actGranularity &&
         actScale == d.actScale && rounding == d.rounding;
}

void qnt::buildQuantizePipeline(OpPassManager &pm,
                                const QuantizeOptions &options) {
  bool perToken = options.actGranularity == Granularity::PerToken;
  FoldWeightQuantPassOptions fold;
  fold.bits = options.weightBits;
  // 4-bit weights are corrected by per-block activation sums: per-token
  // activations keep GGML 4-bit weights 8-bit (requantized).
  if (perToken && options.weightBits == WeightBits::Auto)
    fold.bits = WeightBits::Eight;
  fold.mins = options.weightMins;
  fold.granularity = options.weightGranularity;
  fold.block = options.weightBlock;
  fold.storage = options.weightStorage;
  // u8 weights need activation sums at the weight's grouping, which
  // per-token activations of per-block weights lack.
  if (options.weightStorage == WeightStorage::Auto && perToken &&
      options.weightGranularity == Granularity::PerBlock)
    fold.storage = WeightStorage::I8;
  fold.scale = options.weightScale;
  fold.rounding = options.rounding;
  fold.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
  fold.weightsFile = options.weightsFile;
  fold.progress = options.progress;
  InsertActQuantPassOptions act;
  act.granularity = options.actGranularity;
  act.scale = options.actScale;
  act.superBlockScales = options.actSuperBlocks;
  act.rounding = options.rounding;
  if (!options.calibrationPlanFile.empty())
    pm.addPass(createApplyCalibrationPass(
        ApplyCalibrationPassOptions{options.calibrationPlanFile}));
  else if (!options.calibration.empty())
    pm.addPass(createApplyCalibrationPass(options.calibration));
  if (options.fuseLinears) {
    FuseLinearsPassOptions fuse;
    fuse.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
    pm.addPass(createFuseLinearsPass(fuse));
  }
  DataTilingPassOptions tiling;
  tiling.records = options.weightRecords;
  pm.addPass(createDataTilingPass(tiling));
  pm.addPass(createFoldWeightQuantPass(fold));
  pm.addPass(createInsertActQuantPass(act));
}

void qnt::buildLowerToBuffersPipeline(OpPassManager &pm,
                                      const LoweringOptions &options) {
  // Kernels as loops on tensors: GGML blocks left unquantized as f32
  // constants, quantizes and residual adds fused into their neighbours, matmuls into register tiles, the tiles into vector code, then
  // every other op.
  pm.addPass(createExpandGgmlPass());
  if (options.fuse)
    pm.addPass(createFusePass());
  if (options.profile)
    pm.addPass(createProfilePass());
  if (options.shareKernels)
    pm.addPass(createShareKernelsPass());
  TileMatmulPassOptions tileOptions;
  tileOptions.maxM0 = options.maxM0;
  tileOptions.gemvStreams = options.gemvStreams;
  pm.addPass(createTileMatmulPass(tileOptions));
  LowerMicroKernelPassOptions kernelOptions;
  kernelOptions.prefetchBytes = options.prefetchBytes;
  kernelOptions.leadPrefetchBytes = options.leadPrefetchBytes;
  pm.addPass(createLowerMicroKernelPass(kernelOptions));
  LowerToVectorPassOptions lowerOptions;
  lowerOptions.tileCols = options.tileCols;
  pm.addPass(createLowerToVectorPass(lowerOptions));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (!options.weightsFile.empty()) {
    ExternalizeWeightsPassOptions weights;
    weights.file = options.weightsFile;
    pm.addPass(createExternalizeWeightsPass(weights));
  }
  // Each layer in a function of its own, so that bufferization analyses one
  // layer at a time.
  if (options.outlineLayers)
    pm.addPass(createOutlineLayersPass());
  // The layers, alike but for their weights' offsets and their cache
  // layer, into one function: LLVM compiles a layer once.
  if (options.outlineLayers && options.mergeLayers)
    pm.addPass(createMergeFunctionsPass());

  // Buffers: entry points take dense row-major memrefs; results that are
  // arguments updated in place (a KV cache) are dropped, the others become
  // out-parameters the caller allocates.
  // A kernel's result lands in the destination its caller gives
  // (bufferization.materialize_in_destination of --qnt-share-kernels).
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // A single-row kernel with weight streams returns its destination through
  // an expand_shape (the [1, S, N / S] view) and a collapse_shape back:
  // folded, the result is the last argument itself, which the next pass
  // recognizes and drops; otherwise every decode matmul copied its output
  // into an out-parameter (about 70 KiB a layer of a 1B model).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.addResultAttribute = true;
  outParams.hoistStaticAllocs = true;
  outParams.hoistDynamicAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(pm);
}

void qnt::buildBuffersToLLVMPipeline(OpPassManager &pm,
                                     const LoweringOptions &options) {
  LowerX86PassOptions dpbusd;
  dpbusd.intrinsics = options.intrinsics;
  pm.addPass(createLowerX86Pass(dpbusd));

  // Threads, then LLVM.
  pm.addPass(createForallToParallelLoopPass());
  pm.addPass(createOutlineParallelPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = true; // allocations go to the runtime
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void qnt::buildLowerToLLVMPipeline(OpPassManager &pm,
                                   const LoweringOptions &options) {
  buildLowerToBuffersPipeline(pm, options);
  buildBuffersToLLVMPipeline(pm, options);
}

namespace {
/// qnt-quantize's options: QuantizeOptions as pass-pipeline options, their
/// defaults taken from it.
struct QuantizePipelineOptions
    : public PassPipelineOptions<QuantizePipelineOptions> {
  Option<WeightBits> weightBits{
      *this, "weight-bits", llvm::cl::desc("which weights become 4-bit"),
      llvm::cl::init(kQuantizeDefaults.weightBits),
      weightBitsValues()};
  Option<bool> weightMins{*this, "weight-mins",
                          llvm::cl::desc("4-bit float weights with a minimum "
                                         "per block (Q4_1's rule)"),
                          llvm::cl::init(kQuantizeDefaults.weightMins)};
  Option<bool> weightRecords{
      *this, "weight-records",
      llvm::cl::desc("tiled per-block weights in records: each group's "
                     "components side by side (#qnt.layout's records)"),
      llvm::cl::init(kQuantizeDefaults.weightRecords)};
  Option<bool> fuseLinears{
      *this, "fuse-linears",
      llvm::cl::desc("linears reading one input become one "
                     "(--qnt-fuse-linears)"),
      llvm::cl::init(kQuantizeDefaults.fuseLinears)};
  Option<Granularity> weightGranularity{
      *this, "weight-granularity", llvm::cl::desc("which weights share a scale"),
      llvm::cl::init(kQuantizeDefaults.weightGranularity),
      weightGranularityValues()};
  Option<int64_t> weightBlock{*this, "weight-block",
                              llvm::cl::desc("values per weight block along K"),
                              llvm::cl::init(kQuantizeDefaults.weightBlock)};
  Option<WeightStorage> weightStorage{
      *this, "weight-storage", llvm::cl::desc("how 8-bit weights are stored"),
      llvm::cl::init(kQuantizeDefaults.weightStorage),
      weightStorageValues()};
  Option<ScaleType> weightScale{
      *this, "weight-scale", llvm::cl::desc("element type of the weight scales"),
      llvm::cl::init(kQuantizeDefaults.weightScale),
      scaleTypeValues()};
  Option<Granularity> actGranularity{
      *this, "act-granularity",
      llvm::cl::desc("which activation values share a scale"),
      llvm::cl::init(kQuantizeDefaults.actGranularity),
      actGranularityValues()};
  Option<ScaleType> actScale{
      *this, "act-scale", llvm::cl::desc("element type of the activation scales"),
      llvm::cl::init(kQuantizeDefaults.actScale),
      scaleTypeValues()};
  Option<SuperBlockScales> actSuperBlocks{
      *this, "act-super-blocks",
      llvm::cl::desc("per-block activations against K-quant weights with a "
                     "scale per super-block of 256"),
      llvm::cl::init(kQuantizeDefaults.actSuperBlocks),
      superBlockScalesValues()};
  Option<Rounding> rounding{
      *this, "rounding", llvm::cl::desc("rounding of x / scale"),
      llvm::cl::init(kQuantizeDefaults.rounding),
      roundingValues()};
  ListOption<std::string> keepFloat{
      *this, "keep-float",
      llvm::cl::desc("linears kept in float, by name prefix")};
  Option<std::string> weightsFile{
      *this, "weights-file",
      llvm::cl::desc("stream the quantized weights into this file"),
      llvm::cl::init("")};
  Option<std::string> calibrationPlan{
      *this, "calibration-plan",
      llvm::cl::desc("apply this JSON calibration plan first "
                     "(--qnt-apply-calibration)"),
      llvm::cl::init("")};

  QuantizeOptions get() const {
    QuantizeOptions o;
    o.weightBits = weightBits;
    o.weightMins = weightMins;
    o.weightGranularity = weightGranularity;
    o.weightBlock = weightBlock;
    o.weightRecords = weightRecords;
    o.weightStorage = weightStorage;
    o.weightScale = weightScale;
    o.actGranularity = actGranularity;
    o.actScale = actScale;
    o.actSuperBlocks = actSuperBlocks;
    o.rounding = rounding;
    o.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    o.fuseLinears = fuseLinears;
    o.weightsFile = weightsFile;
    o.calibrationPlanFile = calibrationPlan;
    return o;
  }
};

struct PipelineOptions : public PassPipelineOptions<PipelineOptions> {
  Option<bool> intrinsics{
      *this, "intrinsics",
      llvm::cl::desc("the dots as the module's #qnt.target's intrinsics "
                     "(false: vector arithmetic only)"),
      llvm::cl::init(kLoweringDefaults.intrinsics)};
  Option<int64_t> tileCols{*this, "tile-cols",
                           llvm::cl::desc("output columns per parallel task of a float linear"),
                           llvm::cl::init(kLoweringDefaults.tileCols)};
  Option<int64_t> maxM0{*this, "max-m0",
                        llvm::cl::desc("most activation rows of a matmul register tile"),
                        llvm::cl::init(kLoweringDefaults.maxM0)};
  Option<int64_t> gemvStreams{
      *this, "gemv-streams",
      llvm::cl::desc(
          "weight tiles a single-row matmul in records reads at "
          "once (1 to 4; 0: by the weight's storage and the target)"),
      llvm::cl::init(kLoweringDefaults.gemvStreams)};
  Option<int64_t> prefetchBytes{
      *this, "prefetch-bytes",
      llvm::cl::desc("how far ahead the matmul kernels prefetch their weights, "
                     "in bytes (0: not at all; -1: by the weight's format)"),
      llvm::cl::init(kLoweringDefaults.prefetchBytes)};
  Option<int64_t> leadPrefetchBytes{
      *this, "lead-prefetch-bytes",
      llvm::cl::desc("how far ahead a single-row matmul kernel's lead "
                     "prefetch runs, in bytes (0: none; -1: by the weight's "
                     "format)"),
      llvm::cl::init(kLoweringDefaults.leadPrefetchBytes)};
  Option<bool> fuse{*this, "fuse",
                    llvm::cl::desc("run --qnt-fuse (quantizes into producers, "
                                   "residual adds into matmuls)"),
                    llvm::cl::init(kLoweringDefaults.fuse)};
  Option<bool> profile{*this, "profile",
                       llvm::cl::desc("time each layer op (--qnt-profile)"),
                       llvm::cl::init(kLoweringDefaults.profile)};
  Option<bool> shareKernels{
      *this, "share-kernels",
      llvm::cl::desc("one kernel function per distinct matmul, called by "
                     "every layer (--qnt-share-kernels)"),
      llvm::cl::init(kLoweringDefaults.shareKernels)};
  Option<bool> outlineLayers{
      *this, "outline-layers",
      llvm::cl::desc("each layer of an entry point into a function of its own "
                     "(--qnt-outline-layers)"),
      llvm::cl::init(kLoweringDefaults.outlineLayers)};
  Option<bool> mergeLayers{
      *this, "merge-layers",
      llvm::cl::desc("the layer functions alike but for their weights' "
                     "offsets and cache layer merged into one "
                     "(--qnt-merge-functions)"),
      llvm::cl::init(kLoweringDefaults.mergeLayers)};
  Option<std::string> weightsFile{
      *this, "weights-file",
      llvm::cl::desc("move large constants into this file"), llvm::cl::init("")};
};
} // namespace

void qnt::registerPipelines() {
  PassPipelineRegistration<QuantizePipelineOptions>(
      "qnt-quantize",
      "Quantize a float qnt module for its #qnt.target: data tiling, weight "
      "quantization folded, activation quantization inserted",
      [](OpPassManager &pm, const QuantizePipelineOptions &o) {
        buildQuantizePipeline(pm, o.get());
      });
  PassPipelineRegistration<PipelineOptions>(
      "qnt-lower-to-llvm",
      "Lower quantized qnt IR to the LLVM dialect (kernels, buffers, threads)",
      [](OpPassManager &pm, const PipelineOptions &o) {
        LoweringOptions options;
        options.intrinsics = o.intrinsics;
        options.tileCols = o.tileCols;
        options.maxM0 = o.maxM0;
        options.gemvStreams = o.gemvStreams;
        options.prefetchBytes = o.prefetchBytes;
        options.leadPrefetchBytes = o.leadPrefetchBytes;
        options.fuse = o.fuse;
        options.profile = o.profile;
        options.shareKernels = o.shareKernels;
        options.outlineLayers = o.outlineLayers;
        options.mergeLayers = o.mergeLayers;
        options.weightsFile = o.weightsFile;
        buildLowerToLLVMPipeline(pm, options);
      });
}

void qnt::registerDependentDialects(DialectRegistry &registry) {
  registry.insert<QntDialect, x86::QntX86Dialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, LLVM::LLVMDialect, mlir::math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect, tensor::TensorDialect,
                  ub::UBDialect, vector::VectorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  cf::registerBufferizableOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
}

void qnt::registerPassesAndPipelines() {
  registerQntPasses();
  registerPipelines();
  // The upstream passes qnt-lower-to-llvm runs, so that any stage can be
  // rerun by hand or named in --mlir-print-ir-after.
  registerCanonicalizerPass();
  registerCSEPass();
  bufferization::registerOneShotBufferizePass();
  bufferization::registerBufferResultsToOutParamsPass();
  bufferization::registerDropEquivalentBufferResultsPass();
  bufferization::registerBufferizationPipelines();
  registerSCFForallToParallelLoop();
  registerLowerAffinePass();
  registerSCFToControlFlowPass();
  registerConvertVectorToLLVMPass();
  memref::registerExpandStridedMetadataPass();
  registerFinalizeMemRefToLLVMConversionPass();
  registerConvertMathToLLVMPass();
  registerArithToLLVMConversionPass();
  registerUBToLLVMConversionPass();
  registerConvertFuncToLLVMPass();
  registerConvertControlFlowToLLVMPass();
  registerReconcileUnrealizedCastsPass();
}
