//===- Sensitivity.cpp - quant-compile --sensitivity, --accuracy-budget --===//
//
// Both measure with the scalar quantized reference (lib/Reference), for the
// default scheme (Q8_0 weights, per-block int8 activations), on the
// calibration text's tokens.
//
//===----------------------------------------------------------------------===//

#include "Sensitivity.h"

#include "qnt/Reference/Sensitivity.h"
#include "qnt/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace qnt::compile {

void runtimeTokenizer(const gguf::Vocabulary &vocab, int32_t &kind, int32_t &pre) {
  using Pre = gguf::Vocabulary::PreTokenizer;
  kind = vocab.model == gguf::Vocabulary::Model::BytePairs ? QNT_TOKENIZER_BPE
                                                           : QNT_TOKENIZER_SPM;
  switch (vocab.pre) {
  case Pre::Gpt2:
    pre = QNT_PRE_GPT2;
    break;
  case Pre::Llama3:
    pre = QNT_PRE_LLAMA3;
    break;
  case Pre::Qwen2:
    pre = QNT_PRE_QWEN2;
    break;
  case Pre::SmolLM:
    pre = QNT_PRE_SMOLLM;
    break;
  }
}

bool tokenizeText(const gguf::File &file, const std::string &text,
                  std::vector<int32_t> &ids, std::string &error) {
  gguf::Vocabulary vocab;
  if (!gguf::readVocabulary(file, vocab, error))
    return false;
  qnt_vocab v = {};
  v.size = int32_t(vocab.tokens.size());
  runtimeTokenizer(vocab, v.kind, v.pre);
  v.bos = vocab.bos;
  v.eos = vocab.eos;
  v.unk = vocab.unk;
  v.eot = vocab.eot;
  v.add_bos = vocab.addBos;
  v.pieces = static_cast<char **>(std::calloc(size_t(v.size), sizeof(char *)));
  v.lengths = static_cast<uint32_t *>(std::calloc(size_t(v.size), sizeof(uint32_t)));
  v.scores = static_cast<float *>(std::calloc(size_t(v.size), sizeof(float)));
  v.types = static_cast<int32_t *>(std::calloc(size_t(v.size), sizeof(int32_t)));
  for (int32_t i = 0; i < v.size; ++i) {
    v.pieces[i] = strdup(vocab.tokens[i].c_str());
    v.lengths[i] = uint32_t(vocab.tokens[i].size());
    v.scores[i] = vocab.scores[i];
    v.types[i] = vocab.types[i];
  }
  std::vector<const char *> merges;
  std::vector<uint32_t> lengths;
  for (const std::string &m : vocab.merges) {
    merges.push_back(m.c_str());
    lengths.push_back(uint32_t(m.size()));
  }
  char why[256];
  bool ok = qnt_vocab_prepare(&v, merges.data(), lengths.data(),
                              int64_t(merges.size()), why, sizeof why) == 0;
  if (!ok)
    error = why;
  if (ok) {
    ids.resize(text.size() + 8);
    int64_t n = qnt_tokenize(&v, text.c_str(), v.add_bos && v.bos >= 0, ids.data(),
                             int64_t(ids.size()));
    ok = n >= 0;
    if (!ok)
      error = n == -2 ? "the calibration text is not valid UTF-8"
                      : "cannot tokenize the calibration text";
    else
      ids.resize(size_t(n));
  }
  qnt_vocab_free(&v);
  return ok;
}

namespace {

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s)
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

std::string format(const char *fmt, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, fmt, v);
  return buffer;
}

