//===- CompiledLinearTest.cpp - Numerics of compiled linear layers --------===//
//
// A qnt.linear is compiled by the real pipeline (fold, insert, lower, LLVM at
// O3) for a given CPU, run through MLIR's JIT on this machine, and checked
//   - against the scalar quantized reference (qnt::qm::referenceMatmul on
//     the same quantized values): equal up to float summation order;
//   - against the float result (double precision): within the error bound of
//     the two quantizations, derived below, not tuned.
// Code for CPUs this machine cannot run (VNNI on an AVX2-only host) is
// exercised through the generic lowering of the same qnt.dpbusd kernels; the
// intrinsic itself is checked in the lit tests' assembly.
//
//===----------------------------------------------------------------------===//

#include "qnt/Compiler/Compiler.h"
#include "qnt/Math/Quant.h"
#include "qnt/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/TargetParser/Host.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
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
  std::string weightGranularity = "per-block";
  std::string weightStorage = "i8";
  std::string actGranularity = "per-block";
  std::string actScale = "f32";
  std::string rounding = "half-away";
  bool vnniGeneric = false; ///< emit qnt.dpbusd, lower it without VNNI
};

std::string describe(const Config &c, int64_t k, int64_t n) {
  return llvm::formatv("cpu={0} w={1}/{2} act={3}/{4} rounding={5}{6} K={7} N={8}",
                       c.cpu, c.weightGranularity, c.weightStorage,
                       c.actGranularity, c.actScale, c.rounding,
                       c.vnniGeneric ? " vnni-generic" : "", k, n)
      .str();
}

/// The schemes the passes pick for a config, as the maths library's.
void schemesFor(const Config &c, int64_t k, qm::Scheme &w, qm::Scheme &a) {
  w = qm::Scheme::q8_0();
  w.storage = c.weightStorage == "u8" ? qm::Storage::U8Offset128
                                      : qm::Storage::I8;
  w.rounding = c.rounding == "half-even" ? qm::Rounding::HalfToEven
                                         : qm::Rounding::HalfAwayFromZero;
  if (c.weightGranularity == "per-channel" || k % 32 != 0)
    w.granularity = qm::Granularity::PerChannel;
  a = qm::Scheme::q8_0();
  a.rounding = w.rounding;
  a.f16Scale = c.actScale == "f16";
  a.sums = w.storage == qm::Storage::U8Offset128;
  if (c.actGranularity == "per-token" || k % 32 != 0)
    a.granularity = qm::Granularity::PerToken;
}

/// Largest |x - dequantized x| in a group of amax `amax`: half a step, plus
/// the scale's own rounding to fp16 (relative 2^-11) times 127 steps.
double quantError(float amax, bool f16) {
  double d = amax / 127.0;
  return d / 2 + (f16 ? 127.0 * d * std::ldexp(1.0, -11) : 0.0);
}

/// Per-element error bound of a [rows, k] tensor by its scheme's groups.
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
        bound[r * k + i] = quantError(amax, s.f16Scale);
    }
  return bound;
}

class CompiledLinear {
public:
  CompiledLinear(int64_t n, int64_t k) : k(k), n(n) {}

  /// Compiles y = x * W^T for W [n, k] under `config`.
  void compile(const Config &config, const std::vector<float> &w) {
    DialectRegistry registry;
    ::qnt::registerCompilerDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
    std::string ir = llvm::formatv(R"(
      func.func @linear(%x: tensor<?x{0}xf32>) -> tensor<?x{1}xf32> {
        %w = arith.constant dense<0.0> : tensor<{1}x{0}xf32>
        %y = qnt.linear %x, %w : tensor<?x{0}xf32>, tensor<{1}x{0}xf32> -> tensor<?x{1}xf32>
        return %y : tensor<?x{1}xf32>
      })", k, n);
    module = parseSourceString<ModuleOp>(ir, context.get());
    ASSERT_TRUE(module);
    module->walk([&](arith::ConstantOp c) {
      c.setValueAttr(DenseElementsAttr::get(
          cast<ShapedType>(c.getType()), ArrayRef<float>(w)));
    });

    std::string error;
    FailureOr<::qnt::Target> target = ::qnt::resolveTarget(config.cpu, "", error);
    ASSERT_TRUE(succeeded(target)) << error;
    ::qnt::QuantOptions quant;
    quant.weightGranularity = config.weightGranularity;
    quant.weightStorage = config.weightStorage;
    quant.actGranularity = config.actGranularity;
    quant.actScale = config.actScale;
    quant.rounding = config.rounding;
    ASSERT_TRUE(succeeded(::qnt::quantize(*module, quant, *target)));
    mlir::qnt::LoweringOptions lowering;
    lowering.vnni = target->vnni || config.vnniGeneric;
    lowering.vnniIntrinsic = !config.vnniGeneric;
    lowering.tileCols = 16;
    ASSERT_TRUE(succeeded(::qnt::lowerToLLVM(*module, lowering)));

    // llvmModuleBuilder is a function_ref: the lambda must outlive create().
    auto build = [&](Operation *op, llvm::LLVMContext &ctx) {
      return ::qnt::translate(cast<ModuleOp>(op), ctx, *target);
    };
    ExecutionEngineOptions options;
    options.llvmModuleBuilder = build;
    auto engineOrError = ExecutionEngine::create(*module, options);
    ASSERT_TRUE(bool(engineOrError)) << llvm::toString(engineOrError.takeError());
    engine = std::move(*engineOrError);
    engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
      llvm::orc::SymbolMap map;
      auto add = [&](const char *name, void *ptr) {
        map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(ptr),
                               llvm::JITSymbolFlags::Exported};
      };
      add("qnt_rt_parallel_for", reinterpret_cast<void *>(&qnt_rt_parallel_for));
      add("_mlir_memref_to_llvm_alloc",
          reinterpret_cast<void *>(&_mlir_memref_to_llvm_alloc));
      add("_mlir_memref_to_llvm_aligned_alloc",
          reinterpret_cast<void *>(&_mlir_memref_to_llvm_aligned_alloc));
      add("_mlir_memref_to_llvm_free",
          reinterpret_cast<void *>(&_mlir_memref_to_llvm_free));
      return map;
    });
    auto fnOrError = engine->lookup("_mlir_ciface_linear");
    ASSERT_TRUE(bool(fnOrError)) << llvm::toString(fnOrError.takeError());
    fn = reinterpret_cast<Entry>(*fnOrError);
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

