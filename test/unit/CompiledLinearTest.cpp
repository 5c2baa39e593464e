//===- CompiledLinearTest.cpp - Numerics of compiled linear layers --------===//
//
// A qnt.linear is compiled by the real pipeline (fold, insert, lower, LLVM at
// O3) for a given CPU, run through MLIR's JIT on this machine, and checked
//   - against the scalar quantized reference (qnt::qm::referenceMatmul on
//     the same quantized values): equal up to float summation order;
//   - against the float result (double precision): within the error bound of
//     the two quantizations, derived below, not tuned.
// Code for CPUs this machine cannot run (VNNI on an AVX2-only host) is
// exercised through the generic lowering of the same qnt_x86.dpbusd kernels; the
// intrinsic itself is checked in the lit tests' assembly.
//
//===----------------------------------------------------------------------===//

#include "passes/MicroKernel.h"
#include "qnt/Compiler/Compiler.h"
#include "qnt/Compiler/Jit.h"
#include "qnt/Math/Ggml.h"
#include "qnt/Math/Quant.h"
#include "qnt/runtime.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/AsmParser/AsmParser.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/TargetParser/Host.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace mlir;
namespace qm = ::qnt::math;

namespace {

/// The CPU of the tests that do not name one: the host's, or QNT_TEST_CPU
/// (which must be one this machine runs), so that the suite can run as if on
/// a narrower CPU.
std::string defaultCpu() {
  const char *cpu = std::getenv("QNT_TEST_CPU");
  return cpu && *cpu ? cpu : "host";
}

struct Config {
  std::string cpu = defaultCpu();
  /// The micro-kernel's target (#qnt.target); empty: the CPU's own.
  std::string kernel;
  std::string weightGranularity = "per-block";
  int64_t weightBlock = 32;
  std::string weightStorage = "i8";
  std::string actGranularity = "per-block";
  std::string actScale = "f32";
  std::string rounding = "half-away";
  /// The dots as the target's intrinsics where the CPU has them; otherwise
  /// (or if false) as plain vector arithmetic, which runs anywhere.
  bool intrinsics = true;
  int64_t maxM0 = 4;
  /// Activations with zero points (act_asymmetric), on inputs shifted by +1.
  bool asymmetric = false;
  /// 4: weights quantized by Q4_0's rule and kept as nibbles (u4 + 8).
  int64_t weightBits = 8;
  /// With 4 bits: Q4_1's rule, a minimum per block (u4 with mins).
  bool weightMin = false;
  std::string weightScale = "f16";
};

std::string describe(const Config &c, int64_t k, int64_t n) {
  return llvm::formatv("cpu={0} kernel={1} w={2}{12}/{3} act={4}/{5}{6} rounding={7}{8} "
                       "max-m0={9} K={10} N={11}",
                       c.cpu, c.kernel.empty() ? "cpu's" : c.kernel,
                       c.weightGranularity,
                       c.weightBits == 4 ? (c.weightMin ? "u4+min" : "u4+8")
                                         : c.weightStorage,
                       c.actGranularity,
                       c.actScale, c.asymmetric ? "/asymmetric" : "", c.rounding,
                       c.intrinsics ? "" : " no-intrinsics", c.maxM0, k, n,
                       c.weightBlock == 32 ? "" : "-" + std::to_string(c.weightBlock))
      .str();
}

/// The reduction padded to whole blocks, as the tiled layouts store it.
/// (to blocks of 32, and of the weight's block where it is larger).
int64_t paddedK(int64_t k, int64_t block = 32) {
  int64_t pad = std::max<int64_t>(32, block);
  return (k + pad - 1) / pad * pad;
}

/// The schemes the passes pick for a config, as the maths library's.
void schemesFor(const Config &c, qm::Scheme &w, qm::Scheme &a) {
  w = qm::Scheme::q8_0();
  w.block = c.weightBlock;
  w.storage = c.weightStorage == "u8" ? qm::Storage::U8Offset128
                                      : qm::Storage::I8;
  w.rounding = c.rounding == "half-even" ? qm::Rounding::HalfToEven
                                         : qm::Rounding::HalfAwayFromZero;
  if (c.weightGranularity == "per-channel")
    w.granularity = qm::Granularity::PerChannel;
  if (c.weightBits == 4) {
    w = c.weightMin ? qm::q4MinScheme(/*f16=*/true) : qm::q4_0Scheme();
    w.block = c.weightBlock;
    w.f16Scale = c.weightScale == "f16";
  }
  a = qm::Scheme::q8_0();
  a.block = w.block;
  a.rounding = w.rounding;
  a.f16Scale = c.actScale == "f16";
  a.sums = w.storage != qm::Storage::I8;
  if (c.actGranularity == "per-token")
    a.granularity = qm::Granularity::PerToken;
  a.symmetric = !c.asymmetric;
  // Zero points per block need the weight's sums per block: against a
  // per-channel weight, asymmetric activations are per token.
  if (c.asymmetric && w.granularity == qm::Granularity::PerChannel)
    a.granularity = qm::Granularity::PerToken;
}

/// Largest |x - dequantized x| in a group of amax `amax`: half a step, plus
/// the scale's own rounding to fp16 (relative 2^-11) times 127 steps.
double quantError(float amax, bool f16) {
  double d = amax / 127.0;
  return d / 2 + (f16 ? 127.0 * d * std::ldexp(1.0, -11) : 0.0);
}

/// Largest |x - dequantized x| of Q4_0 (4 bits): a whole step d = amax / 8,
/// where the far end of the grid [-8, 7] d clamps, plus the scale's rounding
/// to fp16 times 8 steps.
double quantError4(float amax) {
  double d = amax / 8.0;
  return d + 8.0 * d * std::ldexp(1.0, -11);
}

/// Q4_1's: half a step (max - min) / 15 <= 2 amax / 15, plus the fp16
/// rounding of the scale (15 steps) and of the minimum (amax).
double quantError4Min(float amax) {
  double d = 2.0 * amax / 15.0;
  return d / 2 + 15.0 * d * std::ldexp(1.0, -11) + amax * std::ldexp(1.0, -11);
}

/// Per-element error bound of a [rows, k] tensor by its scheme's groups.
/// Asymmetric: a step (hi - lo) / 254 <= amax / 127, of which a value errs
/// by at most one (half a step, or a whole one where the range's end is
/// clamped), so twice the symmetric bound.
std::vector<double> errorBounds(const std::vector<float> &x, int64_t rows,
                                int64_t k, const qm::Scheme &s) {
  int64_t group = s.granularity == qm::Granularity::PerBlock ? s.block : k;
  std::vector<double> bound(rows * k);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < k; g += group) {
      float amax = 0;
      for (int64_t i = g; i < g + group; ++i)
        amax = std::max(amax, std::fabs(x[r * k + i]));
      for (int64_t i = g; i < g + group; ++i)
        bound[r * k + i] = s.mins       ? quantError4Min(amax)
                           : s.bits == 4 ? quantError4(amax)
                                       : (s.symmetric ? 1 : 2) *
                                             quantError(amax, s.f16Scale);
    }
  return bound;
}

