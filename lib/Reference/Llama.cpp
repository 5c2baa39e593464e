//===- Llama.cpp - The float reference forward pass -----------------------===//

#include "qnt/Reference/Llama.h"

#include "qnt/Math/Ggml.h"

#include <algorithm>
#include <cmath>

namespace qnt::reference {

namespace {

void rmsNorm(float *out, const float *x, const float *weight, int64_t n,
             float eps) {
  float ss = 0.0f;
  for (int64_t j = 0; j < n; ++j)
    ss += x[j] * x[j];
  ss /= float(n);
  ss += eps;
  ss = 1.0f / std::sqrt(ss);
  for (int64_t j = 0; j < n; ++j)
    out[j] = weight[j] * (ss * x[j]);
}

/// The reduction as quant-compile stores it: padded with zeros to whole
/// blocks of 32, as GGML pads an odd one (a zero changes no dot product).
int64_t paddedCols(int64_t cols) { return (cols + 31) / 32 * 32; }

/// The schemes quant-compile uses by default: Q8_0 weights, and per-block
/// activations with f32 scales.
math::Scheme weightScheme() { return math::Scheme::q8_0(); }
math::Scheme activationScheme() {
  math::Scheme s = math::Scheme::q8_0();
  s.f16Scale = false;
  return s;
}

/// Rotation of every head of `v` (n values) at `pos`: pair i of a head is
/// (x[2i], x[2i+1]), or (x[i], x[i + ropeDim/2]) with neox; its frequency
/// 1 / base^(2i / ropeDim) is divided by factors[i] when there are factors.
void rope(float *v, int64_t n, const gguf::LlamaConfig &c, int64_t pos) {
  int64_t half = c.ropeDim / 2;
  for (int64_t head = 0; head < n; head += c.headDim) {
    for (int64_t i = 0; i < half; ++i) {
      float freq = 1.0f / std::pow(c.ropeBase, float(2 * i) / float(c.ropeDim));
      if (!c.ropeFactors.empty())
        freq = freq / c.ropeFactors[i];
      float angle = float(pos) * freq;
      float cs = std::cos(angle), sn = std::sin(angle);
      float *a = &v[head + (c.neox ? i : 2 * i)];
      float *b = &v[head + (c.neox ? i + half : 2 * i + 1)];
      float v0 = *a, v1 = *b;
      *a = v0 * cs - v1 * sn;
      *b = v0 * sn + v1 * cs;
    }
  }
}

} // namespace

/// out[i] = sum_j w[i, j] * x[j]: in float, or as the quantized kernels do
/// when the model is quantized and the layer is not kept in float. The
/// probed layer's quantization error (against its float output on the same
/// input) is accumulated.
void Llama::matmul(float *out, const float *x, const Weight &w) {
  auto inFloat = [&](float *y) {
    for (int64_t i = 0; i < w.rows; ++i) {
      float acc = 0.0f;
      for (int64_t j = 0; j < w.cols; ++j)
        acc += w.values[i * w.cols + j] * x[j];
      y[i] = acc;
    }
  };
  if (recorder) {
    std::vector<float> &seen = (*recorder)[w.name];
    seen.insert(seen.end(), x, x + w.cols);
  }
  if (!quantized || keptFloat.count(w.name)) {
    inFloat(out);
    return;
  }
  std::vector<float> padded = math::padColumns(x, 1, w.cols, paddedCols(w.cols));
  // y = the quantized product with x quantized by `s`.
  auto quantizedProduct = [&](const math::Scheme &s, const float *scales, float *y) {
    math::QuantizedTensor qx;
    math::quantize(padded.data(), 1, w.quantized.cols, s, qx, scales);
    math::referenceMatmul(qx, w.quantized, y);
  };
  math::Scheme scheme = activationScheme();
  // Activation blocks follow the weight's (16 against Q6_K's groups).
  if (w.quantized.scheme.granularity == math::Granularity::PerBlock)
    scheme.block = w.quantized.scheme.block;
  // K-quants' (Q4_K, Q6_K) a scale per super-block where the kernels take
  // them so (the product sums per weight group all the same).
  if (superBlockActivations && w.quantized.scheme.superBlock)
    scheme.block = w.quantized.scheme.superBlock;
  math::Scheme other = scheme;
  scheme.symmetric = !asymmetric.count(w.name);
  other.symmetric = false;
  auto fixed = staticScales.find(w.name);
  quantizedProduct(scheme, fixed == staticScales.end() ? nullptr : fixed->second.data(),
                   out);
  if (probeEvery || w.name == probe) {
    std::vector<float> exact(size_t(w.rows)), asym(size_t(w.rows));
    inFloat(exact.data());
    quantizedProduct(other, nullptr, asym.data());
    ProbeSums &sums = probes[w.name];
    for (int64_t i = 0; i < w.rows; ++i) {
      double d = double(out[i]) - double(exact[i]);
      double da = double(asym[i]) - double(exact[i]);
      sums.error += d * d;
      sums.asymmetric += da * da;
      sums.norm += double(exact[i]) * double(exact[i]);
    }
  }
}

std::vector<std::string> Llama::linearNames() const {
  std::vector<std::string> names;
  for (int64_t l = 0; l < c.blocks; ++l)
    for (const char *role : {"attn_q", "attn_k", "attn_v", "attn_output",
                             "ffn_gate", "ffn_up", "ffn_down"})
      names.push_back("blk." + std::to_string(l) + "." + role);
  names.push_back("output");
  return names;
}

int64_t Llama::linearParameters(const std::string &name) const {
  if (name == "output")
    return output.rows * output.cols;
  for (const Layer &L : layers)
    for (const Weight *w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.gate, &L.up, &L.down})
      if (w->name == name)
        return w->rows * w->cols;
  return 0;
}

