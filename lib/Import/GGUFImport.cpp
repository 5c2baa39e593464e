//===- GGUFImport.cpp - A llama GGUF as qnt IR ----------------------------===//

#include "qnt/Import/GGUFImport.h"

#include "dialects/qnt/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <map>

using namespace mlir;

namespace qnt {

namespace {

/// A parameter of the entry points, from qnt/entry_points.def (its kinds
/// and conditions spelled as there).
struct EntryParam {
  enum Kind { TOKENS, POSITION, CACHE, CACHE_SCALES, WEIGHTS, LOGITS };
  enum When { ALL, PREFILL, Q8 };
  const char *name;
  Kind kind;
  When when;
};
constexpr EntryParam kEntryParams[] = {
#define QNT_ENTRY_PARAM(name, kind, when)                                      \
  {#name, EntryParam::kind, EntryParam::when},
#include "qnt/entry_points.def"
#undef QNT_ENTRY_PARAM
};
constexpr size_t kEntryParamCount =
    sizeof kEntryParams / sizeof kEntryParams[0];
// What the importer builds comes first; later passes append the weights
// (--qnt-externalize-weights), then bufferization the logits' out-parameter.
static_assert(kEntryParams[0].kind == EntryParam::TOKENS &&
                  kEntryParams[1].kind == EntryParam::POSITION &&
                  kEntryParams[1].when == EntryParam::ALL,
              "the tokens, then the position, come first");
static_assert(kEntryParams[kEntryParamCount - 2].kind == EntryParam::WEIGHTS &&
                  kEntryParams[kEntryParamCount - 1].kind == EntryParam::LOGITS,
              "the weights, then the logits, come last");

class Importer {
public:
  Importer(const gguf::File &file, const gguf::LlamaConfig &config,
           MLIRContext *ctx, int64_t context, KvCache kvCache)
      : file(file), c(config), ctx(ctx), b(ctx), context(context),
        kvCache(kvCache) {}

  OwningOpRef<ModuleOp> run() {
    OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
    b.setInsertionPointToEnd(module->getBody());
    buildEntry("forward", ShapedType::kDynamic);
    buildEntry("decode", 1);
    return module;
  }

private:
  /// A weight as a float tensor value (the GGML block formats, Q8_0 too, as
  /// qnt.ggml_constant over the mapped file: read by the fold pass one weight
  /// at a time, none copied at import).
  Value weight(const std::string &name) {
    const gguf::TensorInfo *t = file.tensor(name);
    Location loc = NameLoc::get(b.getStringAttr(name));
    std::vector<int64_t> shape = t->shape();
    switch (gguf::TensorType(t->type)) {
    case gguf::TensorType::F32:
      return constant(loc, name, shape, b.getF32Type(),
                      ArrayRef<float>(reinterpret_cast<const float *>(t->data),
                                      t->numElements()));
    case gguf::TensorType::F16:
    case gguf::TensorType::BF16: {
      Type type = gguf::TensorType(t->type) == gguf::TensorType::F16
                      ? Type(b.getF16Type())
                      : Type(b.getBF16Type());
      return constant(loc, name, shape, type,
                      ArrayRef<uint16_t>(reinterpret_cast<const uint16_t *>(t->data),
                                         t->numElements()));
    }
    default:
      return ggmlConstant(loc, name, *t);
    }
  }

  /// A tensor of another GGML block format, its blocks as they are in the
  /// mapped file: dequantized when a pass reads it, one weight at a time.
  Value ggmlConstant(Location loc, const std::string &name,
                     const gguf::TensorInfo &t) {
    Attribute &attr = floatAttrs[name];
    if (!attr)
      attr = DenseResourceElementsAttr::get(
          RankedTensorType::get({int64_t(t.bytes)}, b.getI8Type()), name,
          UnmanagedAsmResourceBlob::allocateInferAlign(
              ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(t.data), t.bytes)));
    auto type = RankedTensorType::get(t.shape(), b.getF32Type());
    return qnt::GgmlConstantOp::create(b, loc, type, qnt::GgmlFormat(t.type),
                                       cast<ElementsAttr>(attr));
  }

  /// A dense_resource constant over the mapped file's bytes.
  template <typename T>
  Value constant(Location loc, const std::string &name,
                 const std::vector<int64_t> &shape, Type elementType,
                 ArrayRef<T> data) {
    Attribute &attr = floatAttrs[name];
    if (!attr)
      attr = DenseResourceElementsAttr::get(
          RankedTensorType::get(shape, elementType), name,
          UnmanagedAsmResourceBlob::allocateInferAlign(data));
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
  }

  /// The embedding table as the embedding op takes it.
  Value table() { return weight("token_embd.weight"); }

  /// A linear named after its layer ("blk.0.attn_q", "output"), the name the
  /// fold pass's keep-float option matches.
  Value linear(Value x, const std::string &weightName, int64_t outDim,
               StringRef name) {
    auto xType = cast<RankedTensorType>(x.getType());
    auto type = RankedTensorType::get({xType.getDimSize(0), outDim},
                                      b.getF32Type());
    return qnt::LinearOp::create(b, NameLoc::get(b.getStringAttr(name)), type,
                                 x, weight(weightName),
                                 /*weight_layout=*/qnt::LayoutAttr(),
                                 /*act_scales=*/DenseElementsAttr(),
                                 /*act_asymmetric=*/UnitAttr());
  }

  /// A norm named after its weight without ".weight" ("blk.0.attn_norm").
  Value rmsNorm(Value x, const std::string &name) {
    StringRef layer = StringRef(name).drop_back(StringRef(".weight").size());
    return qnt::RmsNormOp::create(b, NameLoc::get(b.getStringAttr(layer)),
                                  x.getType(), x, weight(name),
                                  b.getF32FloatAttr(c.rmsEps),
                                  /*static_scales=*/DenseElementsAttr());
  }

  /// x + bias, named after the bias ("blk.0.attn_q.bias").
  Value biasAdd(Value x, const std::string &name) {
    return qnt::BiasAddOp::create(b, NameLoc::get(b.getStringAttr(name)),
                                  x.getType(), x, weight(name));
  }

  /// RMSNorm of each head of x [T, heads * headDim] by one weight
  /// [headDim]: the rows viewed as [T * heads, headDim], normalized, viewed
  /// back.
  Value headNorm(Value x, const std::string &name, int64_t heads) {
    Location loc = NameLoc::get(b.getStringAttr(name));
    auto type = cast<RankedTensorType>(x.getType());
    int64_t t = type.getDimSize(0);
    auto split = RankedTensorType::get({t, heads, c.headDim}, b.getF32Type());
    auto rows = RankedTensorType::get(
        {ShapedType::isDynamic(t) ? ShapedType::kDynamic : t * heads, c.headDim},
        b.getF32Type());
    SmallVector<ReassociationIndices> byHead = {{0}, {1, 2}};
    SmallVector<ReassociationIndices> byRow = {{0, 1}, {2}};
    SmallVector<OpFoldResult> splitShape;
    if (ShapedType::isDynamic(t))
      splitShape.push_back(OpFoldResult(tensor::DimOp::create(b, loc, x, 0)));
    else
      splitShape.push_back(b.getIndexAttr(t));
    splitShape.push_back(b.getIndexAttr(heads));
    splitShape.push_back(b.getIndexAttr(c.headDim));
    Value heads3 = tensor::ExpandShapeOp::create(b, loc, split, x, byHead, splitShape);
    Value flat = tensor::CollapseShapeOp::create(b, loc, rows, heads3, byRow);
    Value normed = rmsNorm(flat, name);
    SmallVector<OpFoldResult> rowsShape = splitShape;
    Value back = tensor::ExpandShapeOp::create(b, loc, split, normed, byRow, rowsShape);
    return tensor::CollapseShapeOp::create(b, loc, type, back, byHead);
  }

  void buildEntry(StringRef name, int64_t tokens) {
    int64_t kvDim = c.kvHeads * c.headDim;
    auto tokensType = RankedTensorType::get({tokens}, b.getI32Type());
    // The cache's element type: f32, f16 (K and V rounded as written), or
    // q8_0: i8 values with an f16 scale per block of 32 of a row, in two
    // more caches of [layers, context, kv_dim / 32].
    bool q8 = kvCache == KvCache::Q8_0;
    Type cacheElement = q8 ? Type(b.getI8Type())
                        : kvCache == KvCache::F16 ? Type(b.getF16Type())
                                                  : Type(b.getF32Type());
    // Head-major: [layers, kv_heads, context, head_dim], so that attention,
    // a task per KV head, reads each head's rows as one run of memory.
    auto cacheType = RankedTensorType::get(
        {c.blocks, c.kvHeads, context, c.headDim}, cacheElement);
    auto scalesType = RankedTensorType::get(
        {c.blocks, c.kvHeads, context, c.headDim / 32}, b.getF16Type());
    auto bufferOf = [](RankedTensorType t) {
      return MemRefType::get(t.getShape(), t.getElementType());
    };
    auto logitsType = RankedTensorType::get({tokens, c.vocab}, b.getF32Type());
    // The parameters as qnt/entry_points.def lists them (the runtime's
    // function types come from it too). The caches are the caller's buffers,
    // updated in place: read as tensors (to_tensor restrict writable) and
    // written back with materialize_in_destination, so they are neither
    // copied nor returned. Prefill (dynamic tokens) takes `logits_from`, the
    // first position whose logits it computes: T - 1 when generating (the
    // output head's work for one row, not T), 0 for every position's. The
    // weights come later (--qnt-externalize-weights), the logits are the
    // result.
    bool prefill = ShapedType::isDynamic(tokens);
    SmallVector<Type> args;
    SmallVector<EntryParam::Kind> kinds;
    SmallVector<StringRef> names;
    for (const EntryParam &p : kEntryParams) {
      if ((p.when == EntryParam::PREFILL && !prefill) ||
          (p.when == EntryParam::Q8 && !q8))
        continue;
      switch (p.kind) {
      case EntryParam::TOKENS:
        args.push_back(tokensType);
        break;
      case EntryParam::POSITION:
        args.push_back(b.getIndexType());
        break;
      case EntryParam::CACHE:
        args.push_back(bufferOf(cacheType));
        break;
      case EntryParam::CACHE_SCALES:
        args.push_back(bufferOf(scalesType));
        break;
      case EntryParam::WEIGHTS:
      case EntryParam::LOGITS:
        continue;
      }
      kinds.push_back(p.kind);
      names.push_back(p.name);
    }
    auto fnType = b.getFunctionType(args, {logitsType});
    Location loc = NameLoc::get(b.getStringAttr(name));
    auto fn = func::FuncOp::create(b, loc, name, fnType);
    for (auto [i, param] : llvm::enumerate(names))
      fn.setArgAttr(i, qnt::QntDialect::kParamAttrName, b.getStringAttr(param));
    fn.setResultAttr(0, qnt::QntDialect::kParamAttrName,
                     b.getStringAttr(kEntryParams[kEntryParamCount - 1].name));
    OpBuilder::InsertionGuard guard(b);
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    // The token ids, the positions (pos, then logits_from), and the cache
    // buffers (keys, values, then key and value scales) with their tensors
    // as the layers update them.
    Value ids;
    SmallVector<Value> positions, buffers, caches;
    for (auto [kind, arg] : llvm::zip(kinds, entry->getArguments())) {
      if (kind == EntryParam::TOKENS)
        ids = arg;
      else if (kind == EntryParam::POSITION)
        positions.push_back(arg);
      else
        buffers.push_back(arg);
    }
    Value pos = positions[0];
    Value from = prefill ? positions[1] : Value();
    for (Value buffer : buffers) {
      auto type = cast<MemRefType>(buffer.getType());
      caches.push_back(bufferization::ToTensorOp::create(
          b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
          buffer, /*restrict=*/true, /*writable=*/true));
    }

    auto act = [&](int64_t cols) {
      return RankedTensorType::get({tokens, cols}, b.getF32Type());
    };
    Value x = qnt::EmbeddingOp::create(b, loc, act(c.dim), table(), ids);
    auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
    OpFoldResult count = ShapedType::isDynamic(tokens)
                             ? OpFoldResult(tensor::DimOp::create(b, loc, ids, 0))
                             : index(tokens);
    float scale = 1.0f / std::sqrt(float(c.headDim));

    for (int64_t l = 0; l < c.blocks; ++l) {
      std::string p = "blk." + std::to_string(l) + ".";
      Location lloc = NameLoc::get(b.getStringAttr(p + "attn"));
      Value h = rmsNorm(x, p + "attn_norm.weight");
      Value q = linear(h, p + "attn_q.weight", c.qDim, p + "attn_q");
      Value k = linear(h, p + "attn_k.weight", kvDim, p + "attn_k");
      Value v = linear(h, p + "attn_v.weight", kvDim, p + "attn_v");
      if (c.qkvBias) { // qwen2
        q = biasAdd(q, p + "attn_q.bias");
        k = biasAdd(k, p + "attn_k.bias");
        v = biasAdd(v, p + "attn_v.bias");
      }
      if (c.qkNorm) { // qwen3: every head of q and k normalized on its own
        q = headNorm(q, p + "attn_q_norm.weight", c.heads);
        k = headNorm(k, p + "attn_k_norm.weight", c.kvHeads);
      }
      auto rope = [&](Value t) -> Value {
        DenseF32ArrayAttr factors;
        if (!c.ropeFactors.empty())
          factors = b.getDenseF32ArrayAttr(c.ropeFactors);
        return qnt::RopeOp::create(
            b, lloc, t.getType(), t, pos, b.getI64IntegerAttr(c.headDim),
            b.getI64IntegerAttr(c.ropeDim), b.getF32FloatAttr(c.ropeBase),
            c.neox ? b.getUnitAttr() : UnitAttr(), factors);
      };
      q = rope(q);
      k = rope(k);
      // Cache rows pos .. pos + T - 1 of layer l, in the cache's type, a KV
      // head at a time: its columns of k and v into its rows of the cache.
      auto headRows = RankedTensorType::get(
          {cast<RankedTensorType>(k.getType()).getDimSize(0), c.headDim},
          b.getF32Type());
      for (int64_t kvh = 0; kvh < c.kvHeads; ++kvh) {
        SmallVector<Value> rows;
        for (Value t : {k, v})
          rows.push_back(tensor::ExtractSliceOp::create(
              b, lloc, headRows, t,
              ArrayRef<OpFoldResult>{index(0), index(kvh * c.headDim)},
              ArrayRef<OpFoldResult>{count, index(c.headDim)},
              ArrayRef<OpFoldResult>{index(1), index(1)}));
        if (q8) {
          // Quantized as GGML's q8_0 cache: d = amax / 127 per block of 32,
          // stored f16; the i8 values and the scales go to their caches.
          auto qtype =
              qnt::QTensorType::get(ctx, headRows.getShape(), b.getF32Type(),
                                    qnt::SchemeAttr::getQ8_0(ctx));
          auto scaleRows = RankedTensorType::get(
              {headRows.getDimSize(0), c.headDim / 32}, b.getF16Type());
          SmallVector<Value> data, scales;
          for (Value r : rows) {
            Value qr =
                qnt::QuantizeOp::create(b, lloc, qtype, r,
                                        /*static_scales=*/DenseElementsAttr());
            auto parts = qnt::UnpackOp::create(
                b, lloc, TypeRange{headRows.clone(b.getI8Type()), scaleRows},
                qr);
            data.push_back(parts.getResult(0));
            scales.push_back(parts.getResult(1));
          }
          rows = {data[0], data[1], scales[0], scales[1]};
        } else if (cacheElement != headRows.getElementType()) {
          for (Value &r : rows)
            r = arith::TruncFOp::create(b, lloc, headRows.clone(cacheElement),
                                        r);
        }
        for (auto [i, r] : llvm::enumerate(rows)) {
          int64_t cols = cast<RankedTensorType>(r.getType()).getDimSize(1);
          caches[i] = tensor::InsertSliceOp::create(
              b, lloc, r, caches[i],
              ArrayRef<OpFoldResult>{index(l), index(kvh), pos, index(0)},
              ArrayRef<OpFoldResult>{index(1), index(1), count, index(cols)},
              SmallVector<OpFoldResult>(4, index(1)));
        }
      }
      SmallVector<Value> layer;
      for (Value &cache : caches) {
        auto type = cast<RankedTensorType>(cache.getType());
        int64_t cols = type.getDimSize(3);
        auto layerType = RankedTensorType::get({c.kvHeads, context, cols},
                                               type.getElementType());
        layer.push_back(tensor::ExtractSliceOp::create(
            b, lloc, layerType, cache,
            ArrayRef<OpFoldResult>{index(l), index(0), index(0), index(0)},
            ArrayRef<OpFoldResult>{index(1), index(c.kvHeads), index(context),
                                   index(cols)},
            SmallVector<OpFoldResult>(4, index(1))));
      }
      Value attn = qnt::AttentionOp::create(
          b, lloc, q.getType(), q, layer[0], layer[1], pos, c.heads, c.kvHeads,
          scale, q8 ? layer[2] : Value(), q8 ? layer[3] : Value());
      x = arith::AddFOp::create(b, lloc, x,
                                linear(attn, p + "attn_output.weight", c.dim, p + "attn_output"));

      Value h2 = rmsNorm(x, p + "ffn_norm.weight");
      Value gate = linear(h2, p + "ffn_gate.weight", c.ffn, p + "ffn_gate");
      Value up = linear(h2, p + "ffn_up.weight", c.ffn, p + "ffn_up");
      Value act2 = qnt::SiluMulOp::create(
          b, NameLoc::get(b.getStringAttr(p + "ffn_silu_mul")), gate.getType(),
          gate, up, /*static_scales=*/DenseElementsAttr());
      x = arith::AddFOp::create(b, lloc, x,
                                linear(act2, p + "ffn_down.weight", c.dim, p + "ffn_down"));
    }
    if (prefill) {
      // Rows logits_from .. T - 1 of the last hidden state.
      Value rows = arith::SubIOp::create(
          b, loc, tensor::DimOp::create(b, loc, x, 0), from);
      x = tensor::ExtractSliceOp::create(
          b, loc, x, ArrayRef<OpFoldResult>{from, index(0)},
          ArrayRef<OpFoldResult>{rows, index(c.dim)},
          ArrayRef<OpFoldResult>{index(1), index(1)});
    }
    Value out = rmsNorm(x, "output_norm.weight");
    Value logits = linear(out, c.tiedOutput ? "token_embd.weight" : "output.weight",
                          c.vocab, "output");
    for (auto [tensor, buffer] : llvm::zip_equal(caches, buffers)) {
      auto store = bufferization::MaterializeInDestinationOp::create(
          b, loc, tensor, buffer);
      store.setRestrict(true);
      store.setWritable(true);
    }
    func::ReturnOp::create(b, loc, ValueRange{logits});
  }

  const gguf::File &file;
  const gguf::LlamaConfig &c;
  // One attribute per weight, shared by both entry points: resources with the
  // same name would otherwise be renamed apart and stored twice.
  std::map<std::string, Attribute> floatAttrs;
  MLIRContext *ctx;
  OpBuilder b;
  int64_t context;
  KvCache kvCache;
};

} // namespace

OwningOpRef<ModuleOp> importGGUF(const gguf::File &file, MLIRContext *ctx,
                                 const ImportOptions &options,
                                 std::string &error) {
  gguf::LlamaConfig config;
  if (!gguf::readLlamaConfig(file, config, error))
    return nullptr;
  int64_t context = options.context > 0 ? std::min(options.context, config.context)
                                        : config.context;
  ctx->getOrLoadDialect<qnt::QntDialect>();
  ctx->getOrLoadDialect<arith::ArithDialect>();
  ctx->getOrLoadDialect<func::FuncDialect>();
  ctx->getOrLoadDialect<tensor::TensorDialect>();
  ctx->getOrLoadDialect<bufferization::BufferizationDialect>();
  if (options.kvCache == KvCache::Q8_0 && config.headDim % 32 != 0) {
    // Blocks never span two heads (llama.cpp refuses the same).
    error = "a q8_0 KV cache quantizes each head in blocks of 32: the head size is " +
            std::to_string(config.headDim) + " here (use --kv-cache=f16)";
    return nullptr;
  }
  return Importer(file, config, ctx, context, options.kvCache).run();
}

} // namespace qnt