class CompiledLinear {
public:
  CompiledLinear(int64_t n, int64_t k) : k(k), n(n) {}

  /// Compiles y = x * W^T for W [n, k] under `config`.
  void compile(const Config &config, const std::vector<float> &w) {
    compileModule(config, [&](MLIRContext *ctx) {
      return ::qnt::linearModule(ctx, n, k, w, config.asymmetric);
    });
  }

  /// The same for W in GGML blocks of `ggmlType` (--weight-bits=auto: 4-bit
  /// blocks are repacked as they are).
  void compileGgml(Config config, uint32_t ggmlType,
                   const std::vector<uint8_t> &blocks) {
    config.weightBits = 0;
    compileModule(config, [&](MLIRContext *ctx) {
      return ::qnt::linearModule(ctx, n, k, ggmlType, blocks);
    });
  }

  void compileModule(const Config &config,
                     llvm::function_ref<OwningOpRef<ModuleOp>(MLIRContext *)> build) {
    DialectRegistry registry;
    ::qnt::registerCompilerDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
    module = build(context.get());
    ASSERT_TRUE(module);

    std::string error;
    FailureOr<::qnt::Target> target = ::qnt::resolveTarget(config.cpu, "", error);
    ASSERT_TRUE(succeeded(target)) << error;
    auto kernel = target->kernelTarget(context.get());
    if (!config.kernel.empty()) {
      kernel = dyn_cast_or_null<qnt::TargetAttr>(
          parseAttribute(config.kernel, context.get()));
      ASSERT_TRUE(kernel) << config.kernel;
    }
    (*module)->setAttr(qnt::TargetAttr::kAttrName, kernel);
    superActs = ::qnt::superBlockActivationScales(kernel);
    ::qnt::QuantOptions quant;
    using qnt::Granularity;
    using qnt::ScaleType;
    quant.weightGranularity = config.weightGranularity == "per-channel"
                                  ? Granularity::PerChannel
                                  : Granularity::PerBlock;
    quant.weightBlock = config.weightBlock;
    quant.weightStorage = config.weightStorage == "u8" ? qnt::WeightStorage::U8
                                                       : qnt::WeightStorage::I8;
    quant.weightBits = config.weightBits == 8   ? qnt::WeightBits::Eight
                       : config.weightBits == 4 ? qnt::WeightBits::Four
                                                : qnt::WeightBits::Auto;
    quant.weightMins = config.weightMin;
    quant.weightScale = config.weightScale == "f32" ? ScaleType::F32 : ScaleType::F16;
    quant.actGranularity = config.actGranularity == "per-token" ? Granularity::PerToken
                                                                : Granularity::PerBlock;
    quant.actScale = config.actScale == "f16" ? ScaleType::F16 : ScaleType::F32;
    quant.rounding = config.rounding == "half-even"
                         ? qnt::Rounding::HalfToEven
                         : qnt::Rounding::HalfAwayFromZero;
    ASSERT_TRUE(succeeded(::qnt::quantize(*module, quant, *target)));
    qnt::LoweringOptions lowering = ::qnt::loweringOptions();
    lowering.intrinsics = config.intrinsics;
    lowering.maxM0 = config.maxM0;
    ASSERT_TRUE(succeeded(::qnt::lowerToLLVM(*module, lowering)));

    jit = ::qnt::Jit::create(*module, *target, error);
    ASSERT_TRUE(jit) << error;
    void *entry = jit->lookup("_mlir_ciface_linear", error);
    ASSERT_TRUE(entry) << error;
    fn = reinterpret_cast<Entry>(entry);
  }

