//===- Passes.td - Every pass of the project ---------------*- tablegen -*-===//

#ifndef QNT_PASSES_TD
#define QNT_PASSES_TD

include "mlir/Pass/PassBase.td"

def ApplyCalibrationPass : Pass<"qnt-apply-calibration", "ModuleOp"> {
  let summary = "Apply a calibration plan: static activation scales and asymmetric activations, by linear name";
  let description = [{
    What calibration decided (quant-compile's `--act-mode=static` and
    `--act-asymmetric`), applied to the `qnt.linear`s it names (their name
    locations: the GGUF importer names them `blk.N.attn_q`, ..., `output`):
    `act_scales` (a `tensor<1 x G x f32>` of the listed scales, G = 1 for a
    per-tensor scale) and `act_asymmetric`. The plan is JSON:

    ```json
    {"linears": {"blk.0.attn_q": {"act_scales": [0.05, 0.04]},
                 "blk.0.ffn_down": {"asymmetric": true}}}
    ```

    quant-compile hands its plan to the pass in memory; `plan=FILE` reads
    one. A plan naming no linear of the module, or malformed, is an error;
    the scales are checked by `qnt.linear`'s verifier.
  }];
  let dependentDialects = ["::qnt::QntDialect"];
  let options = [
    Option<"planFile", "plan", "std::string", /*default=*/"",
           "the JSON plan to apply (else the one the pass was created with)">
  ];
}

