//===- Sensitivity.h - quant-compile --sensitivity, --accuracy-budget ----===//

#ifndef QNT_TOOLS_QUANT_COMPILE_SENSITIVITY_H
#define QNT_TOOLS_QUANT_COMPILE_SENSITIVITY_H

#include "qnt/GGUF/GGUF.h"
#include "qnt/Reference/Sensitivity.h"

#include <map>

#include <set>
#include <string>
#include <vector>

namespace qnt::compile {

/// The runtime's QNT_TOKENIZER_* and QNT_PRE_* of a GGUF vocabulary.
void runtimeTokenizer(const gguf::Vocabulary &vocab, int32_t &kind, int32_t &pre);

/// The ids of a text in the GGUF's own vocabulary (the runtime's tokenizer,
/// BOS first where the model adds one).
bool tokenizeText(const gguf::File &file, const std::string &text,
                  std::vector<int32_t> &ids, std::string &error);

/// --sensitivity: the per-linear table on stdout, PREFIX.csv and PREFIX.html
/// (an SVG bar chart by layer).
bool writeSensitivity(const gguf::File &file, const std::vector<int32_t> &ids,
                      const std::string &prefix, std::string &error);

/// --accuracy-budget: the linears to keep in float, most sensitive first,
/// until the quantized model's mean KL on `ids` is at most `budget`; a line
/// of what was chosen and what it costs goes to `summary`.
bool chooseKeptFloat(const gguf::File &file, const std::vector<int32_t> &ids,
                     double budget, std::set<std::string> &kept,
                     std::string &summary, std::string &error);

/// How much lower a linear's output error must be with asymmetric
/// activations for --act-asymmetric=auto to choose them: 10%.
constexpr double kAsymmetricGain = 0.10;

/// --act-asymmetric with --calibration: with `choose` (auto), `names` becomes
/// the linears whose output error asymmetric activations cut by
/// kAsymmetricGain or more, all measured in one run of the quantized model
/// (each on the inputs it sees there); then a line comparing the
/// model on `ids` (with `kept` in float) with `names` asymmetric and with
/// none: mean KL and top-1 against float.
bool measureAsymmetric(const gguf::File &file, const std::vector<int32_t> &ids,
                       const std::set<std::string> &kept, bool choose,
                       std::set<std::string> &names, std::string &summary,
                       std::string &error);

/// --act-mode=static: static activation scales of every linear, calibrated
/// by the float reference on `ids`, and a line comparing the quantized
/// model (with `kept` in float) on those tokens with static and with dynamic
/// activations: mean KL and top-1 against float.
bool calibrateStatic(const gguf::File &file, const std::vector<int32_t> &ids,
                     const reference::CalibrationOptions &options,
                     const std::set<std::string> &kept,
                     std::map<std::string, std::vector<float>> &scales,
                     std::string &summary, std::string &error);

} // namespace qnt::compile

#endif // QNT_TOOLS_QUANT_COMPILE_SENSITIVITY_H