  std::vector<float> run(const std::vector<float> &x, int64_t m) {
    std::vector<float> y(m * n, NAN);
    std::vector<float> xin(x);
    qnt_memref_2d xd = qnt_memref_2d_of(xin.data(), m, k);
    qnt_memref_2d yd = qnt_memref_2d_of(y.data(), m, n);
    fn(&xd, &yd);
    return y;
  }

  bool ok() const { return fn != nullptr; }
  /// Whether the kernel's target takes Q4_K's activations with one scale
  /// per super-block (superBlockActivationScales).
  bool superBlockActivations() const { return superActs; }

private:
  using Entry = void (*)(qnt_memref_2d *, qnt_memref_2d *);
  int64_t k, n;
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<::qnt::Jit> jit;
  Entry fn = nullptr;
  bool superActs = false;
};

std::vector<float> randomValues(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// Compiles once for (config, n, k) and checks every m in `ms`: against the
/// scalar reference of the same quantization on the reduction padded with
/// zeros to whole blocks (as the layouts store it), up to float summation
/// order, and against the float result within the quantizations' bound.
void check(const Config &config, int64_t n, int64_t k,
           std::vector<int64_t> ms = {1, 3, 4, 5, 17}) {
  SCOPED_TRACE(describe(config, k, n));
  std::vector<float> w = randomValues(n * k, 1000 + n * 7 + k);
  CompiledLinear linear(n, k);
  linear.compile(config, w);
  ASSERT_TRUE(linear.ok());
  int64_t kp = paddedK(k, config.weightBlock);
  qm::Scheme ws, as;
  schemesFor(config, ws, as);
  std::vector<float> wp = qm::padColumns(w.data(), n, k, kp);
  qm::QuantizedTensor qw;
  ASSERT_TRUE(qm::quantize(wp.data(), n, kp, ws, qw));
  std::vector<double> wErr = errorBounds(wp, n, kp, ws);

  for (int64_t m : ms) {
    SCOPED_TRACE("M=" + std::to_string(m));
    std::vector<float> x = randomValues(m * k, 77 + m);
    if (config.asymmetric)
      for (float &v : x)
        v += 1.0f;
    std::vector<float> y = linear.run(x, m);

    std::vector<float> xp = qm::padColumns(x.data(), m, k, kp);
    qm::QuantizedTensor qx;
    ASSERT_TRUE(qm::quantize(xp.data(), m, kp, as, qx));
    std::vector<float> yq(m * n);
    ASSERT_TRUE(qm::referenceMatmul(qx, qw, yq.data()));
    std::vector<float> yf(m * n);
    qm::referenceLinear(x.data(), w.data(), m, n, k, yf.data());
    std::vector<double> xErr = errorBounds(xp, m, kp, as);

    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double magnitude = 0, bound = 0;
        for (int64_t p = 0; p < kp; ++p) {
          double xa = std::fabs(xp[i * kp + p]), wa = std::fabs(wp[j * kp + p]);
          magnitude += std::fabs(double(qx.dequantized(i, p)) *
                                 qw.dequantized(j, p));
          bound += xa * wErr[j * kp + p] + wa * xErr[i * kp + p] +
                   xErr[i * kp + p] * wErr[j * kp + p];
        }
        float got = y[i * n + j];
        ASSERT_NEAR(yq[i * n + j], got, 1e-6 * magnitude + 1e-30)
            << "against the quantized reference at (" << i << ", " << j << ")";
        ASSERT_NEAR(yf[i * n + j], got, bound + 1e-6 * magnitude)
            << "against float at (" << i << ", " << j << ")";
      }
  }
}