def DataTilingPass : Pass<"qnt-data-tiling", "ModuleOp"> {
  let summary = "Choose the data-tiled layout of every quantized weight for the target";
  let description = [{
    The first step of the kernels' data tiling. Every `qnt.linear` whose
    weight is a compile-time constant (the weights `--qnt-fold-weight-quant`
    quantizes) gets a `weight_layout`: tiles of `n0` output channels by 4
    reduction bytes, the reduction padded to whole blocks of 32. `n0` is two
    vectors of 32-bit lanes of the module's `qnt.target` (32 for 512-bit
    AVX-512, 16 for 256-bit AVX2 / AVX-VNNI, 8 for 128-bit generic code): the
    width of the micro-kernel's register tile, so that one vector load feeds
    a `vpdpbusd` for 16 (or 8, 4) channels at once and a weight tile is one
    contiguous stream. The fold pass then writes the weight in that layout;
    `--qnt-tile-matmul` chooses the rows of the register tile.

    Before:
    ```mlir
    module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>} {
      %y = qnt.linear %x, %w : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
    ```
    After:
    ```mlir
      %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 32, k0 = 4, pad = 32>} : ...
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect"];
  let options = [
    Option<"n0", "n0", "int64_t", /*default=*/"0",
           "output channels per tile (0: two vectors of the target's width)">,
    Option<"records", "records", "bool", /*default=*/"true",
           "store a per-block weight's components group by group in one "
           "tensor of records (#qnt.layout's records), one stream for the "
           "kernel to read">
  ];
}

def ExpandGgmlPass : Pass<"qnt-expand-ggml", "ModuleOp"> {
  let summary = "Turn the remaining GGML block constants into f32 constants";
  let description = [{
    Every `qnt.ggml_constant` still in the module (a weight not quantized by
    `--qnt-fold-weight-quant`: `--no-quantize`, `keep-float`, a norm or table
    in a block format) becomes an `arith.constant` of the f32 values its
    blocks dequantize to, exactly as ggml's `dequantize_row_*`. The values of
    one tensor are computed once however many ops read it.

    ```mlir
    %w = qnt.ggml_constant q4_0 dense<...> : tensor<18xi8> : tensor<1x32xf32>
    // becomes
    %w = arith.constant dense_resource<w> : tensor<1x32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def FuseLinearsPass : Pass<"qnt-fuse-linears", "ModuleOp"> {
  let summary = "One linear for the linears that read the same input";
  let description = [{
    Horizontal fusion: the `qnt.linear` ops of a block that read the same
    input, with constant weights of one kind (the same GGML block format, or
    float constants of one element type; the same K) and the same
    attributes, become one linear over their weights stacked row after row
    (a GGML tensor is its rows' blocks one after another, so the stacked
    weight is their bytes one after another), and each former result the
    slice of its columns. A Transformer block's q, k and v projections (when
    their formats agree) and its gate and up projections then run as one
    kernel each: one parallel loop instead of two or three, the input
    quantized and read once, and k and v, too small to keep two threads
    streaming on their own, ride with q. Every output element is computed
    as before. The fused linear is named after its parts
    (`blk.0.ffn_gate+ffn_up`), its weight `<name>.weight`. Linears matched
    by `keep-float` stay apart. Runs before `--qnt-data-tiling`.

    Before:
    ```mlir
    %g = qnt.linear %x, %wg : tensor<?x64xf32>, tensor<172x64xf32> -> tensor<?x172xf32> loc("blk.0.ffn_gate")
    %u = qnt.linear %x, %wu : tensor<?x64xf32>, tensor<172x64xf32> -> tensor<?x172xf32> loc("blk.0.ffn_up")
    ```
    After:
    ```mlir
    %w = qnt.ggml_constant q4_0 dense_resource<"blk.0.ffn_gate+ffn_up.weight"> : tensor<12384xi8> : tensor<344x64xf32>
    %y = qnt.linear %x, %w : tensor<?x64xf32>, tensor<344x64xf32> -> tensor<?x344xf32> loc("blk.0.ffn_gate+ffn_up")
    %g = tensor.extract_slice %y[0, 0] [%m, 172] [1, 1] : tensor<?x344xf32> to tensor<?x172xf32>
    %u = tensor.extract_slice %y[0, 172] [%m, 172] [1, 1] : tensor<?x344xf32> to tensor<?x172xf32>
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    ListOption<"keepFloat", "keep-float", "std::string",
               "linears to leave apart, by name prefix (as the fold pass's)">
  ];
}

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
    at a time, as they are quantized (a new weights file with its index:
    `qnt/weights.h`), and each becomes `qnt.pack` of the file's tensors by
    name (`qnt.weight "blk.0.attn_q.weight"`, `"..._scales"`): no quantized
    copy of the model stays in memory. `--qnt-externalize-weights` adds the
    rest to the file and binds the names to offsets.

    A linear with a `weight_layout` (`--qnt-data-tiling`) gets its weight in
    that layout: the reduction zero-padded to whole blocks (a padded block
    changes no dot product; no per-channel fallback then) and the data and
    scales in tiles of `n0` channels.

    4-bit weights (`bits`): a GGML Q4_0, Q4_1 or Q4_K weight
    (`qnt.ggml_constant`) with a tiled layout keeps its nibbles and scales
    (and Q4_1/Q4_K's minimums, per block of 32: `storage = u4, mins`),
    repacked into the layout without requantizing (`bits = auto` or `4`);
    with `bits = 4` float weights are quantized by Q4_0's rule (per block of
    `block`) too, or by Q4_1's with `mins`. A GGML Q6_K weight with a tiled
    layout keeps its 6 bits (`bits = 6`, `u6_offset32`, int8 scales per 16
    and an fp16 factor per 256) unless `bits = 8`.
    4-bit and 6-bit data exist only in tiles: a linear without a tiled
    layout keeps 8-bit weights.
    ```mlir
    %w = qnt.ggml_constant q4_0 dense_resource<blk> : tensor<9216xi8> : tensor<64x256xf32>
    %y = qnt.linear %x, %w {weight_layout = #qnt.layout<n0 = 16, k0 = 4, pad = 32>} ...
    // becomes
    %w = qnt.constant data(dense_resource<...> : tensor<4x32x16x4xi8>) scales(... : tensor<4x8x16xf16>)
         : !qnt.tensor<64x256xf32, #qnt.scheme<bits = 4, granularity = per_block, storage = u4_offset8>,
                       #qnt.layout<n0 = 16, k0 = 4, pad = 32>>
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect"];
  let options = [
    Option<"granularity", "granularity", "::qnt::Granularity",
           /*default=*/"::qnt::kQuantizeDefaults.weightGranularity",
           "which weights share a scale",
           [{::qnt::weightGranularityValues()}]>,
    Option<"block", "block", "int64_t",
           /*default=*/"::qnt::kQuantizeDefaults.weightBlock",
           "values per block along K for per-block">,
    Option<"bits", "bits", "::qnt::WeightBits",
           /*default=*/"::qnt::kQuantizeDefaults.weightBits",
           "which weights become 4-bit",
           [{::qnt::weightBitsValues()}]>,
    Option<"mins", "mins", "bool",
           /*default=*/"::qnt::kQuantizeDefaults.weightMins",
           "with bits=4: float weights get a minimum per block beside the "
           "scale (Q4_1's rule: x = d * u + m) instead of Q4_0's symmetric grid">,
    Option<"storage", "storage", "::qnt::WeightStorage",
           /*default=*/"::qnt::kQuantizeDefaults.weightStorage",
           "how 8-bit weights are stored; 4-bit ones are u4_offset8 (u4 with "
           "mins, u4_grid for IQ4_NL)",
           [{::qnt::weightStorageValues()}]>,
    Option<"scale", "scale", "::qnt::ScaleType",
           /*default=*/"::qnt::kQuantizeDefaults.weightScale",
           "element type of the stored scales",
           [{::qnt::scaleTypeValues()}]>,
    Option<"rounding", "rounding", "::qnt::Rounding",
           /*default=*/"::qnt::kQuantizeDefaults.rounding",
           "rounding of x / scale",
           [{::qnt::roundingValues()}]>,
    ListOption<"keepFloat", "keep-float", "std::string",
               "layers kept in float: a linear is skipped when one of these "
               "is a prefix of its name or of its weight's name (name "
               "locations; the GGUF importer names linears 'blk.N.attn_q', "
               "..., 'output')">,
    Option<"progress", "progress", "bool", /*default=*/"false",
           "a remark at each linear as its weight is folded: 'folded weight "
           "N of M, B bytes stored' (quant-compile's progress)">,
    Option<"weightsFile", "weights-file", "std::string", /*default=*/"",
           "stream the quantized weights into this new weights file, one at "
           "a time, and name them (qnt.pack of qnt.weight); in memory "
           "(qnt.constant) otherwise">
  ];
}

def InsertActQuantPass : Pass<"qnt-insert-act-quant", "ModuleOp"> {
  let summary = "Quantize activations at run time and fuse linear into qnt.matmul";
  let description = [{
    The float activation of every `qnt.linear` with a quantized weight gets a
    dynamic `qnt.quantize`, and the linear becomes `qnt.matmul`. Linears that
    read the same activation with the same scheme share one quantize (q/k/v,
    gate/up). The activation keeps per-group sums when the weight is stored
    `u8_offset128`, 4-bit (`u4_offset8`, `u4` with mins) or 6-bit
    (`u6_offset32`), for the offset or minimum correction. A per-block
    activation takes the weight's block size (16 against a 6-bit weight).
    Against a K-quant weight (Q4_K, Q6_K: two-level scales), where the
    micro-kernel is AVX2's `vpmaddubsw` (`super-block-scales=auto`; `on`
    everywhere, `off` never), it takes one scale per super-block of 256 and
    keeps its sums per weight block (`sums_block = 32`, 16 for Q6_K; GGML's
    Q8_K), so that the kernel scales its integer dots by the weight's byte
    scales and converts to float once per super-block.

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
  let dependentDialects = ["::qnt::QntDialect"];
  let options = [
    Option<"granularity", "granularity", "::qnt::Granularity",
           /*default=*/"::qnt::kQuantizeDefaults.actGranularity",
           "which activation values share a scale",
           [{::qnt::actGranularityValues()}]>,
    Option<"scale", "scale", "::qnt::ScaleType",
           /*default=*/"::qnt::kQuantizeDefaults.actScale",
           "element type of the activation scales",
           [{::qnt::scaleTypeValues()}]>,
    Option<"rounding", "rounding", "::qnt::Rounding",
           /*default=*/"::qnt::kQuantizeDefaults.rounding",
           "rounding of x / scale",
           [{::qnt::roundingValues()}]>,
    Option<"superBlockScales", "super-block-scales", "::qnt::SuperBlockScales",
           /*default=*/"::qnt::kQuantizeDefaults.actSuperBlocks",
           "per-block activations against K-quant weights (Q4_K, Q6_K): one "
           "scale per super-block, sums per block (GGML's Q8_K)",
           [{::qnt::superBlockScalesValues()}]>
  ];
}

def FusePass : Pass<"qnt-fuse", "ModuleOp"> {
  let summary = "Fuse activation quantization into its producer and residual adds into matmuls";
  let description = [{
    Saves a float tensor's trip through memory twice per Transformer block:
    a `qnt.quantize` of a `qnt.rms_norm` or `qnt.silu_mul` result becomes
    that op with a `!qnt.tensor` result (it quantizes each row as it
    computes it; every use of the float result must be a quantize to one
    type), and `arith.addf` of a residual and a `qnt.matmul` used only there
    becomes `qnt.matmul ... acc %residual`, added in the matmul's epilogue.
    The numbers do not change. Runs after `--qnt-insert-act-quant`.

    Before:
    ```mlir
    %h = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    %hq = qnt.quantize %h : tensor<?x64xf32> -> !qnt.tensor<?x64xf32, #act>
    %y = qnt.matmul %hq, %w : !qnt.tensor<?x64xf32, #act>, !qnt.tensor<64x64xf32, #q8_0, #tiled> -> tensor<?x64xf32>
    %z = arith.addf %x, %y : tensor<?x64xf32>
    ```
    After:
    ```mlir
    %hq = qnt.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> !qnt.tensor<?x64xf32, #act>
    %z = qnt.matmul %hq, %w acc %x : !qnt.tensor<?x64xf32, #act>, !qnt.tensor<64x64xf32, #q8_0, #tiled>, tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect", "::mlir::arith::ArithDialect"];
  let options = [
    Option<"quantize", "quantize", "bool", /*default=*/"true",
           "fuse quantizes into rms_norm and silu_mul">,
    Option<"residual", "residual", "bool", /*default=*/"true",
           "fuse residual adds into matmul epilogues">
  ];
}

def ProfilePass : Pass<"qnt-profile", "ModuleOp"> {
  let summary = "Time each layer op at run time (quant-compile --profile)";
  let description = [{
    Brackets every qnt op and tensor `arith.addf` of each function body with
    `func.call @qnt_rt_profile_begin(%id)` / `@qnt_rt_profile_end(%id)`
    (runtime/include/qnt/runtime.h), and writes the public constant
    `memref.global @qnt_profile_names`: for each id, "function layer op"
    (the layer from the op's name location), NUL-separated, an empty name
    last. `quant-run --profile` prints where the time goes from them. Runs
    after `--qnt-fuse`, on the ops that become kernels.

    ```mlir
    %c3 = arith.constant 3 : i64
    func.call @qnt_rt_profile_begin(%c3) : (i64) -> ()
    %y = qnt.matmul %xq, %w : ... loc("blk.0.attn_q")
    func.call @qnt_rt_profile_end(%c3) : (i64) -> ()
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def OutlineLayersPass : Pass<"qnt-outline-layers", "ModuleOp"> {
  let summary = "Each layer of an entry point into a function of its own";
  let description = [{
    The ops of layer N of a public function (those located at
    `blk.N.*`, and any unlocated op between them) move into a private
    function `@<function>_blk<N>`, called where they were: its arguments are
    the values the layer reads from outside (the residual stream, the KV
    cache, positions, the weights argument), its results those read after
    it; constants and `tensor.empty` are rematerialized inside rather than
    passed. One-shot bufferization then analyses one layer at a time (its
    alias sets, the residual stream and the cache, no longer span every
    layer: its cost stops growing with the square of the depth), and each
    layer's scratch buffers are freed when it returns. A function whose
    layers are not contiguous ranges is left as it is. The numbers do not
    change.

    Before:
    ```mlir
    func.func @forward(...) {
      %h = qnt.rms_norm %x, ... loc("blk.0.attn_norm")
      ...
      %r = call @qnt_matmul_4(..., %x1) loc("blk.0.ffn_down")
      %h1 = qnt.rms_norm %r, ... loc("blk.1.attn_norm")
    ```
    After:
    ```mlir
      %r, %k, %v = call @forward_blk0(%x, %kcache, %vcache, %pos, %weights)
      ...
    func.func private @forward_blk0(...) { ... }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MergeFunctionsPass : Pass<"qnt-merge-functions", "ModuleOp"> {
  let summary = "One function for private functions alike but for integer constants";
  let description = [{
    The layer functions of --qnt-outline-layers differ only in where their
    weights are (the byte offsets of their `memref.view`s of the weights
    file) and in which layer of the KV cache they write (a static offset of
    the cache's `tensor.insert_slice`/`extract_slice`). Private functions
    called only by `func.call` that are op for op the same (names, types,
    operands, regions, attributes) but for the values of integer constants
    and static slice offsets are merged into the first of them: the values
    that differ become its trailing arguments (index or integer), and each
    call passes its function's own as constants. LLVM then compiles a
    layer once, whatever the depth. The numbers do not change.

    Before:
    ```mlir
    func.func private @f_blk1(%w: memref<?xi8>, %c: tensor<4x8x16xf32>, ...) {
      %c64 = arith.constant 64 : index
      %v = memref.view %w[%c64][] : memref<?xi8> to memref<16x16xi8>
      %u = tensor.insert_slice %r into %c[1, %pos, 0] [1, 1, 16] [1, 1, 1] ...
    func.func private @f_blk2(...)   // the same with 320 and [2, %pos, 0]
    ```
    After:
    ```mlir
    func.func private @f_blk1(%w: memref<?xi8>, %c: tensor<4x8x16xf32>, ...,
                              %off: index, %layer: index) {
      %v = memref.view %w[%off][] : memref<?xi8> to memref<16x16xi8>
      %u = tensor.insert_slice %r into %c[%layer, %pos, 0] [1, 1, 16] [1, 1, 1] ...
    ```
    and `call @f_blk2(...)` becomes `call @f_blk1(..., %c320, %c2)`. Values
    that are another's plus the same amount in every function (the offsets
    of one layer's weights; the layer an insert and an extract use) share
    its argument, plus a constant. At most `max-arguments` values may differ
    within a group; past that a function starts a group of its own.
  }];
  let options = [
    Option<"maxArguments", "max-arguments", "int64_t", /*default=*/"64",
           "the most values that may differ within a group">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ShareKernelsPass : Pass<"qnt-share-kernels", "ModuleOp"> {
  let summary = "One kernel function per distinct matmul, called by every layer";
  let description = [{
    A model's layers repeat the same matmuls on different weights. Each
    `qnt.matmul` becomes a `func.call` of a private function holding it, one
    function per distinct signature (operand and result types: shapes,
    schemes, layouts, a residual or not), so the kernels are tiled, lowered
    and compiled by LLVM once per shape rather than once per call site. The
    weights are the calls' arguments (views of the weights file, or
    constants), and a residual accumulated in place stays in place. The
    numbers do not change.

    Before:
    ```mlir
    %y0 = qnt.matmul %x0, %w0 : !qnt.tensor<?x64xf32, #act>, !qnt.tensor<64x64xf32, #w, #tiled> -> tensor<?x64xf32>
    %y1 = qnt.matmul %x1, %w1 : !qnt.tensor<?x64xf32, #act>, !qnt.tensor<64x64xf32, #w, #tiled> -> tensor<?x64xf32>
    ```
    After:
    ```mlir
    %y0 = call @qnt_matmul_0(%x0, %w0) : (...) -> tensor<?x64xf32>
    %y1 = call @qnt_matmul_0(%x1, %w1) : (...) -> tensor<?x64xf32>
    func.func private @qnt_matmul_0(%x: !qnt.tensor<...>, %w: !qnt.tensor<...>) -> tensor<?x64xf32> {
      %y = qnt.matmul %x, %w : ...
      return %y : tensor<?x64xf32>
    }
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect", "::mlir::func::FuncDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def TileMatmulPass : Pass<"qnt-tile-matmul", "ModuleOp"> {
  let summary = "Cut data-tiled qnt.matmul into register tiles of the micro-kernel";
  let description = [{
    Each `qnt.matmul` whose weight is in a tiled layout (`--qnt-data-tiling`)
    becomes a parallel loop over the weight's tiles of n0 channels (one
    contiguous stream each: a thread's share of the weights is read once,
    and, in prefill, stays in L2 while every row passes over it), and in
    each, a loop over the activation rows in steps of m0, then one row at a
    time for the rest. The body is `qnt.matmul_tile` on slices of the
    operands' components: the m0 x n0 register tile `--qnt-lower-microkernel`
    expands. The micro-kernel (its dot instruction, vector lanes, m0) is the
    one `passes/MicroKernel.h` chooses for the module's `qnt.target` and the
    weight's storage. A matmul with `acc` starts its tiles from it.

    A matmul of one activation row (decode's GEMV) whose weight is in
    records reads `gemv-streams` tiles at once, T / streams apart (when the
    streams divide its T tiles): iteration p of the parallel loop is one
    `qnt.matmul_tile` on tiles p, p + T / streams, ..., each written to its
    own columns. A thread's contiguous share of iterations is then that
    many long runs of the weight rather than one (the outputs are the
    same, bit for bit). The output [1, N] is viewed as [1, S, N / S] and
    each iteration writes one strided slice of it, which bufferizes in
    place; so only weights whose tiles are all whole take streams. The
    default (0) chooses by storage and target (`defaultGemvStreams` in
    `passes/MicroKernel.h`): two on the x86 targets, one for Q4_K's storage
    (u4 with super-blocks), for Q6_K's (u6_offset32) and IQ4_NL's
    (u4_grid) on 16-register targets, and for generic code, as measured on
    a 2-core Zen 5 (README, "Weight streams").

    Before:
    ```mlir
    %y = qnt.matmul %xq, %wq : !qnt.tensor<?x256xf32, #act, #qnt.layout<pad = 32>>,
         !qnt.tensor<64x256xf32, #w, #qnt.layout<n0 = 32, k0 = 4, pad = 32>> -> tensor<?x64xf32>
    ```
    After (sketch):
    ```mlir
    %xd, %xs, %xsum = qnt.unpack %xq ...
    %wd, %ws = qnt.unpack %wq ...
    %y = scf.forall (%t) in (2) shared_outs(%o = %empty) -> (tensor<?x64xf32>) {
      %c = scf.for %m = %c0 to %full step %c4 iter_args(%acc = %cols) -> (tensor<?x?xf32>) {
        %r = qnt.matmul_tile %a, %s sums %sum, %w, %ws, %init {dot = #qnt<dot_kind vnni>, ...}
        ...
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect", "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"maxM0", "max-m0", "int64_t",
           /*default=*/"::qnt::kLoweringDefaults.maxM0",
           "largest number of activation rows in a register tile">,
    Option<"gemvStreams", "gemv-streams", "int64_t",
           /*default=*/"::qnt::kLoweringDefaults.gemvStreams",
           "weight tiles a single-row matmul in records reads at once, "
           "tiles / streams apart (1 to 4; 0: by storage and target, see "
           "defaultGemvStreams)">
  ];
}

def LowerMicroKernelPass : Pass<"qnt-lower-microkernel", "ModuleOp"> {
  let summary = "Expand qnt.matmul_tile into unrolled vector code";
  let description = [{
    The register tile as straight-line vector code in a loop over the
    reduction's groups. Per group, m0 x (n0 / lanes) i32 accumulators start at
    the offset correction (-128 * the activation row's sum, against a
    u8_offset128 weight; -8 or -32 * it against a u4_offset8 or u6_offset32
    one; 0 otherwise) and
    take, for each 4-byte step, one vector of weights per n0 / lanes channels
    and one broadcast of 4 activation bytes per row, combined by the tile's
    dot (`qnt_x86.dpbusd`, `qnt_x86.dpbssd`, or their generic forms). A 4-bit tile
    row holds two steps: the low nibbles (AND 0x0F) and the high ones (shift
    by 4); on AVX2 their u8 x s8 pairs add up in i16 over a group's 8 steps
    (`qnt_x86.dpbusw`) and are widened once (`qnt_x86.widen_pairs`). A 6-bit tile
    holds four steps in three rows, a step's low 4 bits from a nibble row
    and its high 2 from the third row (shifted into bits 4-5, AND 0x30, OR);
    on AVX2 its pairs are widened every two steps. Then

      acc_f32[m] += float(acc_i32[m]) * (scale_a[m] * scales_w)
                    (+ scale_a[m] * float(sum_a[m]) * mins_w, with mins)

    once per group in registers. The f32 accumulators are written once, to
    the output tile (masked at the edge of the matrix).

    The weight's streams are prefetched `prefetch-bytes` ahead of their reads
    (`memref.prefetch` through a read-only view of the tile,
    `bufferization.to_buffer read_only`): per iteration over the steps, one
    per 64-byte line of the data rows it reads, that far past them (rounded
    up to rows: the tiles of a weight follow one another, so past a tile's
    end is the next tile's start); per group, one per line of each
    per-group component (scales, mins, sums), as many groups ahead. A weight
    in records is one stream: per group, one per line of the group's share
    of its record, in the record as many bytes ahead (rounded to the
    nearest record, one at least). The default distance (-1) is the
    weight's format's (`defaultPrefetchBytes` in
    `include/qnt/Passes/Options.h`): 2048 bytes, 6144 for the K-quants
    (super-blocks). LLVM's
    LoopDataPrefetch leaves a loop that prefetches alone, so these are the
    kernel's only prefetches; the activations, in the caches, get none.

    A single-row tile (m0 = 1: a GEMV, every weight byte read once from
    DRAM) also has a lead prefetch: once every `kLeadPrefetchPeriod` (2048)
    bytes of each stream (every max(1, 2048 / B) groups, B a group's bytes
    of the stream), under an `scf.if`, one line `lead-prefetch-bytes` ahead
    (rounded up to groups; the group's share of its record there, or its
    first data row), with locality 2 (into L2). The default (-1) is the
    format's (`defaultLeadPrefetchBytes`): 16384 bytes, none for the
    K-quants. The hardware prefetcher
    follows a stream within a 4 KiB page; this reaches the next pages
    before the reads do (README, "The lead prefetch"). Not with
    `prefetch-bytes` 0; not for m0 > 1, whose weights are read once per row
    tile and which measured slower with it.

    Before:
    ```mlir
    %t = qnt.matmul_tile %ad, %as sums %asum, %wd, %ws, %init {dot = #qnt<dot_kind vnni>, group = 32, lanes = 16, rhs_storage = #qnt<storage u8_offset128>} : ...
    ```
    After (sketch):
    ```mlir
    scf.for %g = %c0 to %groups step %c1 iter_args(%f0 = %zero, ...) {
      %w0 = vector.transfer_read %wd[%k, %c0] ... : tensor<64x128xi8>, vector<64xi8>
      %a0 = vector.broadcast ... : i32 to vector<16xi32>
      %i0 = qnt_x86.dpbusd %base0, %w0, %a0b : vector<64xi8> -> vector<16xi32>
      ...
      %f0n = vector.fma %i0f, %scale0, %f0 : vector<16xf32>
    ```
  }];
  let dependentDialects = ["::qnt::x86::QntX86Dialect", "::qnt::QntDialect", "::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"prefetchBytes", "prefetch-bytes", "int64_t",
           /*default=*/"::qnt::kLoweringDefaults.prefetchBytes",
           "how far ahead, in bytes of each weight stream, to prefetch it "
           "(0: not at all; -1: by the weight's format, see "
           "defaultPrefetchBytes)">,
    Option<"leadPrefetchBytes", "lead-prefetch-bytes", "int64_t",
           /*default=*/"::qnt::kLoweringDefaults.leadPrefetchBytes",
           "how far ahead, in bytes of each weight stream, a single-row "
           "tile's lead prefetch runs (one line every kLeadPrefetchPeriod "
           "bytes; 0: none; -1: by the weight's format, see "
           "defaultLeadPrefetchBytes)">
  ];
}

def LowerToVectorPass : Pass<"qnt-lower-to-vector", "ModuleOp"> {
  let summary = "Lower qnt ops to vectorized scf/vector loops on tensors";
  let description = [{
    Expands every `!qnt.tensor` into its component tensors (data, scales,
    sums: a 1:N type conversion, function signatures included) and rewrites,
    family by family, `qnt.quantize` (zeros in a padded layout's columns),
    `qnt.dequantize`, `qnt.constant`, `qnt.pack`, `qnt.unpack`, float
    `qnt.linear`, the transformer ops (`qnt.embedding`, `qnt.rms_norm` and
    `qnt.silu_mul`, quantizing as they compute when their result is a
    `!qnt.tensor`, `qnt.rope`, `qnt.attention` with an online softmax) and
    elementwise `arith.addf` on tensors into `scf.forall`/`scf.for` loops over
    `vector` ops, ready for one-shot bufferization. Matmuls must have been cut
    into micro-kernels already (`--qnt-tile-matmul`,
    `--qnt-lower-microkernel`); `qnt_x86.dpbusd` and `qnt_x86.dpbssd` stay.

    Before:
    ```mlir
    %q = qnt.quantize %x : tensor<?x256xf32> -> !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_block, scale = f32>>
    ```
    After (sketch):
    ```mlir
    %d, %s = scf.forall (%r) in (%rows) shared_outs(%od = %data, %os = %scales) -> (tensor<?x256xi8>, tensor<?x8xf32>) {
      scf.for %g ... {
        %x = vector.transfer_read %x[%r, %c] : tensor<?x256xf32>, vector<32xf32>
        ... arith.maxnumf (a tree over halves: the amax) ... math.round ... arith.fptosi
      }
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
    Option<"tileCols", "tile-cols", "int64_t",
           /*default=*/"::qnt::kLoweringDefaults.tileCols",
           "output columns per parallel task of a float linear">
  ];
}

def ExternalizeWeightsPass : Pass<"qnt-externalize-weights", "ModuleOp"> {
  let summary = "Complete the weights file the runtime maps, and bind the code to it";
  let description = [{
    Writes the weights file `file` (`runtime/include/qnt/weights.h`: tensors'
    bytes, each 64-byte aligned, then an index of their names, offsets,
    element types and shapes) and binds the code to it:

    - every `arith.constant` tensor of at least `min-bytes` bytes in a
      function becomes a named tensor of the file (named after its name
      location, else its `dense_resource`; an attribute used several times
      is written once);
    - if the code already names tensors (`qnt.weight`: the fold pass
      streamed them into `file`), the file is added to: its tensors stay and
      its index is rewritten with the new ones (a file without an index is an
      error); otherwise it is written anew;
    - then each `qnt.weight` becomes a view of a new last argument
      `%weights: memref<?xi8>` (marked `qnt.weights`) at the offset the index
      gives; a name the file lacks, or holds with another type or shape, is
      an error. The caller points the argument at the mapped file.

    The compiled code then holds no weights, and the runtime maps them at
    load. Runs on tensors, before bufferization.

    Before:
    ```mlir
    func.func @f(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
      %w = arith.constant dense_resource<blk.0.attn_q> : tensor<64x64xi8>
      ...
    ```
    After (the file's index names the tensor `blk.0.attn_q`, at offset 0):
    ```mlir
    func.func @f(%x: tensor<?x64xf32>, %weights: memref<?xi8> {qnt.weights}) -> tensor<?x64xf32> {
      %c0 = arith.constant 0 : index
      %view = memref.view %weights[%c0][] : memref<?xi8> to memref<64x64xi8>
      %w = bufferization.to_tensor %view restrict : memref<64x64xi8> to tensor<64x64xi8>
      ...
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"", "the weights file to write">,
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"64",
           "smaller constants stay in the code">
  ];
}

def AttachTargetPass : Pass<"qnt-attach-target", "ModuleOp"> {
  let summary = "Put a #qnt.target on the module";
  let description = [{
    Sets the module's `qnt.target` (what `--qnt-data-tiling`,
    `--qnt-tile-matmul` and `--qnt-lower-x86` read), as upstream's
    `--nvvm-attach-target` attaches a GPU target: `quant-compile` derives it
    from `--mcpu`/`--mattr`; with quant-opt this pass states it. An existing
    target is replaced. Invalid combinations are refused with the
    attribute's own diagnostic (e.g. `dot=maddubs` needs 256 vector bits).

    ```mlir
    // --qnt-attach-target="dot=vnni vector-bits=512 registers=32"
    module attributes {qnt.target = #qnt.target<vector_bits = 512, dot = vnni, registers = 32>}
    ```
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"\"",
           "the LLVM CPU name, for the reader">,
    Option<"vectorBits", "vector-bits", "unsigned", /*default=*/"128",
           "the vector width kernels use: 128, 256 or 512">,
    Option<"dot", "dot", "::qnt::DotKind",
           /*default=*/"::qnt::DotKind::Generic",
           "the integer dot product micro-kernels are built on",
           [{::llvm::cl::values(
             clEnumValN(::qnt::DotKind::Vnni, "vnni",
                        "vpdpbusd (AVX512-VNNI, or AVX-VNNI at 256 bits)"),
             clEnumValN(::qnt::DotKind::Maddubs, "maddubs",
                        "AVX2's vpmaddubsw + vpmaddwd"),
             clEnumValN(::qnt::DotKind::Generic, "generic",
                        "extend, multiply, add"))}]>,
    Option<"registers", "registers", "unsigned", /*default=*/"16",
           "vector registers: 16, or 32 with AVX-512">,
  ];
  let dependentDialects = ["::qnt::QntDialect"];
}

def LowerX86Pass : Pass<"qnt-lower-x86", "ModuleOp"> {
  let summary = "Lower the qnt_x86 dot products to x86 intrinsics or to vector arithmetic";
  let description = [{
    Reads the module's `#qnt.target` (a generic 128-bit one if it has none).
    With `dot = vnni`, a `qnt_x86.dpbusd` of 4, 8 or 16 lanes becomes
    `llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.{128,256,512}"` (the 128-
    and 256-bit forms are AVX512-VNNI with VL, or AVX-VNNI). With `dot =
    vnni` or `maddubs` (every such CPU has AVX2), a `qnt_x86.dpbssd` of 8 lanes
    becomes AVX2's sign trick: `vpsignb` twice (|rhs|, and lhs with rhs's
    sign), `vpmaddubsw`, `vpmaddwd` by ones (no saturation for lhs in
    [-127, 127]); the 4-bit kernels' dots
    need no sign trick: `qnt_x86.dpbusd {nibbles}` becomes `vpmaddubsw` +
    `vpmaddwd` where VNNI does not take it, `qnt_x86.dpbusw` (i16 pairs)
    `vpmaddubsw` + `vpaddw`, `qnt_x86.widen_pairs` `vpmaddwd` by ones, and
    `qnt_x86.lookup` `vpshufb`. Otherwise, for other lengths, or with
    `intrinsics=false`, each becomes extensions, a multiply and strided
    shuffles added to the accumulator (LLVM lowers it for any CPU; the
    tests run the VNNI and AVX2 kernels' structure on any CPU this way).
    Runs after bufferization: the intrinsic calls have no declared memory
    effects, which buffer deallocation does not accept.

    Before:
    ```mlir
    %r = qnt_x86.dpbusd %acc, %w, %x : vector<32xi8> -> vector<8xi32>
    ```
    After (`dot = vnni`):
    ```mlir
    %r = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%acc, %w, %x) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
    ```
  }];
  let dependentDialects = ["::qnt::QntDialect", "::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"intrinsics", "intrinsics", "bool", /*default=*/"true",
           "the target's intrinsics where it has them (false: vector "
           "arithmetic only)">
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
