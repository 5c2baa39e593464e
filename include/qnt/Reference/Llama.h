//===- Llama.h - The float reference forward pass ------------*- C++ -*-===//
//
// A scalar float implementation of the llama forward pass, written the way
// llama2.c's run.c writes it and independent of the compiler: no MLIR, no
// generated code, weights read straight from the GGUF (F16, BF16 and Q8_0
// converted to float). It is what quant-run --check and the end-to-end tests
// compare compiled models with.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_REFERENCE_LLAMA_H
#define QNT_REFERENCE_LLAMA_H

#include "qnt/GGUF/GGUF.h"

#include <memory>
#include <string>
#include <vector>

namespace qnt::reference {

class Llama {
public:
  /// Loads every weight as float; `context` caps the KV cache (0: the
  /// model's context length).
  static std::unique_ptr<Llama> load(const gguf::File &file, int64_t context,
                                     std::string &error);

  const gguf::LlamaConfig &config() const { return c; }
  int64_t context() const { return contextLength; }

  /// Logits (vocab floats) of `token` at `pos`. Positions run 0, 1, 2, ...:
  /// each call adds the token's keys and values to the cache.
  void forward(int32_t token, int64_t pos, float *logits);

private:
  struct Layer {
    std::vector<float> attnNorm, wq, wk, wv, wo, ffnNorm, gate, up, down;
  };
  gguf::LlamaConfig c;
  int64_t contextLength = 0;
  std::vector<float> embedding, outputNorm, output;
  std::vector<Layer> layers;
  std::vector<float> keyCache, valueCache; ///< [layer][pos][kv_dim]
};

} // namespace qnt::reference

#endif // QNT_REFERENCE_LLAMA_H