/// Random GGML blocks of `type` for [n, k]: every byte random but the fp16
/// factors (d, and Q4_1's m or Q4_K's dmin; Q6_K's d, last in its block),
/// kept in a sane range.
std::vector<uint8_t> randomBlocks(qm::GgmlFormat type, int64_t n, int64_t k,
                                  uint32_t seed) {
  int64_t values, bytes;
  EXPECT_TRUE(qm::ggmlBlockGeometry(uint32_t(type), values, bytes));
  std::mt19937 rng(seed);
  std::vector<uint8_t> raw(n * k / values * bytes);
  for (uint8_t &b : raw)
    b = uint8_t(rng());
  std::uniform_real_distribution<float> scale(0.001f, 0.1f);
  for (size_t b = 0; b < raw.size(); b += bytes) {
    uint16_t d = qm::floatToFp16(scale(rng));
    if (type == qm::GgmlFormat::Q6_K) {
      std::memcpy(&raw[b + 208], &d, 2);
      continue;
    }
    std::memcpy(&raw[b], &d, 2);
    if (type == qm::GgmlFormat::Q4_0 || type == qm::GgmlFormat::IQ4_NL)
      continue;
    // Q4_1's minimum is negative, Q4_K's dmin positive (minimums -dmin * m).
    uint16_t m = qm::floatToFp16(type == qm::GgmlFormat::Q4_1 ? -scale(rng)
                                                              : scale(rng));
    std::memcpy(&raw[b + 2], &m, 2);
  }
  return raw;
}