/// A self-contained page: the table, and bars by layer for both measures.
std::string html(const std::vector<reference::LayerSensitivity> &layers,
                 double full, double top1, int64_t positions) {
  double maxKl = 1e-30, maxErr = 1e-30;
  for (const auto &l : layers) {
    maxKl = std::max(maxKl, l.kl);
    maxErr = std::max(maxErr, l.outputError);
  }
  const int rowHeight = 16, label = 150, bar = 360, width = label + 2 * bar + 140;
  int height = int(layers.size()) * rowHeight + 40;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << height << "\" font-family=\"monospace\" font-size=\"11\">\n";
  svg << "<text x=\"" << label << "\" y=\"14\">KL with only this linear quantized</text>\n";
  svg << "<text x=\"" << label + bar + 70 << "\" y=\"14\">output error (relative RMS; "
         "green: asymmetric activations)</text>\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto &l = layers[i];
    int y = 24 + int(i) * rowHeight;
    double wk = bar * l.kl / maxKl, we = bar * l.outputError / maxErr;
    double wa = bar * l.asymmetricError / maxErr;
    svg << "<text x=\"0\" y=\"" << y + 11 << "\">" << escape(l.name) << "</text>\n";
    svg << "<rect x=\"" << label << "\" y=\"" << y << "\" width=\"" << format("%.1f", wk)
        << "\" height=\"12\" fill=\"#c0392b\"><title>" << escape(l.name) << ": KL "
        << format("%.3g", l.kl) << "</title></rect>\n";
    svg << "<rect x=\"" << label + bar + 70 << "\" y=\"" << y << "\" width=\""
        << format("%.1f", we) << "\" height=\"12\" fill=\"#2e86c1\"><title>"
        << escape(l.name) << ": " << format("%.3g", l.outputError) << "</title></rect>\n";
    svg << "<rect x=\"" << label + bar + 70 << "\" y=\"" << y + 9 << "\" width=\""
        << format("%.1f", wa) << "\" height=\"3\" fill=\"#27ae60\"><title>"
        << escape(l.name) << ", asymmetric: " << format("%.3g", l.asymmetricError)
        << "</title></rect>\n";
  }
  svg << "</svg>\n";
  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>quantization "
          "sensitivity</title>\n<style>body{font-family:sans-serif;margin:2em}"
          "table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
          "td:first-child{text-align:left}</style></head><body>\n";
  page << "<h1>What quantizing each linear costs</h1>\n<p>Q8_0 weights, per-block "
          "int8 activations; " << positions << " positions of the calibration text. "
          "Every linear quantized: mean KL " << format("%.3g", full) << ", top-1 "
       << format("%.1f", 100 * top1) << "%.</p>\n";
  page << svg.str();
  page << "<table>\n<tr><th>linear</th><th>parameters</th><th>KL</th><th>output "
          "error</th><th>asymmetric</th></tr>\n";
  for (const auto &l : layers)
    page << "<tr><td>" << escape(l.name) << "</td><td>" << l.parameters << "</td><td>"
         << format("%.3g", l.kl) << "</td><td>" << format("%.3g", l.outputError)
         << "</td><td>" << format("%.3g", l.asymmetricError) << "</td></tr>\n";
  page << "</table>\n</body></html>\n";
  return page.str();
}

} // namespace

bool writeSensitivity(const gguf::File &file, const std::vector<int32_t> &ids,
                      const std::string &prefix, std::string &error) {
  auto s = reference::Sensitivity::create(file, ids, error);
  if (!s)
    return false;
  double top1 = 0;
  double full = s->klWith({}, &top1);
  std::vector<reference::LayerSensitivity> layers = s->perLayer();
  std::printf("sensitivity over %lld positions: every linear quantized: mean KL "
              "%.3g, top-1 %.1f%%\n",
              (long long)s->positions(), full, 100 * top1);
  std::printf("%-22s %12s %12s %14s %12s\n", "linear", "parameters", "KL",
              "output error", "asymmetric");
  std::vector<reference::LayerSensitivity> sorted = layers;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto &a, const auto &b) { return a.kl > b.kl; });
  for (const auto &l : sorted)
    std::printf("%-22s %12lld %12.3g %14.3g %12.3g\n", l.name.c_str(),
                (long long)l.parameters, l.kl, l.outputError, l.asymmetricError);
  std::ofstream csv(prefix + ".csv");
  csv << "linear,parameters,kl,output_error,asymmetric_output_error\n";
  for (const auto &l : layers)
    csv << l.name << "," << l.parameters << "," << format("%.6g", l.kl) << ","
        << format("%.6g", l.outputError) << "," << format("%.6g", l.asymmetricError)
        << "\n";
  std::ofstream page(prefix + ".html");
  page << html(layers, full, top1, s->positions());
  if (!csv || !page) {
    error = "cannot write " + prefix + ".csv / .html";
    return false;
  }
  std::printf("wrote %s.csv and %s.html\n", prefix.c_str(), prefix.c_str());
  return true;
}

