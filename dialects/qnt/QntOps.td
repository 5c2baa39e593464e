//===- QntOps.td - qnt operations --------------------------*- tablegen -*-===//

#ifndef QNT_OPS_TD
#define QNT_OPS_TD

include "dialects/qnt/QntTypes.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Qnt_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Qnt_F32Tensor : RankedTensorOf<[F32]>;
// A KV cache: f32, f16 (keys and values rounded as written), or the i8
// values of a q8_0 cache with its scales.
def Qnt_CacheTensor : RankedTensorOf<[F32, F16, I8]>;
def Qnt_CacheScales : RankedTensorOf<[F16]>;
// Calibrated scales: a dense f32 elements attribute (tensor<1xGxf32>).
def Qnt_F32ElementsAttr : FloatElementsAttr<32>;

//===----------------------------------------------------------------------===//
// Graph level
//===----------------------------------------------------------------------===//

def Qnt_LinearOp : Qnt_Op<"linear", [Pure]> {
  let summary = "Fully connected layer y = x * W^T";
  let description = [{
    The graph-level op the quantization passes rewrite. `input` is [M, K],
    `weight` is [N, K] (one row per output feature, as GGUF and PyTorch store
    it), the result is [M, N] f32. The weight is a float tensor or, after
    `--qnt-fold-weight-quant`, a `!qnt.tensor`: the activation is still float
    then, and `--qnt-insert-act-quant` turns the op into `qnt.matmul`.

    `weight_layout`, set by `--qnt-data-tiling`, is the layout the fold pass
    is to store the quantized weight in.

    `act_scales`, set by calibration (`quant-compile --act-mode=static`), are
    static scales for the input: `tensor<1 x G x f32>`, one for the whole
    tensor (G = 1) or one per block of the activation's K (G groups), all
    positive. `--qnt-insert-act-quant` then quantizes the input with them
    (saturating) instead of computing absmax scales at run time.

    `act_asymmetric` asks for the input to be quantized with zero points
    (each group's [min, max], widened to hold 0, onto [-127, 127]) rather
    than symmetrically: the fold pass then keeps per-group sums with the
    weight, which the kernel's zero-point correction needs. Not with
    `act_scales` (static scales are symmetric).

    ```mlir
    %y = qnt.linear %x, %w : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
    %z = qnt.linear %x, %w {act_scales = dense<0.05> : tensor<1x1xf32>}
         : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Qnt_F32Tensor:$input,
                       AnyTypeOf<[Qnt_FloatTensor, Qnt_QTensorType]>:$weight,
                       OptionalAttr<Qnt_LayoutAttr>:$weight_layout,
                       OptionalAttr<Qnt_F32ElementsAttr>:$act_scales,
                       UnitAttr:$act_asymmetric);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` qualified(type($input)) `,` qualified(type($weight)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The linear's name ("blk.0.attn_q": its name location's, the
    /// importer's), or "".
    ::llvm::StringRef getLayerName();
    /// Whether its name or its weight's starts with one of `prefixes` (how
    /// `keep-float` chooses linears).
    bool isNamedBy(::llvm::ArrayRef<std::string> prefixes);
  }];
}

//===----------------------------------------------------------------------===//
// Quantized values
//===----------------------------------------------------------------------===//

def Qnt_ConstantOp : Qnt_Op<"constant", [Pure]> {
  let summary = "A quantized tensor known at compile time (a folded weight)";
  let description = [{
    Holds the components of a `!qnt.tensor` as elements attributes (data,
    scales, and zero points, mins and sums where the scheme has them), in the
    layout the kernels read: usually `dense_resource` blobs, so that packed
    weights are never spelled element by element.

    ```mlir
    %w = qnt.constant data(dense_resource<w_data> : tensor<64x256xi8>)
                      scales(dense_resource<w_scales> : tensor<64x8xf16>)
         : !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>>
    ```
  }];
  let arguments = (ins ElementsAttr:$data, ElementsAttr:$scales,
                       OptionalAttr<ElementsAttr>:$zero_points,
                       OptionalAttr<ElementsAttr>:$mins,
                       OptionalAttr<ElementsAttr>:$super_scales,
                       OptionalAttr<ElementsAttr>:$super_mins,
                       OptionalAttr<ElementsAttr>:$sums);
  let results = (outs Qnt_QTensorType:$result);
  let assemblyFormat = [{
    `data` `(` $data `)` `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)? (`mins` `(` $mins^ `)`)?
    (`super_scales` `(` $super_scales^ `)`)? (`super_mins` `(` $super_mins^ `)`)?
    (`sums` `(` $sums^ `)`)?
    attr-dict `:` qualified(type($result))
  }];
  let builders = [
    // The components in the type's order (QTensorType::getComponentTypes).
    OpBuilder<(ins "QTensorType":$type, "::llvm::ArrayRef<ElementsAttr>":$components)>
  ];
  let extraClassDeclaration = [{
    /// The components present, in the type's order.
    ::llvm::SmallVector<ElementsAttr> getComponents();
  }];
  let hasVerifier = 1;
}

def Qnt_GgmlConstantOp : Qnt_Op<"ggml_constant", [Pure]> {
  let summary = "A float tensor known at compile time, stored in GGML blocks";
  let description = [{
    A weight as a GGUF file holds it: `blocks` are the raw bytes of a GGML
    block format (Q4_0 ... Q6_K, IQ4_NL), row after row, usually a
    `dense_resource` over the mapped file. The value is the f32 tensor those
    blocks dequantize to, exactly as ggml's `dequantize_row_*` compute it
    (`qnt::math::ggmlDequantize`). `--qnt-fold-weight-quant` reads a linear's
    weight through it, one weight at a time, and quantizes it into the
    compile scheme; `--qnt-expand-ggml` turns what remains into f32
    constants.

    ```mlir
    %w = qnt.ggml_constant q4_k dense_resource<blk.0.attn_q.weight> : tensor<147456xi8> : tensor<1024x1024xf32>
    ```
  }];
  let arguments = (ins Qnt_GgmlFormatAttr:$format, ElementsAttr:$blocks);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = "$format $blocks attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Qnt_WeightOp : Qnt_Op<"weight", [Pure]> {
  let summary = "A tensor of the model's weights file, by name";
  let description = [{
    The tensor named `name` in the weights file (`qnt/weights.h`: tensors'
    bytes, then an index of their names, offsets, types and shapes). The
    fold pass streams the quantized weights into the file and refers to each
    component this way; `--qnt-externalize-weights` adds the remaining
    constants to the same file, writes its index, and only then binds each
    name to a view of the function's weights argument at the offset the
    index gives. Code before that point holds no offsets.

    ```mlir
    %d = qnt.weight "blk.0.attn_q.weight" : tensor<64x256xi8>
    %s = qnt.weight "blk.0.attn_q.weight_scales" : tensor<64x8xf16>
    %w = qnt.pack %d, %s : tensor<64x256xi8>, tensor<64x8xf16>
         -> !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The weights file's code for an element type (qnt/weights.h's
    /// QNT_DTYPE_*), or -1 for one a weights file cannot hold.
    static int32_t getFileDType(::mlir::Type element);
  }];
}

def Qnt_PackOp : Qnt_Op<"pack", [Pure]> {
  let summary = "A quantized tensor from its component tensors";
  let description = [{
    Assembles a `!qnt.tensor` from its components, in the type's order:
    data, scales, then zero points and sums where the scheme has them. The
    fold pass builds weights this way from the components it streams into
    the weights file (`qnt.weight`), so that no quantized copy stays in
    memory.

    ```mlir
    %w = qnt.pack %data, %scales : tensor<64x256xi8>, tensor<64x8xf16>
         -> !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$components);
  let results = (outs Qnt_QTensorType:$result);
  let assemblyFormat = [{
    $components attr-dict `:` type($components) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Qnt_UnpackOp : Qnt_Op<"unpack", [Pure]> {
  let summary = "The component tensors of a quantized tensor";
  let description = [{
    The inverse of `qnt.pack`: data, scales, then zero points and sums where
    the scheme has them, in the types the layout gives them. Lowerings of
    the ops that read a `!qnt.tensor` take it apart this way; `unpack` of a
    `pack` folds to the packed components.

    ```mlir
    %data, %scales = qnt.unpack %w : !qnt.tensor<64x256xf32, #qnt.scheme<granularity = per_block>>
                     -> tensor<64x256xi8>, tensor<64x8xf16>
    ```
  }];
  let arguments = (ins Qnt_QTensorType:$input);
  let results = (outs Variadic<AnyRankedTensor>:$components);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($components)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qnt_QuantizeOp : Qnt_Op<"quantize", [Pure]> {
  let summary = "Activation quantization: absmax scales at run time, or static ones";
  let description = [{
    Quantizes a float tensor by the result type's scheme, with absmax scales
    (`d = max|x| / 127` per group) computed when the program runs. Inserted
    by `--qnt-insert-act-quant` for activations.

    With `static_scales` (`tensor<1 x groups x f32>`, groups being the
    result's groups per row; per_block or per_token schemes), every row's
    group g takes `d = static_scales[0, g]` instead, and
    `q = round(clamp(x / d, -127, 127))`: no absmax at run time. The result's
    scales component holds d for every row, so consumers are unchanged.

    ```mlir
    %q = qnt.quantize %x : tensor<?x256xf32> -> !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_token, scale = f32>>
    %s = qnt.quantize %x {static_scales = dense<0.02> : tensor<1x1xf32>}
         : tensor<?x256xf32> -> !qnt.tensor<?x256xf32, #qnt.scheme<granularity = per_token, scale = f32>>
    ```
  }];
  let arguments = (ins Qnt_F32Tensor:$input,
                       OptionalAttr<Qnt_F32ElementsAttr>:$static_scales);
  let results = (outs Qnt_QTensorType:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def Qnt_DequantizeOp : Qnt_Op<"dequantize", [Pure]> {
  let summary = "x = scale * q: back to float";
  let arguments = (ins Qnt_QTensorType:$input);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def Qnt_MatmulOp : Qnt_Op<"matmul", [Pure]> {
  let summary = "Fused quantized matmul: int8 dot, per-group scale, f32 accumulation";
  let description = [{
    `lhs` is [M, K] (quantized activations), `rhs` is [N, K] (quantized
    weights, one row per output feature); the result is [M, N] f32:

      y[m, n] = sum over groups g of K:
                  float(sum_{k in g} ql[m, k] * qr[n, k]) * sl(m, g) * sr(n, g)

    where a group is a block when either side is `per_block` (both sides'
    blocks must then agree) and the whole row otherwise. A `u8_offset128`
    or `u4_offset8` (4-bit) rhs is multiplied as stored (the form
    `vpdpbusd` takes) and corrected with the lhs's per-group sums: `lhs`
    must then carry `sums` at that grouping. `lhs` is 8-bit.
    An asymmetric `lhs` (zero points z) contributes `ql - z`, corrected with
    the rhs's per-group sums: `-z * sum(qr)`; `rhs` must then carry `sums`
    per group of the lhs. `rhs` is symmetric.
    With `acc` (a residual connection fused by `--qnt-fuse`) the result is
    acc + the above, computed in the matmul's epilogue.

    ```mlir
    %y = qnt.matmul %xq, %wq : !qnt.tensor<?x256xf32, #act>, !qnt.tensor<64x256xf32, #q8_0> -> tensor<?x64xf32>
    %z = qnt.matmul %xq, %wq acc %r : !qnt.tensor<?x256xf32, #act>, !qnt.tensor<64x256xf32, #q8_0>, tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Qnt_QTensorType:$lhs, Qnt_QTensorType:$rhs,
                       Optional<Qnt_F32Tensor>:$acc);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`acc` $acc^)? attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs))
    (`,` qualified(type($acc))^)? `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Columns of K sharing one scale on both sides: the block size if either
    /// side is per_block, else K.
    int64_t getGroupSize();
  }];
}

//===----------------------------------------------------------------------===//
// Transformer layers
//===----------------------------------------------------------------------===//

def Qnt_EmbeddingOp : Qnt_Op<"embedding", [Pure]> {
  let summary = "Rows of a table selected by token ids";
  let description = [{
    `table` is [V, D] (float, or quantized and dequantized row by row),
    `tokens` is [T] i32; the result is [T, D] f32 with row t = table[tokens[t]].
    Ids outside [0, V) are clamped into it.

    ```mlir
    %x = qnt.embedding %table, %tokens : tensor<512x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[Qnt_FloatTensor, Qnt_QTensorType]>:$table,
                       RankedTensorOf<[I32]>:$tokens);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = [{
    $table `,` $tokens attr-dict `:` qualified(type($table)) `,` qualified(type($tokens)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Qnt_RmsNormOp : Qnt_Op<"rms_norm", [Pure]> {
  let summary = "RMS normalization of each row, times a weight";
  let description = [{
    For each row x of `input` [T, D]:
      y = weight * (x * (1 / sqrt(mean(x^2) + epsilon)))

    A `!qnt.tensor` result is y quantized as `qnt.quantize` would, with
    `static_scales` as it has them (`--qnt-fuse` folds the quantize of a
    norm into it), so that the float y is never written.

    ```mlir
    %y = qnt.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Qnt_F32Tensor:$input, Qnt_FloatTensor:$weight,
                       F32Attr:$epsilon,
                       OptionalAttr<Qnt_F32ElementsAttr>:$static_scales);
  let results = (outs AnyTypeOf<[Qnt_F32Tensor, Qnt_QTensorType]>:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` qualified(type($input)) `,` qualified(type($weight)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Qnt_RopeOp : Qnt_Op<"rope", [Pure]> {
  let summary = "Rotary position embedding (adjacent pairs, or halves with neox)";
  let description = [{
    `input` is [T, N * head_dim]: N heads of `head_dim` values. Row t is at
    position p = `position` + t. In each head, the pairs (x[2i], x[2i+1])
    for 2i < rope_dim (GGUF llama, whose q/k weights are permuted for it),
    or with `neox` the pairs (x[i], x[i + rope_dim/2]) for i < rope_dim/2
    (Qwen), turn by the angle p * f_i, f_i = 1 / base^(2i / rope_dim),
    divided by `factors[i]` when given (Llama 3.1's rope_freqs.weight):

      (x0, x1) -> (x0 cos - x1 sin, x0 sin + x1 cos)

    ```mlir
    %q = qnt.rope %x, %pos {head_dim = 8, rope_dim = 8, base = 1.0e+04 : f32} : tensor<?x64xf32> -> tensor<?x64xf32>
    %k = qnt.rope %x, %pos {head_dim = 8, rope_dim = 8, base = 1.0e+04 : f32, neox, factors = array<f32: 1.0, 1.0, 4.0, 8.0>} : tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Qnt_F32Tensor:$input, Index:$position,
                       I64Attr:$head_dim, I64Attr:$rope_dim, F32Attr:$base,
                       UnitAttr:$neox, OptionalAttr<DenseF32ArrayAttr>:$factors);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $position attr-dict `:` qualified(type($input)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Qnt_BiasAddOp : Qnt_Op<"bias_add", [Pure]> {
  let summary = "A bias added to every row";
  let description = [{
    `input` is [T, N], `bias` is [N] (f32, f16 or bf16); row t of the
    result is input[t] + bias (Qwen2's q/k/v projections).

    ```mlir
    %y = qnt.bias_add %x, %b : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Qnt_F32Tensor:$input, Qnt_FloatTensor:$bias);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $bias attr-dict `:` qualified(type($input)) `,` qualified(type($bias)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Qnt_AttentionOp : Qnt_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "Causal grouped-query attention over a KV cache";
  let description = [{
    `query` is [T, H * d]; `keys` and `values` are the cache [C, KV * d]
    (a row a position), or head-major [KV, C, d] (each KV head's rows
    together, so that a task reads one run of memory), f32, or f16: read as
    f32, whose rows 0 .. position + T - 1 are filled. Query row t, at position
    p = `position` + t, head h, attends to cache rows 0 .. p of KV head
    h / (H / KV):

      out[t, h] = sum_j softmax_j(scale * q[t, h] . k[j, kvh]) v[j, kvh]

    The result may be a `!qnt.tensor` (per_block, each block within the
    columns one task computes; see canQuantizeResultAs): the attention
    output quantized as computed, for the output linear.

    A q8_0 cache holds i8 keys and values with `key_scales` and
    `value_scales` [C, KV * d / 32] (f16, one per block of 32 along a row,
    GGML Q8_0's): element c of row j is `keys[j, c] * key_scales[j, c / 32]`;
    head-major, [KV, C, d / 32].

    ```mlir
    %o = qnt.attention %q, %k, %v, %pos {num_heads = 8, num_kv_heads = 4, scale = 0.35355 : f32}
         : tensor<?x64xf32>, tensor<512x32xf32>, tensor<512x32xf32> -> tensor<?x64xf32>
    %o8 = qnt.attention %q, %k8, %v8, %pos scales(%ks, %vs) {num_heads = 8, num_kv_heads = 4, scale = 0.35355 : f32}
         : tensor<?x64xf32>, tensor<512x32xi8>, tensor<512x32xi8>, tensor<512x1xf16>, tensor<512x1xf16> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Qnt_F32Tensor:$query, Qnt_CacheTensor:$keys,
                       Qnt_CacheTensor:$values, Index:$position,
                       Optional<Qnt_CacheScales>:$key_scales,
                       Optional<Qnt_CacheScales>:$value_scales,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads, F32Attr:$scale);
  let results = (outs AnyTypeOf<[Qnt_F32Tensor, Qnt_QTensorType]>:$result);
  let assemblyFormat = [{
    $query `,` $keys `,` $values `,` $position (`scales` `(` $key_scales^ `,` $value_scales `)`)?
    attr-dict `:` qualified(type($query)) `,`
    qualified(type($keys)) `,` qualified(type($values))
    (`,` qualified(type($key_scales))^ `,` qualified(type($value_scales)))?
    `->` qualified(type($result))
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$query, "Value":$keys, "Value":$values,
                   "Value":$position, "int64_t":$num_heads, "int64_t":$num_kv_heads,
                   "float":$scale, CArg<"Value", "{}">:$key_scales,
                   CArg<"Value", "{}">:$value_scales)>
  ];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim();
    /// The heads of one KV group a task of the lowering puts side by side
    /// in its lanes (the largest divisor of the group up to 16), and so the
    /// columns of the output each task writes: getTaskHeads() * head size.
    int64_t getTaskHeads();
    /// Whether the result can be quantized as `type` inside the op: blocks
    /// that tile each task's columns (per_block, symmetric i8, row-major,
    /// unpadded), computed from the values the task holds.
    bool canQuantizeResultAs(::qnt::QTensorType type);
  }];
}

def Qnt_SiluMulOp : Qnt_Op<"silu_mul", [Pure, AllTypesMatch<["gate", "up"]>]> {
  let summary = "SwiGLU: silu(gate) * up, silu(x) = x / (1 + exp(-x))";
  let description = [{
    A `!qnt.tensor` result is the product quantized, with `static_scales`
    where given, as for `qnt.rms_norm`.

    ```mlir
    %h = qnt.silu_mul %g, %u : tensor<?x96xf32> -> tensor<?x96xf32>
    ```
  }];
  let arguments = (ins Qnt_F32Tensor:$gate, Qnt_F32Tensor:$up,
                       OptionalAttr<Qnt_F32ElementsAttr>:$static_scales);
  let results = (outs AnyTypeOf<[Qnt_F32Tensor, Qnt_QTensorType]>:$result);
  let assemblyFormat = [{
    $gate `,` $up attr-dict `:` qualified(type($gate)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernel level
//===----------------------------------------------------------------------===//

def Qnt_MatmulTileOp : Qnt_Op<"matmul_tile", [Pure, AttrSizedOperandSegments]> {
  let summary = "The micro-kernel: an m0 x n0 register tile of a data-tiled quantized matmul";
  let description = [{
    What `--qnt-tile-matmul` makes of `qnt.matmul`, one per register tile,
    on plain component tensors; `--qnt-lower-microkernel` turns it into
    unrolled vector code. With K' the padded reduction length:

    - `lhs_data` [m0, K'] i8, `lhs_scales` [m0, Ga], `lhs_sums` [m0, Ga] i32
      (only against a `u8_offset128` rhs), `lhs_zero_points` [m0, Ga] i32
      (asymmetric activations only): m0 quantized activation rows;
    - `rhs_data` [K' / 4, n0 * 4] i8: one tile of a weight in
      `#qnt.layout<n0, k0 = 4>` (4 consecutive bytes of each of the n0
      channels side by side; [K' / 8, n0 * 4] for `u4_offset8` (and `u4`,
      `u4_grid`), two steps a row in the low and high nibbles; [3 K' / 16, n0 * 4] for
      `u6_offset32`, four steps in three rows: two of nibbles, one of their
      high 2 bits), `rhs_scales` [Gw, n0], `rhs_mins`
      [Gw, n0] (`u4`: x = scale * u + min), `rhs_sums` [Gw, n0] i32 (with
      `lhs_zero_points`, and only then); with two-level scales (a scheme's
      `super_block`) `rhs_scales` and `rhs_mins` are bytes (int8 sc and m)
      and `rhs_supers` [Gs, n0] (and [Gs, n0] with mins; Gs = Gw / super
      ratio) the factors: scale(n, g) = sc(g, n) * d(g / ratio, n), min
      likewise;
    - `init` [m0, w] f32 with w <= n0: the output tile (w < n0 at the edge
      of the matrix, whose padding channels are not written).

    A weight whose layout has records (`#qnt.layout<..., records = true>`)
    gives its tile as one operand instead, `records` [Gw / G, B] i8 (its
    groups' data rows and factors side by side, `qnt/Math/Records.h`), and
    `rhs_type` its `!qnt.tensor` type, from which the components' places
    and types follow; the micro-kernel reads each at its offset.

    With records, the op may take S tiles at once (`records(%t0, %t1)`):
    S weight streams that the micro-kernel reads side by side, group by
    group (a single-row matmul reads two tiles far apart in its weight, so
    that each thread keeps two runs of DRAM reads going; `--qnt-tile-matmul`'s
    `gemv-streams`). `init` and the result are then [m0, S, w], tile s's
    output at [:, s, :]: what the op computes for that tile alone.

    Ga and Gw are K' / `group` or 1 (one scale for the whole row). For each
    group g of `group` columns:

      acc[m, n] += float(sum_{k in g} (qa[m, k] - za(m, g)) * qw[n, k]) * sa(m, g) * sw(n, g)

    with qw = stored byte - 128 when `rhs_storage` is `u8_offset128`, or
    stored nibble - 8 for `u4_offset8`, or stored 6 bits - 32 for
    `u6_offset32` (the lhs sums correct each), or IQ4_NL's grid value at
    the stored nibble for `u4_grid` (looked up in registers, + 128 with the
    vnni dot, the lhs sums correcting it; signed with the others); for
    `u4` (the nibble u as it is) with mins, each group adds
    float(sum_{k in g} qa[m, k]) * sa(m, g) * min(n, g) and za = 0 without zero points (else the rhs sums
    correct for it: the i32 accumulator starts at -za * sum(qw)). `acc` starts at 0; with `accumulate` the result is
    init + acc, added once after the last group (so a fused residual rounds
    as the separate add would), otherwise acc. `dot` is the instruction the lanes use, `lanes` the i32 lanes
    of one vector (n0 is a multiple of it).

    ```mlir
    %t = qnt.matmul_tile %ad, %as sums %asum, %wd, %ws, %init {dot = #qnt<dot_kind vnni>, group = 32, lanes = 16, rhs_storage = #qnt<storage u8_offset128>}
         : (tensor<4x2048xi8>, tensor<4x64xf32>, tensor<4x64xi32>, tensor<512x128xi8>, tensor<64x32xf16>, tensor<4x?xf32>) -> tensor<4x?xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$lhs_data,
                       RankedTensorOf<[F32, F16]>:$lhs_scales,
                       Optional<RankedTensorOf<[I32]>>:$lhs_sums,
                       Optional<RankedTensorOf<[I32]>>:$lhs_zero_points,
                       Variadic<RankedTensorOf<[I8]>>:$rhs_records,
                       Optional<RankedTensorOf<[I8]>>:$rhs_data,
                       Optional<RankedTensorOf<[F32, F16, I8]>>:$rhs_scales,
                       Optional<RankedTensorOf<[F32, F16, I8]>>:$rhs_mins,
                       Variadic<RankedTensorOf<[F32, F16]>>:$rhs_supers,
                       Optional<RankedTensorOf<[I32]>>:$rhs_sums,
                       Qnt_F32Tensor:$init,
                       I64Attr:$group, Qnt_DotKindAttr:$dot, I64Attr:$lanes,
                       Qnt_StorageAttr:$rhs_storage, UnitAttr:$accumulate,
                       OptionalAttr<TypeAttrOf<Qnt_QTensorType>>:$rhs_type);
  let results = (outs Qnt_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs_data `,` $lhs_scales (`sums` $lhs_sums^)? (`zero_points` $lhs_zero_points^)? `,`
    (`records` `(` $rhs_records^ `)`) : ($rhs_data `,` $rhs_scales (`mins` $rhs_mins^)? (`supers` `(` $rhs_supers^ `)`)? (`sums` $rhs_sums^)?)? `,` $init attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getM0() { return getInit().getType().getDimSize(0); }
    /// Weight tiles read side by side (records), one output each.
    int64_t getStreams() { return std::max<int64_t>(1, getRhsRecords().size()); }
    int64_t getN0() {
      return getRhsType() ? getRhsType()->getLayout().getN0()
                          : getRhsScales().getType().getDimSize(1);
    }
    int64_t getStoredK() { return getLhsData().getType().getDimSize(1); }
  }];
}

#endif // QNT_OPS_TD