/// Compiles a linear whose weight arrives in GGML 4-bit or 6-bit blocks (kept
/// as they are: Q4_0, Q4_1, Q4_K's two levels, Q6_K, IQ4_NL) and checks it against
/// the scalar reference of the same blocks unpacked (referenceMatmul), up to
/// summation order.
void checkGgml(const Config &config, qm::GgmlFormat type, int64_t n, int64_t k,
               std::vector<int64_t> ms = {1, 3, 4, 5, 17}) {
  SCOPED_TRACE(describe(config, k, n) + " ggml type " + std::to_string(int(type)));
  std::vector<uint8_t> blocks = randomBlocks(type, n, k, 500 + n + k);
  CompiledLinear linear(n, k);
  linear.compileGgml(config, uint32_t(type), blocks);
  ASSERT_TRUE(linear.ok());
  qm::QuantizedTensor qw;
  ASSERT_TRUE(
      type == qm::GgmlFormat::Q8_0
          ? qm::unpackQ8_0(blocks.data(), n, k, qm::Storage::I8, qw)
      : type == qm::GgmlFormat::Q4_0 ? qm::unpackQ4_0(blocks.data(), n, k, qw)
      : type == qm::GgmlFormat::Q6_K ? qm::unpackQ6_K(blocks.data(), n, k, qw)
      : type == qm::GgmlFormat::IQ4_NL
          ? qm::unpackIQ4_NL(blocks.data(), n, k, qw)
          : qm::unpackGgmlWithMins(uint32_t(type), blocks.data(), n, k, qw));
  qm::Scheme as = qm::Scheme::q8_0();
  as.block = qw.scheme.block; // the activation's blocks follow the weight's
  // K-quants' (Q4_K, Q6_K) a scale per super-block on AVX2 (sums per
  // block): the reference then differs from the per-block one by the
  // activation error (checked below), so the compiled code must have
  // quantized the same way.
  bool superActs =
      (type == qm::GgmlFormat::Q4_K || type == qm::GgmlFormat::Q6_K) &&
      linear.superBlockActivations();
  if (superActs)
    as.block = qw.scheme.superBlock;
  as.f16Scale = config.actScale == "f16";
  as.sums = true;
  for (int64_t m : ms) {
    SCOPED_TRACE("M=" + std::to_string(m));
    std::vector<float> x = randomValues(m * k, 91 + m);
    std::vector<float> y = linear.run(x, m);
    qm::QuantizedTensor qx;
    ASSERT_TRUE(qm::quantize(x.data(), m, k, as, qx));
    std::vector<float> yq(m * n);
    ASSERT_TRUE(qm::referenceMatmul(qx, qw, yq.data()));
    // With super-block scales, the same product with per-block activations
    // (the finer scales) must differ from the compiled one somewhere.
    std::vector<float> yBlock;
    if (superActs) {
      qm::Scheme perBlock = as;
      perBlock.block = qw.scheme.block;
      qm::QuantizedTensor qb;
      ASSERT_TRUE(qm::quantize(x.data(), m, k, perBlock, qb));
      yBlock.resize(m * n);
      ASSERT_TRUE(qm::referenceMatmul(qb, qw, yBlock.data()));
    }
    bool differs = false;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double magnitude = 0;
        for (int64_t p = 0; p < k; ++p)
          magnitude += std::fabs(double(qx.dequantized(i, p)) * qw.dequantized(j, p));
        ASSERT_NEAR(yq[i * n + j], y[i * n + j], 1e-6 * magnitude + 1e-30)
            << "against the quantized reference at (" << i << ", " << j << ")";
        if (superActs &&
            std::fabs(yBlock[i * n + j] - y[i * n + j]) > 1e-4 * magnitude)
          differs = true;
      }
    if (superActs)
      EXPECT_TRUE(differs) << "the output is the per-block activations' as "
                              "well: the test cannot tell the two apart";
  }
}