std::pair<double, double> Llama::ProbeSums::relative() const {
  if (norm <= 0)
    return {0.0, 0.0};
  return {std::sqrt(error / norm), std::sqrt(asymmetric / norm)};
}

std::map<std::string, std::pair<double, double>> Llama::probedErrors() const {
  std::map<std::string, std::pair<double, double>> out;
  for (const auto &[name, sums] : probes)
    out[name] = sums.relative();
  return out;
}

double Llama::probedError() const {
  auto it = probes.find(probe);
  return it == probes.end() ? 0.0 : it->second.relative().first;
}

double Llama::probedErrorAsymmetric() const {
  auto it = probes.find(probe);
  return it == probes.end() ? 0.0 : it->second.relative().second;
}

void Llama::setProbe(const std::string &name) {
  probe = name;
  probeEvery = false;
  probes.clear();
}

void Llama::setProbeEvery() {
  probe.clear();
  probeEvery = true;
  probes.clear();
}

std::unique_ptr<Llama> Llama::load(const gguf::File &file, int64_t context,
                                   bool quantized, std::string &error) {
  std::unique_ptr<Llama> m(new Llama());
  m->quantized = quantized;
  if (!gguf::readLlamaConfig(file, m->c, error))
    return nullptr;
  m->contextLength = context > 0 ? std::min(context, m->c.context) : m->c.context;
  auto read = [&](const std::string &name, std::vector<float> &out) {
    const gguf::TensorInfo *t = file.tensor(name);
    return t && gguf::readAsFloat(*t, out, error);
  };
  auto weight = [&](const std::string &name, Weight &w) {
    // Named as the importer names the linear: the tensor without ".weight"
    // ("blk.0.attn_q"), the output head "output" (tied or not).
    w.name = name == "token_embd.weight" ? "output"
                                         : name.substr(0, name.size() - 7);
    const gguf::TensorInfo *t = file.tensor(name);
    if (!t || !gguf::readAsFloat(*t, w.values, error))
      return false;
    w.rows = t->shape()[0];
    w.cols = t->shape()[1];
    if (!quantized)
      return true;
    // A Q4_0, Q4_1, Q4_K or IQ4_NL tensor stays 4-bit, and Q6_K 6-bit, its
    // values as they are (quant-compile's default, --weight-bits=auto); the
    // rest is quantized to Q8_0.
    bool q4_0 = t->type == uint32_t(math::GgmlFormat::Q4_0);
    bool q6_k = t->type == uint32_t(math::GgmlFormat::Q6_K);
    if (q6_k || t->type == uint32_t(math::GgmlFormat::IQ4_NL)) {
      if (!(q6_k ? math::unpackQ6_K(t->data, w.rows, w.cols, w.quantized)
                 : math::unpackIQ4_NL(t->data, w.rows, w.cols, w.quantized)) ||
          !math::padColumns(w.quantized, paddedCols(w.cols))) {
        error = "cannot unpack " + name;
        return false;
      }
      return true;
    }
    if (q4_0 || t->type == uint32_t(math::GgmlFormat::Q4_1) ||
        t->type == uint32_t(math::GgmlFormat::Q4_K)) {
      bool unpacked = q4_0 ? math::unpackQ4_0(t->data, w.rows, w.cols, w.quantized)
                           : math::unpackGgmlWithMins(t->type, t->data, w.rows,
                                                      w.cols, w.quantized);
      if (!unpacked || !math::padColumns(w.quantized, paddedCols(w.cols))) {
        error = "cannot unpack " + name;
        return false;
      }
      return true;
    }
    std::vector<float> padded =
        math::padColumns(w.values.data(), w.rows, w.cols, paddedCols(w.cols));
    if (!math::quantize(padded.data(), w.rows, paddedCols(w.cols), weightScheme(),
                        w.quantized)) {
      error = "cannot quantize " + name;
      return false;
    }
    return true;
  };
  // A table in a GGML block format other than Q8_0, Q4_0, Q4_1 and Q4_K
  // (gathered as they are: ggml's values), or Q6_K as a tied output head's
  // (gathered from the head's 6-bit tiles), is gathered from its Q8_0
  // requantization, as quant-compile stores it (rows of whole blocks).
  auto table = [&](const std::string &name, std::vector<float> &out) {
    if (!read(name, out))
      return false;
    const gguf::TensorInfo *t = file.tensor(name);
    int64_t values = 0, bytes = 0, cols = t->shape()[1];
    bool kept =
        t->type == uint32_t(math::GgmlFormat::Q8_0) ||
        t->type == uint32_t(math::GgmlFormat::Q4_0) ||
        t->type == uint32_t(math::GgmlFormat::Q4_1) ||
        t->type == uint32_t(math::GgmlFormat::Q4_K) ||
        (t->type == uint32_t(math::GgmlFormat::Q6_K) && m->c.tiedOutput);
    if (!quantized || kept || !math::ggmlBlockGeometry(t->type, values, bytes) ||
        cols % 32 != 0)
      return true;
    math::QuantizedTensor q;
    if (!math::quantize(out.data(), t->shape()[0], cols, math::Scheme::q8_0(), q)) {
      error = "cannot quantize " + name;
      return false;
    }
    for (int64_t r = 0; r < q.rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        out[r * cols + c] = q.dequantized(r, c);
    return true;
  };
  if (!table("token_embd.weight", m->embedding) ||
      !read("output_norm.weight", m->outputNorm) ||
      !weight(m->c.tiedOutput ? "token_embd.weight" : "output.weight", m->output))
    return nullptr;
  m->layers.resize(m->c.blocks);
  for (int64_t l = 0; l < m->c.blocks; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    Layer &L = m->layers[l];
    if (m->c.qkvBias && (!read(p + "attn_q.bias", L.qBias) ||
                         !read(p + "attn_k.bias", L.kBias) ||
                         !read(p + "attn_v.bias", L.vBias)))
      return nullptr;
    if (m->c.qkNorm && (!read(p + "attn_q_norm.weight", L.qNorm) ||
                        !read(p + "attn_k_norm.weight", L.kNorm)))
      return nullptr;
    if (!read(p + "attn_norm.weight", L.attnNorm) || !weight(p + "attn_q.weight", L.wq) ||
        !weight(p + "attn_k.weight", L.wk) || !weight(p + "attn_v.weight", L.wv) ||
        !weight(p + "attn_output.weight", L.wo) || !read(p + "ffn_norm.weight", L.ffnNorm) ||
        !weight(p + "ffn_gate.weight", L.gate) || !weight(p + "ffn_up.weight", L.up) ||
        !weight(p + "ffn_down.weight", L.down))
      return nullptr;
  }
  int64_t kvDim = m->c.kvHeads * m->c.headDim;
  m->keyCache.assign(m->c.blocks * m->contextLength * kvDim, 0.0f);
  m->valueCache.assign(m->keyCache.size(), 0.0f);
  return m;
}

void Llama::forward(int32_t token, int64_t pos, float *logits) {
  const int64_t dim = c.dim, hd = c.headDim, kvDim = c.kvHeads * hd;
  const int64_t group = c.heads / c.kvHeads;
  std::vector<float> x(embedding.begin() + int64_t(token) * dim,
                       embedding.begin() + int64_t(token + 1) * dim);
  const int64_t qDim = c.qDim;
  std::vector<float> xb(std::max(dim, qDim)), xb2(dim), q(qDim), att(pos + 1),
      hb(c.ffn), hb2(c.ffn);
  for (int64_t l = 0; l < c.blocks; ++l) {
    Layer &L = layers[l];
    rmsNorm(xb.data(), x.data(), L.attnNorm.data(), dim, c.rmsEps);
    float *k = &keyCache[(l * contextLength + pos) * kvDim];
    float *v = &valueCache[(l * contextLength + pos) * kvDim];
    matmul(q.data(), xb.data(), L.wq);
    matmul(k, xb.data(), L.wk);
    matmul(v, xb.data(), L.wv);
    if (c.qkvBias)
      for (int64_t i = 0; i < qDim; ++i) {
        q[i] += L.qBias[i];
        if (i < kvDim) {
          k[i] += L.kBias[i];
          v[i] += L.vBias[i];
        }
      }
    if (c.qkNorm) {
      for (int64_t h = 0; h < c.heads; ++h)
        rmsNorm(&q[h * hd], &q[h * hd], L.qNorm.data(), hd, c.rmsEps);
      for (int64_t h = 0; h < c.kvHeads; ++h)
        rmsNorm(&k[h * hd], &k[h * hd], L.kNorm.data(), hd, c.rmsEps);
    }
    rope(q.data(), qDim, c, pos);
    rope(k, kvDim, c, pos);
    if (cache == Cache::F16) // stored in an f16 cache: rounded as written
      for (int64_t i = 0; i < kvDim; ++i) {
        k[i] = math::fp16ToFloat(math::floatToFp16(k[i]));
        v[i] = math::fp16ToFloat(math::floatToFp16(v[i]));
      }
    if (cache == Cache::Q8_0) { // quantized as written, read as d * q
      const math::Scheme q8 = math::Scheme::q8_0();
      int8_t q[32];
      for (float *row : {k, v})
        for (int64_t b0 = 0; b0 + 32 <= kvDim; b0 += 32) {
          float d = math::storedScale(math::quantizeGroup(row + b0, 32, q8, q), q8);
          for (int64_t i = 0; i < 32; ++i)
            row[b0 + i] = d * float(q[i]);
        }
    }

    for (int64_t h = 0; h < c.heads; ++h) {
      const float *qh = &q[h * hd];
      int64_t kvh = h / group;
      float maxScore = -INFINITY;
      for (int64_t t = 0; t <= pos; ++t) {
        const float *kt = &keyCache[(l * contextLength + t) * kvDim + kvh * hd];
        float score = 0.0f;
        for (int64_t i = 0; i < hd; ++i)
          score += qh[i] * kt[i];
        att[t] = score / std::sqrt(float(hd));
        maxScore = std::max(maxScore, att[t]);
      }
      float sum = 0.0f;
      for (int64_t t = 0; t <= pos; ++t) {
        att[t] = std::exp(att[t] - maxScore);
        sum += att[t];
      }
      float *out = &xb[h * hd];
      std::fill(out, out + hd, 0.0f);
      for (int64_t t = 0; t <= pos; ++t) {
        const float *vt = &valueCache[(l * contextLength + t) * kvDim + kvh * hd];
        float a = att[t] / sum;
        for (int64_t i = 0; i < hd; ++i)
          out[i] += a * vt[i];
      }
    }
    matmul(xb2.data(), xb.data(), L.wo); // xb holds qDim values
    for (int64_t i = 0; i < dim; ++i)
      x[i] += xb2[i];

    rmsNorm(xb.data(), x.data(), L.ffnNorm.data(), dim, c.rmsEps);
    matmul(hb.data(), xb.data(), L.gate);
    matmul(hb2.data(), xb.data(), L.up);
    for (int64_t i = 0; i < c.ffn; ++i)
      hb[i] = hb[i] / (1.0f + std::exp(-hb[i])) * hb2[i];
    matmul(xb.data(), hb.data(), L.down);
    for (int64_t i = 0; i < dim; ++i)
      x[i] += xb[i];
  }
  rmsNorm(x.data(), x.data(), outputNorm.data(), dim, c.rmsEps);
  matmul(logits, x.data(), output);
}

} // namespace qnt::reference
