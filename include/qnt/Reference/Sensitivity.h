//===- Sensitivity.h - What quantizing each linear costs ------*- C++ -*-===//
//
// On a calibration sequence, the scalar reference (lib/Reference) runs the
// float model once, then the quantized model with one linear quantized at a
// time (the others in float): the mean KL divergence of that model's next-
// token distributions from the float model's, and the linear's own output
// error (relative RMS against its float output on the same inputs). The
// same machinery measures the whole model with chosen linears kept in float,
// which is what quant-compile --accuracy-budget searches with.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_REFERENCE_SENSITIVITY_H
#define QNT_REFERENCE_SENSITIVITY_H

#include "qnt/GGUF/GGUF.h"
#include "qnt/Reference/Llama.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace qnt::reference {

struct LayerSensitivity {
  std::string name;   ///< "blk.0.attn_q", ..., "output"
  int64_t parameters = 0;
  double kl = 0;          ///< mean KL with only this linear quantized
  double outputError = 0; ///< relative RMS error of its output
  /// The same with its input quantized asymmetrically (zero points).
  double asymmetricError = 0;
};

/// How static activation scales are derived from a calibration run.
struct CalibrationOptions {
  double percentile = 100; ///< clip at this percentile of |x| (100: absmax)
  bool perTensor = false;  ///< one scale per linear input, else per block of 32
};

/// The float model's logits on a sequence, and quantized runs against them.
class Sensitivity {
public:
  /// Loads both models for `tokens` (at most the model's context). With
  /// `calibration`, the float run also records every linear's inputs and
  /// derives static activation scales from them (staticScales).
  static std::unique_ptr<Sensitivity>
  create(const gguf::File &file, std::vector<int32_t> tokens, std::string &error,
         const CalibrationOptions *calibration = nullptr);

  /// The calibrated scales by linear name, one per block of 32 of the padded
  /// input (equal when per tensor); empty without calibration.
  const std::map<std::string, std::vector<float>> &staticScales() const {
    return scales;
  }
  /// Whether the quantized runs use the calibrated scales (else absmax at
  /// run time, the default).
  void useStaticScales(bool use);
  /// The quantized runs quantize these linears' inputs with zero points.
  void useAsymmetric(std::set<std::string> names);

  /// Mean KL (and top-1 agreement) of the quantized model with `keptFloat`
  /// in float, over every position.
  double klWith(const std::set<std::string> &keptFloat, double *top1 = nullptr);
  /// One entry per linear, in model order.
  std::vector<LayerSensitivity> perLayer();
  /// Every quantized linear's output error, symmetric and asymmetric, in
  /// one run of the quantized model with `keptFloat` in float (each on the
  /// inputs it sees there), by name.
  std::map<std::string, std::pair<double, double>>
  outputErrors(const std::set<std::string> &keptFloat);

  const std::vector<std::string> &linears() const { return names; }
  int64_t positions() const { return int64_t(tokens.size()); }
  int64_t parameters(const std::string &name) const {
    return quantized->linearParameters(name);
  }

private:
  std::vector<float> run(Llama &model);
  std::vector<int32_t> tokens;
  std::unique_ptr<Llama> quantized;
  std::vector<float> reference; ///< float logits [positions, vocab]
  std::vector<std::string> names;
  std::map<std::string, std::vector<float>> scales;
  int64_t vocab = 0;
};

} // namespace qnt::reference

#endif // QNT_REFERENCE_SENSITIVITY_H