/// Whether code for `cpu` may use an x86 feature.
bool cpuHas(const std::string &cpu, const char *features) {
  std::string error;
  FailureOr<::qnt::Target> t = ::qnt::resolveTarget(cpu, "", error);
  return succeeded(t) && t->machine->getMCSubtargetInfo()->checkFeatures(features);
}

/// The micro-kernels of every target: VNNI on 512 and 256 bits (u8 + 128
/// weights), AVX2's sign trick (i8 weights), generic code on 128 and 256
/// bits. Each runs as its intrinsics where the CPU the test compiles for
/// has them, and through their generic lowering otherwise.
std::vector<Config> kernelConfigs() {
  struct Kernel {
    const char *target, *storage, *features;
  };
  const Kernel kernels[] = {
      {"#qnt.target<vector_bits = 512, dot = vnni, registers = 32>", "u8",
       "+avx512vnni,+avx512bw,+avx512vl"},
      {"#qnt.target<vector_bits = 256, dot = vnni, registers = 16>", "u8",
       "+avx512vnni,+avx512vl"},
      {"#qnt.target<vector_bits = 256, dot = maddubs, registers = 16>", "i8",
       "+avx2"},
      {"#qnt.target<vector_bits = 128, dot = generic, registers = 16>", "i8", ""},
      {"#qnt.target<vector_bits = 256, dot = generic, registers = 16>", "u8", ""},
  };
  std::vector<Config> configs;
  for (const Kernel &k : kernels) {
    Config c;
    c.kernel = k.target;
    c.weightStorage = k.storage;
    c.intrinsics = *k.features == 0 || cpuHas(c.cpu, k.features) ||
                   (std::string(k.features) == "+avx512vnni,+avx512vl" &&
                    cpuHas(c.cpu, "+avxvnni"));
    configs.push_back(c);
  }
  return configs;
}

} // namespace

TEST(CompiledLinear, ShapesOnTheHost) {
  // The CPU's own kernel; N and M across the register tile's edges.
  for (int64_t k : {32, 96, 4096})
    for (int64_t n : {1, 5, 37, 64})
      check(Config(), n, k);
}

TEST(CompiledLinear, ReductionPaddedToWholeBlocks) {
  // 172 (stories260K's FFN) and 48: the last block padded with zeros, as
  // GGML pads an odd reduction; per-block and per-channel weights.
  check(Config(), 7, 172);
  check(Config(), 40, 48, {1, 2});
  Config c;
  c.weightGranularity = "per-channel";
  check(c, 7, 172);
  c.actGranularity = "per-token";
  check(c, 33, 172, {1, 6});
}

TEST(CompiledLinear, EveryMicroKernel) {
  for (const Config &c : kernelConfigs()) {
    check(c, 37, 256);
    check(c, 64, 96, {1, 2, 8});
    check(c, 3, 172, {5});
  }
}

TEST(CompiledLinear, RegisterTileRows) {
  // m0 from 1 to 6: the full tiles and the rows left over.
  for (int64_t m0 : {1, 2, 3, 6}) {
    Config c = kernelConfigs()[0];
    c.maxM0 = m0;
    check(c, 40, 64, {1, 5, 7, 13});
  }
}

TEST(CompiledLinear, Schemes) {
  std::vector<Config> configs;
  Config c;
  c.weightStorage = "u8";
  configs.push_back(c);
  c.intrinsics = false;
  configs.push_back(c);
  c = Config();
  c.weightGranularity = "per-channel";
  configs.push_back(c);
  c.weightStorage = "u8";
  configs.push_back(c);
  c = Config();
  c.actGranularity = "per-token";
  configs.push_back(c);
  c.weightGranularity = "per-channel";
  c.weightStorage = "u8";
  configs.push_back(c);
  c = Config();
  c.actScale = "f16";
  c.rounding = "half-even";
  configs.push_back(c);
  c = Config();
  c.weightBlock = 64;
  configs.push_back(c);
  c.weightStorage = "u8";
  configs.push_back(c);
  c.asymmetric = true;
  configs.push_back(c);
  for (const Config &config : configs)
    check(config, 37, 256);
  // A reduction padded to whole blocks of 64.
  c = Config();
  c.weightBlock = 64;
  check(c, 40, 96);
}