private:
  using Entry = void (*)(qnt_memref_2d *, qnt_memref_2d *);
  int64_t k, n;
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ExecutionEngine> engine;
  Entry fn = nullptr;
};

std::vector<float> randomValues(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// Compiles once for (config, n, k) and checks every m in `ms`.
void check(const Config &config, int64_t n, int64_t k,
           std::vector<int64_t> ms = {1, 3, 17}) {
  SCOPED_TRACE(describe(config, k, n));
  std::vector<float> w = randomValues(n * k, 1000 + n * 7 + k);
  CompiledLinear linear(n, k);
  linear.compile(config, w);
  ASSERT_TRUE(linear.ok());
  qm::Scheme ws, as;
  schemesFor(config, k, ws, as);
  qm::QuantizedTensor qw;
  ASSERT_TRUE(qm::quantize(w.data(), n, k, ws, qw));
  std::vector<double> wErr = errorBounds(w, n, k, ws);

  for (int64_t m : ms) {
    SCOPED_TRACE("M=" + std::to_string(m));
    std::vector<float> x = randomValues(m * k, 77 + m);
    std::vector<float> y = linear.run(x, m);

    qm::QuantizedTensor qx;
    ASSERT_TRUE(qm::quantize(x.data(), m, k, as, qx));
    std::vector<float> yq(m * n);
    ASSERT_TRUE(qm::referenceMatmul(qx, qw, yq.data()));
    std::vector<float> yf(m * n);
    qm::referenceLinear(x.data(), w.data(), m, n, k, yf.data());
    std::vector<double> xErr = errorBounds(x, m, k, as);

    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double magnitude = 0, bound = 0;
        for (int64_t p = 0; p < k; ++p) {
          double xa = std::fabs(x[i * k + p]), wa = std::fabs(w[j * k + p]);
          magnitude += std::fabs(double(qx.dequantized(i, p)) *
                                 qw.dequantized(j, p));
          bound += xa * wErr[j * k + p] + wa * xErr[i * k + p] +
                   xErr[i * k + p] * wErr[j * k + p];
        }
        float got = y[i * n + j];
        ASSERT_NEAR(yq[i * n + j], got, 1e-6 * magnitude + 1e-30)
            << "against the quantized reference at (" << i << ", " << j << ")";
        ASSERT_NEAR(yf[i * n + j], got, bound + 1e-6 * magnitude)
            << "against float at (" << i << ", " << j << ")";
      }
  }
}

bool hostHasVnni() {
  auto features = llvm::sys::getHostCPUFeatures();
  return (features.lookup("avx512vnni") && features.lookup("avx512vl")) ||
         features.lookup("avxvnni");
}

} // namespace

TEST(CompiledLinear, ShapesOnTheHost) {
  for (int64_t k : {32, 96, 4096})
    for (int64_t n : {1, 5, 37})
      check(Config(), n, k);
}

TEST(CompiledLinear, ReductionNotAMultipleOfTheBlock) {
  // 172 (stories260K's FFN) and 48: per-channel weights, per-token
  // activations, masked vector tails.
  check(Config(), 7, 172);
  check(Config(), 40, 48, {1, 2});
}

TEST(CompiledLinear, Schemes) {
  std::vector<Config> configs;
  Config c;
  c.weightStorage = "u8";
  configs.push_back(c);
  c.vnniGeneric = true;
  configs.push_back(c);
  c = Config();
  c.weightGranularity = "per-channel";
  configs.push_back(c);
  c.weightStorage = "u8";
  configs.push_back(c);
  c.vnniGeneric = true;
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
  for (const Config &config : configs)
    check(config, 37, 256);
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

TEST(CompiledLinear, VnniOnThisHost) {
  if (!hostHasVnni())
    GTEST_SKIP() << "this CPU has no VNNI: the vpdpbusd kernels are checked "
                    "through their generic lowering (Schemes) and in assembly";
  Config c;
  c.cpu = "host";
  c.weightStorage = "u8";
  check(c, 37, 256);
  c.weightGranularity = "per-channel";
  check(c, 37, 256);
}
