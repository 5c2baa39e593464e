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

#include <map>
#include <memory>
#include <set>
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

  /// The linear layers by the names quant-compile's --keep-float matches
  /// ("blk.0.attn_q", ..., "output"), in model order, and their sizes.
  std::vector<std::string> linearNames() const;
  int64_t linearParameters(const std::string &name) const;
  /// A quantized model computes these linears in float.
  void setKeptFloat(std::set<std::string> names) { keptFloat = std::move(names); }
  /// What the KV cache holds: keys and values kept f32 (the default here),
  /// rounded to f16 as they enter it, or quantized as GGML Q8_0 blocks of 32
  /// along the row (and read back as scale * q): a model compiled with that
  /// --kv-cache.
  enum class Cache { F32, F16, Q8_0 };
  void setCache(Cache type) { cache = type; }
  /// Measures the quantization error of one linear from now on ("": none):
  /// the relative RMS difference of its output from the float output of the
  /// same input, over every call (probedError).
  void setProbe(const std::string &name);
  double probedError() const;
  /// The same for the probed linear's input quantized asymmetrically (zero
  /// points), computed beside the run on the same inputs.
  double probedErrorAsymmetric() const;
  /// Measures every quantized linear at once from now on, each on the inputs
  /// it sees in the quantized model (probedErrors).
  void setProbeEvery();
  /// By linear name: (output error, with asymmetric activations) of each
  /// linear probed since the last setProbe / setProbeEvery.
  std::map<std::string, std::pair<double, double>> probedErrors() const;
  /// A quantized model quantizes these linears' inputs with zero points.
  void setAsymmetric(std::set<std::string> names) { asymmetric = std::move(names); }
  /// Activations against K-quant weights (Q4_K, Q6_K) with one scale per
  /// super-block, as the AVX2 kernels take them
  /// (QNT_QUANT_DEFAULT_SUPER_ACT).
  void setSuperBlockActivations(bool on) { superBlockActivations = on; }
  /// From now on, appends the input of every linear (cols floats per call)
  /// to (*inputs)[name]: what static calibration measures. Null stops it.
  void setRecorder(std::map<std::string, std::vector<float>> *inputs) {
    recorder = inputs;
  }
  /// Static activation scales by linear name: one per block of 32 of the
  /// padded input (quantize's staticScales), in place of the run-time absmax.
  /// Linears without an entry stay dynamic.
  void setStaticScales(std::map<std::string, std::vector<float>> scales) {
    staticScales = std::move(scales);
  }

private:
  /// A linear layer's weight [rows, cols]: float, and quantized if asked.
  struct Weight {
    std::string name; ///< the linear's name ("blk.0.attn_q", "output")
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
  void matmul(float *out, const float *x, const Weight &w);

  gguf::LlamaConfig c;
  bool quantized = false;
  Cache cache = Cache::F32;
  int64_t contextLength = 0;
  std::vector<float> embedding, outputNorm;
  Weight output;
  std::vector<Layer> layers;
  std::vector<float> keyCache, valueCache; ///< [layer][pos][kv_dim]
  std::set<std::string> keptFloat, asymmetric;
  bool superBlockActivations = false;
  std::string probe;
  bool probeEvery = false;
  /// Squared errors (symmetric, asymmetric) and squared norms, by linear.
  struct ProbeSums {
    double error = 0, asymmetric = 0, norm = 0;
    /// The relative RMS errors (symmetric, asymmetric).
    std::pair<double, double> relative() const;
  };
  std::map<std::string, ProbeSums> probes;
  std::map<std::string, std::vector<float>> *recorder = nullptr;
  std::map<std::string, std::vector<float>> staticScales;
};

} // namespace qnt::reference

#endif // QNT_REFERENCE_LLAMA_H