TEST(CompiledLinear, AsymmetricActivations) {
  // Zero points corrected by the weight's sums, on every micro-kernel (u8 +
  // 128 weights take both corrections), padded reductions, per-token
  // activations and per-channel weights.
  for (Config c : kernelConfigs()) {
    c.asymmetric = true;
    check(c, 37, 256);
    check(c, 3, 172, {1, 5});
  }
  Config c;
  c.asymmetric = true;
  c.actGranularity = "per-token";
  check(c, 37, 256);
  c = Config();
  c.asymmetric = true;
  c.weightGranularity = "per-channel";
  check(c, 21, 128);
  c.weightStorage = "u8";
  check(c, 21, 128);
}

TEST(CompiledLinear, TargetsWithoutAvx512) {
  // Generic x86-64 (SSE2) and AVX2-only code, run here whatever this CPU has.
  for (const char *cpu : {"x86-64", "haswell"}) {
    Config c;
    c.cpu = cpu;
    check(c, 21, 128);
    c.weightStorage = "u8";
    check(c, 21, 128);
  }
}

TEST(CompiledLinear, FourBitWeights) {
  // Q4_0's values as nibbles, on every micro-kernel (VNNI and the generic
  // dots on 16 lanes, AVX2's vpmaddubsw on the nibbles as they are): against
  // the scalar reference of the same 4-bit weights, padded reductions and
  // the register tile's edges included; with zero points, blocks of 64, and
  // register tiles of 1 to 6 rows.
  for (Config c : kernelConfigs()) {
    c.weightBits = 4;
    check(c, 37, 256);
    check(c, 64, 96, {1, 2, 8});
    check(c, 3, 172, {5});
    c.asymmetric = true;
    check(c, 21, 128, {1, 5});
  }
  Config c;
  c.weightBits = 4;
  c.weightBlock = 64;
  check(c, 37, 256);
  check(c, 40, 96, {1, 3});
  for (int64_t m0 : {1, 2, 3, 6}) {
    Config t = kernelConfigs()[2]; // AVX2
    t.weightBits = 4;
    t.maxM0 = m0;
    check(t, 40, 64, {1, 5, 7, 13});
  }
  for (const char *cpu : {"x86-64", "haswell"}) {
    Config t;
    t.cpu = cpu;
    t.weightBits = 4;
    check(t, 21, 128);
  }
}

TEST(CompiledLinear, FourBitWeightsWithMinimums) {
  // Q4_1's rule (x = d * u + m): plain nibbles, the minimum corrected by the
  // activation sums in the epilogue, on every micro-kernel.
  for (Config c : kernelConfigs()) {
    c.weightBits = 4;
    c.weightMin = true;
    check(c, 37, 256);
    check(c, 64, 96, {1, 2, 8});
    check(c, 3, 172, {5});
  }
  Config c;
  c.weightBits = 4;
  c.weightMin = true;
  c.weightBlock = 64;
  check(c, 40, 96, {1, 3});
  // f32 scales and minimums (as Q4_K's products are stored).
  c = Config();
  c.weightBits = 4;
  c.weightMin = true;
  c.weightScale = "f32";
  check(c, 37, 256);
  check(c, 64, 96, {1, 2, 8});
}