bool chooseKeptFloat(const gguf::File &file, const std::vector<int32_t> &ids,
                     double budget, std::set<std::string> &kept,
                     std::string &summary, std::string &error) {
  auto s = reference::Sensitivity::create(file, ids, error);
  if (!s)
    return false;
  double kl = s->klWith(kept);
  double start = kl;
  if (kl > budget) {
    std::vector<reference::LayerSensitivity> layers = s->perLayer();
    std::stable_sort(layers.begin(), layers.end(),
                     [](const auto &a, const auto &b) { return a.kl > b.kl; });
    for (const auto &l : layers) {
      if (kl <= budget)
        break;
      if (kept.count(l.name))
        continue;
      kept.insert(l.name);
      kl = s->klWith(kept);
    }
  }
  int64_t floatParams = 0, all = 0;
  for (const std::string &name : s->linears()) {
    all += s->parameters(name);
    if (kept.count(name))
      floatParams += s->parameters(name);
  }
  // Bytes of the linears' weights: Q8_0 is 34 per 32 values, f32 4 per value.
  double q8 = 34.0 / 32.0, before = double(all) * q8,
         after = double(all - floatParams) * q8 + double(floatParams) * 4.0;
  std::ostringstream out;
  out << "accuracy budget KL " << format("%.3g", budget) << ": quantized KL "
      << format("%.3g", start) << " -> " << format("%.3g", kl) << " over "
      << s->positions() << " positions";
  if (kl > budget)
    out << " (not met: every linear is in float)";
  out << "; kept in float: ";
  if (kept.empty())
    out << "none";
  for (auto it = kept.begin(); it != kept.end(); ++it)
    out << (it == kept.begin() ? "" : ",") << *it;
  out << "; weights " << format("%.0f", before) << " -> " << format("%.0f", after)
      << " bytes (+" << format("%.1f", 100 * (after / before - 1))
      << "%, decode reads that much more per token)";
  summary = out.str();
  return true;
}

bool measureAsymmetric(const gguf::File &file, const std::vector<int32_t> &ids,
                       const std::set<std::string> &kept, bool choose,
                       std::set<std::string> &names, std::string &summary,
                       std::string &error) {
  auto s = reference::Sensitivity::create(file, ids, error);
  if (!s)
    return false;
  if (choose) {
    names.clear();
    for (const auto &[name, errors] : s->outputErrors(kept))
      if (errors.second < (1.0 - kAsymmetricGain) * errors.first)
        names.insert(name);
  }
  double symmetricTop1 = 0, asymmetricTop1 = 0;
  double symmetricKl = s->klWith(kept, &symmetricTop1);
  s->useAsymmetric(names);
  double asymmetricKl = s->klWith(kept, &asymmetricTop1);
  std::ostringstream out;
  out << "asymmetric activations on " << names.size() << " of "
      << s->linears().size() << " linears";
  if (choose)
    out << " (those whose output error they cut by " << format("%.0f", 100 * kAsymmetricGain)
        << "% or more)";
  out << ": mean KL " << format("%.3g", asymmetricKl) << ", top-1 "
      << format("%.1f", 100 * asymmetricTop1) << "% against float over "
      << s->positions() << " positions (symmetric: KL " << format("%.3g", symmetricKl)
      << ", top-1 " << format("%.1f", 100 * symmetricTop1) << "%)";
  summary = out.str();
  return true;
}

bool calibrateStatic(const gguf::File &file, const std::vector<int32_t> &ids,
                     const reference::CalibrationOptions &options,
                     const std::set<std::string> &kept,
                     std::map<std::string, std::vector<float>> &scales,
                     std::string &summary, std::string &error) {
  auto s = reference::Sensitivity::create(file, ids, error, &options);
  if (!s)
    return false;
  double dynamicTop1 = 0, staticTop1 = 0;
  double dynamicKl = s->klWith(kept, &dynamicTop1);
  s->useStaticScales(true);
  double staticKl = s->klWith(kept, &staticTop1);
  scales = s->staticScales();
  std::ostringstream out;
  out << "static activations (";
  if (options.percentile >= 100)
    out << "absmax";
  else
    out << "percentile " << format("%g", options.percentile);
  out << ", " << (options.perTensor ? "per tensor" : "per block of 32")
      << ") calibrated on " << s->positions() << " positions: mean KL "
      << format("%.3g", staticKl) << ", top-1 " << format("%.1f", 100 * staticTop1)
      << "% against float on that text (dynamic: KL " << format("%.3g", dynamicKl)
      << ", top-1 " << format("%.1f", 100 * dynamicTop1) << "%)";
  summary = out.str();
  return true;
}

} // namespace qnt::compile
