//===- Passes.td - Every pass of the project ---------------*- tablegen -*-===//

#ifndef QNT_PASSES_TD
#define QNT_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldWeightQuantPass : Pass<"qnt-fold-weight-quant", "ModuleOp"> {
  let summary = "Quantize constant linear weights at compile time";
  let description = [{
    Every `qnt.linear` whose weight is a compile-time constant (a dense or
    `dense_resource` f32/f16/bf16 `arith.constant`) gets it quantized by the
    chosen scheme into a `qnt.constant`, packed in the layout the kernel reads
    (row-major int8 data, row-major scales). A weight that arrives already
    quantized, `qnt.dequantize` of a `qnt.constant`, is repacked to the
    requested storage without requantizing. A weight whose reduction size
    the block does not divide is quantized per channel instead. Each weight
    attribute is quantized once, however many linears read it; `keep-float`
    leaves chosen layers in float.

    Before:
    ```mlir
    %w = arith.constant dense<...> : tensor<64x256xf32>
    %y = qnt.linear %x, %w : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
    ```
    After (default Q8_0):
    ```mlir
    %w = qnt.constant data(dense_resource<qnt_w> : tensor<64x256xi8>)
                      scales(dense_resource<qnt_w_scales> : tensor<64x8xf16>)
         : !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>>
    %y = qnt.linear %x, %w : tensor<?x256xf32>, !qnt.tensor<64x256xf32, #q8_0> -> tensor<?x64xf32>
    ```

    With `weights-file`, the quantized weights are streamed into that file one
    at a time, as they are quantized, and each becomes `qnt.pack` of views of
    a new weights argument: no quantized copy of the model stays in memory.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect"];
  let options = [
    Option<"granularity", "granularity", "std::string", /*default=*/"\"per-block\"",
           "per-block (GGML Q8_0 blocks of `block`) or per-channel (one scale per output row)">,
    Option<"block", "block", "int64_t", /*default=*/"32",
           "values per block along K for per-block">,
    Option<"storage", "storage", "std::string", /*default=*/"\"i8\"",
           "i8, or u8 (q + 128, for u8 x s8 VNNI dot products)">,
    Option<"scale", "scale", "std::string", /*default=*/"\"f16\"",
           "element type of the stored scales: f16 or f32">,
    Option<"rounding", "rounding", "std::string", /*default=*/"\"half-away\"",
           "half-away (GGML's roundf) or half-even">,
    ListOption<"keepFloat", "keep-float", "std::string",
               "layers kept in float: a linear is skipped when one of these "
               "is a prefix of its name or of its weight's name (name "
               "locations; the GGUF importer names linears 'blk.N.attn_q', "
               "..., 'output')">,
    Option<"weightsFile", "weights-file", "std::string", /*default=*/"",
           "stream the quantized weights into this file, one at a time, and "
           "read them through views of a new weights argument (qnt.pack); "
           "in memory (qnt.constant) otherwise">
  ];
}

def InsertActQuantPass : Pass<"qnt-insert-act-quant", "ModuleOp"> {
  let summary = "Quantize activations at run time and fuse linear into qnt.matmul";
  let description = [{
    The float activation of every `qnt.linear` with a quantized weight gets a
    dynamic `qnt.quantize`, and the linear becomes `qnt.matmul`. Linears that
    read the same activation with the same scheme share one quantize (q/k/v,
    gate/up). The activation keeps per-group sums when the weight is stored
    `u8_offset128`, for the offset correction. A per-block activation takes
    the weight's block size.

    Before:
    ```mlir
    %y = qnt.linear %x, %w : tensor<?x256xf32>, !qnt.tensor<64x256xf32, #q8_0> -> tensor<?x64xf32>
    ```
    After (default per-block):
    ```mlir
    %xq = qnt.quantize %x : tensor<?x256xf32> -> !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, scale = f32>>
    %y = qnt.matmul %xq, %w : !qnt.tensor<?x256xf32, #scheme>, !qnt.tensor<64x256xf32, #q8_0> -> tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
  let options = [
    Option<"granularity", "granularity", "std::string", /*default=*/"\"per-block\"",
           "per-block (one scale per block of the weight's size) or per-token (one per row)">,
    Option<"scale", "scale", "std::string", /*default=*/"\"f32\"",
           "element type of the activation scales: f32 or f16">,
    Option<"rounding", "rounding", "std::string", /*default=*/"\"half-away\"",
           "half-away or half-even">
  ];
}

def LowerToVectorPass : Pass<"qnt-lower-to-vector", "ModuleOp"> {
  let summary = "Lower qnt ops to vectorized scf/vector loops on tensors";
  let description = [{
    Expands every `!qnt.tensor` into its component tensors (data, scales,
    sums: a 1:N type conversion, function signatures included) and rewrites
    `qnt.quantize`, `qnt.dequantize`, `qnt.matmul`, float `qnt.linear`,
    `qnt.constant`, the transformer ops (`qnt.embedding`, `qnt.rms_norm`,
    `qnt.rope`, `qnt.attention` with an online softmax, `qnt.silu_mul`) and
    elementwise `arith.addf` on tensors into `scf.forall`/`scf.for` loops over
    `vector` ops, ready for one-shot bufferization. The matmul is one loop nest per tile of output
    columns: a 32-wide integer dot per group (the `vpdpbusd` intrinsic when
    `vnni` is set and the weight is `u8_offset128`, else extend-multiply-
    reduce), the offset correction, the scale and an f32 accumulator, the
    output written once.

    Before:
    ```mlir
    %y = qnt.matmul %xq, %w : !qnt.tensor<?x256xf32, #act>, !qnt.tensor<64x256xf32, #q8_0> -> tensor<?x64xf32>
    ```
    After (sketch):
    ```mlir
    %y = scf.forall (%t) in (%tiles) shared_outs(%o = %init) -> (tensor<?x64xf32>) {
      scf.for %m ... { scf.for %n ... { scf.for %g ... {
        %a = vector.transfer_read %xdata[%m, %k] : tensor<?x256xi8>, vector<32xi8>
        ... vector.reduction <add> ... arith.mulf ... arith.addf
      } } }
      scf.forall.in_parallel { tensor.parallel_insert_slice ... }
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect"
  ];
  let options = [
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "use vpdpbusd (AVX512-VNNI with VL, or AVX-VNNI) for u8 x s8 dots">,
    Option<"tileCols", "tile-cols", "int64_t", /*default=*/"16",
           "output columns per parallel task">
  ];
}

def ExternalizeWeightsPass : Pass<"qnt-externalize-weights", "ModuleOp"> {
  let summary = "Move constant tensors into a weights file the runtime maps";
  let description = [{
    Every `arith.constant` tensor of at least `min-bytes` bytes in a function
    is written to `file` (each 64-byte aligned; an attribute used several
    times is written once) and replaced by a view of a new last argument
    `%weights: memref<?xi8>` (marked `qnt.weights`), which the caller points
    at the mapped file. The compiled code then holds no weights, and the
    runtime maps them at load. Runs on tensors, before bufferization.

    Before:
    ```mlir
    func.func @f(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
      %w = arith.constant dense_resource<blk.0.attn_q> : tensor<64x64xi8>
      ...
    ```
    After:
    ```mlir
    func.func @f(%x: tensor<?x64xf32>, %weights: memref<?xi8> {qnt.weights}) -> tensor<?x64xf32> {
      %c0 = arith.constant 0 : index
      %view = memref.view %weights[%c0][] : memref<?xi8> to memref<64x64xi8>
      %w = bufferization.to_tensor %view restrict : memref<64x64xi8> to tensor<64x64xi8>
      ...
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"", "the weights file to write">,
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"64",
           "smaller constants stay in the code">,
    Option<"append", "append", "bool", /*default=*/"false",
           "append to the file (after the quantized weights the fold pass "
           "streamed into it) instead of truncating it">
  ];
}

def LowerDpbusdPass : Pass<"qnt-lower-dpbusd", "ModuleOp"> {
  let summary = "Lower qnt.dpbusd to the x86 VNNI intrinsic or to vector arithmetic";
  let description = [{
    With `vnni` (the default), a `qnt.dpbusd` of 4, 8 or 16 lanes becomes
    `llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.{128,256,512}"` (the 128-
    and 256-bit forms are AVX512-VNNI with VL, or AVX-VNNI). Otherwise, or
    for other lengths, it becomes zero/sign extensions, a multiply and four
    strided shuffles added to the accumulator. Runs after bufferization: the
    intrinsic call has no declared memory effects, which buffer deallocation
    does not accept.

    Before:
    ```mlir
    %r = qnt.dpbusd %acc, %w, %x : vector<32xi8> -> vector<8xi32>
    ```
    After (vnni):
    ```mlir
    %r = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%acc, %w, %x) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"vnni", "vnni", "bool", /*default=*/"true",
           "use the VNNI intrinsic (the target must have it)">
  ];
}

def OutlineParallelPass : Pass<"qnt-outline-parallel", "ModuleOp"> {
  let summary = "Run outermost scf.parallel loops on the runtime's thread pool";
  let description = [{
    Moves the body of every outermost one-dimensional `scf.parallel` into a
    function `void body(void *ctx, int64_t begin, int64_t end)` that runs
    iterations [begin, end), and replaces the loop by a call to the runtime's
    `qnt_rt_parallel_for(body, ctx, 0, trip_count)`. The values the body
    captures travel in a stack struct `ctx` in their LLVM-lowered form (memref
    descriptors, i64 for index), bridged with `unrealized_conversion_cast`
    that the LLVM conversions reconcile.

    Before:
    ```mlir
    scf.parallel (%i) = (%c0) to (%n) step (%c1) { memref.store %v, %buf[%i] : memref<?xf32> }
    ```
    After:
    ```mlir
    func.func private @f_par0(%ctx: !llvm.ptr, %begin: i64, %end: i64) { ... scf.for ... }
    %ctx = llvm.alloca ... ; llvm.store of each captured value
    func.call @qnt_rt_parallel_for(%fn, %ctx, %c0_i64, %trips) : (!llvm.ptr, !llvm.ptr, i64, i64) -> ()
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

#endif // QNT_PASSES_TD