TEST(CompiledLinear, GgmlSixBitBlocks) {
  // Q6_K kept 6-bit (u6 + 32 in three rows a four steps, groups of 16 with
  // int8 scales times an fp16 d per 256, activations in blocks of 16), on
  // every micro-kernel, edges of the register tile included; on AVX2 with
  // the i16 pairs widened every two steps, at several register tiles.
  for (Config c : kernelConfigs()) {
    checkGgml(c, qm::GgmlFormat::Q6_K, 37, 512);
    checkGgml(c, qm::GgmlFormat::Q6_K, 16, 256, {1, 2});
  }
  for (int64_t m0 : {1, 3}) {
    Config t = kernelConfigs()[2]; // AVX2
    t.maxM0 = m0;
    checkGgml(t, qm::GgmlFormat::Q6_K, 24, 768, {1, 4, 7});
  }
}

TEST(CompiledLinear, GgmlEightBitBlocks) {
  // Q8_0 kept as it is, with every byte value: ggml writes [-127, 127], but
  // a file may hold -128, which the sign trick takes as |w| = 128 (u8)
  // against activations in [-127, 127]. On every micro-kernel, edges of the
  // register tile included, and at several AVX2 register tiles.
  for (Config c : kernelConfigs()) {
    checkGgml(c, qm::GgmlFormat::Q8_0, 37, 256);
    checkGgml(c, qm::GgmlFormat::Q8_0, 16, 64, {1, 2});
  }
  for (int64_t m0 : {1, 3, 4}) {
    Config t = kernelConfigs()[2]; // AVX2
    t.maxM0 = m0;
    checkGgml(t, qm::GgmlFormat::Q8_0, 24, 128, {1, 4, 7, 9});
  }
}

TEST(CompiledLinear, GgmlGridBlocks) {
  // IQ4_NL kept 4-bit (grid indices looked up in registers: + 128 for
  // vpdpbusd, signed for the sign trick and generic code), on every
  // micro-kernel, edges of the register tile included, at several AVX2
  // register tiles.
  for (Config c : kernelConfigs()) {
    checkGgml(c, qm::GgmlFormat::IQ4_NL, 37, 256);
    checkGgml(c, qm::GgmlFormat::IQ4_NL, 16, 64, {1, 2});
  }
  for (int64_t m0 : {1, 3}) {
    Config t = kernelConfigs()[2]; // AVX2
    t.maxM0 = m0;
    checkGgml(t, qm::GgmlFormat::IQ4_NL, 24, 128, {1, 4, 7});
  }
}

TEST(CompiledLinear, GgmlFourBitBlocks) {
  // GGUF tensors kept 4-bit, on every micro-kernel: Q4_0 (u4 + 8), Q4_1
  // (fp16 scales and minimums) and Q4_K (byte scales and minimums times an
  // fp16 d and dmin per 256 values), edges of the register tile included.
  for (Config c : kernelConfigs()) {
    checkGgml(c, qm::GgmlFormat::Q4_K, 37, 512);
    checkGgml(c, qm::GgmlFormat::Q4_K, 16, 256, {1, 2});
    checkGgml(c, qm::GgmlFormat::Q4_1, 21, 128, {1, 5});
    checkGgml(c, qm::GgmlFormat::Q4_0, 21, 128, {1, 5});
  }
  for (int64_t m0 : {1, 3}) {
    Config t = kernelConfigs()[2]; // AVX2
    t.maxM0 = m0;
    checkGgml(t, qm::GgmlFormat::Q4_K, 24, 768, {1, 4, 7});
  }
}

TEST(CompiledLinear, VnniOnThisHost) {
  if (!cpuHas("host", "+avx512vnni,+avx512vl") && !cpuHas("host", "+avxvnni"))
    GTEST_SKIP() << "this CPU has no VNNI: the vpdpbusd kernels are checked "
                    "through their generic lowering (EveryMicroKernel) and in "
                    "assembly";
  Config c;
  c.cpu = "host";
  c.weightStorage = "u8";
  check(c, 37, 256);
  c.weightGranularity = "per-channel";
  check(c, 37, 256);
}
