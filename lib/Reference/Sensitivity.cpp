//===- Sensitivity.cpp - What quantizing each linear costs ----------------===//

#include "qnt/Reference/Sensitivity.h"

#include <algorithm>
#include <cmath>

namespace qnt::reference {

namespace {

/// KL(p || q) of the softmaxes of two logit rows, and whether their argmax
/// agrees.
double klDivergence(const float *p, const float *q, int64_t n, bool &agree) {
  double mp = *std::max_element(p, p + n), mq = *std::max_element(q, q + n);
  double sp = 0, sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    sp += std::exp(double(p[i]) - mp);
    sq += std::exp(double(q[i]) - mq);
  }
  double lp = std::log(sp) + mp, lq = std::log(sq) + mq, kl = 0;
  for (int64_t i = 0; i < n; ++i) {
    double logP = double(p[i]) - lp;
    kl += std::exp(logP) * (logP - (double(q[i]) - lq));
  }
  agree = std::max_element(p, p + n) - p == std::max_element(q, q + n) - q;
  return std::max(kl, 0.0);
}

/// Static scales of one linear from its recorded inputs (`seen`: rows of
/// `cols` values): one per block of 32 of the padded row, each the clip of
/// its columns' |x| over every row (of all of them when per tensor).
std::vector<float> scalesOf(const std::vector<float> &seen, int64_t cols,
                            const CalibrationOptions &options) {
  const math::Scheme s = math::Scheme::q8_0();
  int64_t rows = int64_t(seen.size()) / cols, groups = (cols + 31) / 32;
  auto clipOf = [&](int64_t c0, int64_t c1) {
    std::vector<float> sample;
    sample.reserve(size_t(rows * (c1 - c0)));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = c0; c < c1; ++c)
        sample.push_back(std::fabs(seen[size_t(r * cols + c)]));
    return math::percentileOf(sample, options.percentile);
  };
  float whole = clipOf(0, cols);
  if (options.perTensor)
    return std::vector<float>(size_t(groups), math::staticScale(whole, 1.0f, s));
  std::vector<float> out;
  for (int64_t g = 0; g < groups; ++g)
    out.push_back(math::staticScale(clipOf(g * 32, std::min(cols, g * 32 + 32)),
                                    whole, s));
  return out;
}

} // namespace

void Sensitivity::useAsymmetric(std::set<std::string> names) {
  quantized->setAsymmetric(std::move(names));
}

void Sensitivity::useStaticScales(bool use) {
  quantized->setStaticScales(use ? scales : std::map<std::string, std::vector<float>>());
}

std::unique_ptr<Sensitivity> Sensitivity::create(const gguf::File &file,
                                                  std::vector<int32_t> tokens,
                                                  std::string &error,
                                                  const CalibrationOptions *calibration) {
  std::unique_ptr<Sensitivity> s(new Sensitivity());
  std::unique_ptr<Llama> exact = Llama::load(file, 0, false, error);
  if (!exact)
    return nullptr;
  if (int64_t(tokens.size()) > exact->context())
    tokens.resize(size_t(exact->context()));
  if (tokens.size() < 2) {
    error = "the calibration text needs at least 2 tokens";
    return nullptr;
  }
  s->tokens = std::move(tokens);
  s->vocab = exact->config().vocab;
  std::map<std::string, std::vector<float>> inputs;
  if (calibration)
    exact->setRecorder(&inputs);
  s->reference = s->run(*exact);
  exact->setRecorder(nullptr);
  if (calibration)
    for (auto &[name, seen] : inputs) {
      int64_t cols = int64_t(seen.size()) / int64_t(s->tokens.size());
      s->scales[name] = scalesOf(seen, cols, *calibration);
      std::vector<float>().swap(seen);
    }
  exact.reset();
  s->quantized = Llama::load(file, 0, true, error);
  if (!s->quantized)
    return nullptr;
  s->names = s->quantized->linearNames();
  return s;
}

std::vector<float> Sensitivity::run(Llama &model) {
  std::vector<float> logits(tokens.size() * size_t(vocab));
  for (size_t i = 0; i < tokens.size(); ++i)
    model.forward(tokens[i], int64_t(i), &logits[i * size_t(vocab)]);
  return logits;
}

double Sensitivity::klWith(const std::set<std::string> &keptFloat, double *top1) {
  quantized->setKeptFloat(keptFloat);
  std::vector<float> logits = run(*quantized);
  double sum = 0;
  int64_t agree = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    bool same;
    sum += klDivergence(&reference[i * size_t(vocab)], &logits[i * size_t(vocab)],
                        vocab, same);
    agree += same;
  }
  if (top1)
    *top1 = double(agree) / double(tokens.size());
  return sum / double(tokens.size());
}

std::vector<LayerSensitivity> Sensitivity::perLayer() {
  std::vector<LayerSensitivity> out;
  for (const std::string &name : names) {
    std::set<std::string> others(names.begin(), names.end());
    others.erase(name);
    quantized->setProbe(name);
    LayerSensitivity s;
    s.name = name;
    s.parameters = quantized->linearParameters(name);
    s.kl = klWith(others);
    s.outputError = quantized->probedError();
    s.asymmetricError = quantized->probedErrorAsymmetric();
    out.push_back(s);
  }
  quantized->setProbe("");
  return out;
}

std::map<std::string, std::pair<double, double>>
Sensitivity::outputErrors(const std::set<std::string> &keptFloat) {
  quantized->setProbeEvery();
  klWith(keptFloat);
  std::map<std::string, std::pair<double, double>> errors =
      quantized->probedErrors();
  quantized->setProbe("");
  return errors;
}

} // namespace qnt::reference
