//===- Llama.h - The float reference forward pass ------------*- C++ -*-===//
//
// A scalar float implementation of the llama-family forward pass (llama,
// qwen2's biases, qwen3's per-head q/k norms, NEOX RoPE, Llama 3.1's
// frequency factors), written the way
// llama2.c's run.c writes it and independent of the compiler: no MLIR, no
// generated code, weights read straight from the GGUF (every type converted
// to float by qnt::gguf::readAsFloat). It is what quant-run --check and the end-to-end tests
// compare compiled models with.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_REFERENCE_LLAMA_H
#define QNT_REFERENCE_LLAMA_H

#include "qnt/GGUF/GGUF.h"
#include "qnt/Math/Quant.h"

#include <memory>
#include <string>
#include <vector>

namespace qnt::reference {

class Llama {
public:
  /// Loads every weight as float; `context` caps the KV cache (0: the
  /// model's context length). With `quantized`, every linear layer computes
  /// what quant-compile's default scheme computes, in scalar code: weights
  /// quantized as GGML Q8_0 (per channel where 32 does not divide K), the
  /// activation quantized per block of 32 with f32 scales (per token where
  /// 32 does not divide K), an integer dot per block scaled and summed in
  /// f32 (qnt::math::referenceMatmul).
  static std::unique_ptr<Llama> load(const gguf::File &file, int64_t context,
                                     bool quantized, std::string &error);

  const gguf::LlamaConfig &config() const { return c; }
  int64_t context() const { return contextLength; }

  /// Logits (vocab floats) of `token` at `pos`. Positions run 0, 1, 2, ...:
  /// each call adds the token's keys and values to the cache.
  void forward(int32_t token, int64_t pos, float *logits);

private:
  /// A linear layer's weight [rows, cols]: float, and quantized if asked.
  struct Weight {
    std::vector<float> values;
    math::QuantizedTensor quantized;
    int64_t rows = 0, cols = 0;
  };
  struct Layer {
    std::vector<float> attnNorm, ffnNorm;
    std::vector<float> qBias, kBias, vBias; ///< qwen2
    std::vector<float> qNorm, kNorm;        ///< qwen3, per head
    Weight wq, wk, wv, wo, gate, up, down;
  };
  void matmul(float *out, const float *x, const Weight &w) const;

  gguf::LlamaConfig c;
  bool quantized = false;
  int64_t contextLength = 0;
  std::vector<float> embedding, outputNorm;
  Weight output;
  std::vector<Layer> layers;
  std::vector<float> keyCache, valueCache; ///< [layer][pos][kv_dim]
};

} // namespace qnt::reference

#endif // QNT_REFERENCE_LLAMA_H
