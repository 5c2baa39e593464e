//===- Options.h - The options of the quantization and lowering pipelines ===//
//
// What quant-compile, quant-opt's pipelines and library callers configure:
// the qnt-quantize pipeline's options (QuantizeOptions, with a calibration
// plan), qnt-lower-to-llvm's (LoweringOptions), their defaults written once
// here, and the spellings of the enumerated ones for every parser of them.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_PASSES_OPTIONS_H
#define QNT_PASSES_OPTIONS_H

#include "dialects/qnt/QntDialect.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace qnt {

/// Which weights --qnt-fold-weight-quant makes 4-bit.
enum class WeightBits {
  Auto,  ///< GGML Q4_0/Q4_1/Q4_K/IQ4_NL stay 4-bit, Q6_K 6-bit, the rest 8
  Eight, ///< every weight 8-bit
  Four,  ///< float weights too, by Q4_0's (or Q4_1's) rule
};
/// How 8-bit weights are stored.
enum class WeightStorage {
  Auto, ///< u8 where the module's #qnt.target dots by vpdpbusd, else i8
  I8,
  U8, ///< q + 128, for u8 x s8 dot products
};
/// The element type of stored scales.
enum class ScaleType { F16, F32 };
/// Whether per-block activations against K-quant weights (Q4_K, Q6_K) take
/// one scale per super-block of 256, their sums per the weight's block
/// (GGML's Q8_K): Auto where the micro-kernel gains by it (AVX2's
/// vpmaddubsw; passes/MicroKernel.h, superBlockActivationScales).
enum class SuperBlockScales { Auto, On, Off };

/// What calibration decided, by linear name (--qnt-apply-calibration).
struct CalibrationPlan {
  /// Static activation scales: one (per tensor) or one per block of K.
  std::map<std::string, std::vector<float>> actScales;
  /// Linears whose activations are quantized with zero points.
  std::set<std::string> asymmetric;

  bool empty() const { return actScales.empty() && asymmetric.empty(); }
};

/// What the qnt-quantize pipeline does (data tiling for the module's
/// #qnt.target, weight quantization folded, activation quantization
/// inserted), with its defaults: the one place they are written. The
/// passes' options, the registered pipeline's and quant-compile's flags
/// take their defaults from here.
struct QuantizeOptions {
  WeightBits weightBits = WeightBits::Auto;
  /// With 4-bit float weights: a minimum per block (Q4_1's rule).
  bool weightMins = false;
  Granularity weightGranularity = Granularity::PerBlock; ///< or PerChannel
  int64_t weightBlock = 32;
  /// Tiled per-block weights store their components group by group, in
  /// one tensor of records (#qnt.layout's records): one stream to read.
  bool weightRecords = true;
  WeightStorage weightStorage = WeightStorage::Auto;
  ScaleType weightScale = ScaleType::F16;
  Granularity actGranularity = Granularity::PerBlock; ///< or PerToken
  ScaleType actScale = ScaleType::F32;
  SuperBlockScales actSuperBlocks = SuperBlockScales::Auto;
  Rounding rounding = Rounding::HalfAwayFromZero;
  /// Linears kept in float, by name prefix (see --qnt-fold-weight-quant).
  std::vector<std::string> keepFloat;
  /// Linears reading one input become one (--qnt-fuse-linears): fewer,
  /// longer weight streams a decode step (README, Performance, "Fused
  /// linears by default").
  bool fuseLinears = true;
  /// If set, the quantized weights are streamed into this file.
  std::string weightsFile;
  /// A remark at each folded weight (quant-compile's progress).
  bool progress = false;
  /// Applied first, if not empty (--qnt-apply-calibration).
  CalibrationPlan calibration;
  /// Or a plan read from this JSON file by --qnt-apply-calibration.
  std::string calibrationPlanFile;

  /// Whether the scheme options are the defaults (keepFloat, weightsFile and
  /// progress aside): the model is quantized as README's default.
  bool isDefaultScheme() const;
};

/// The defaults, for TableGen'd option defaults.
inline const QuantizeOptions kQuantizeDefaults{};

/// The spellings of the enumerated quantization options, for each parser of
/// them (the passes' options, qnt-quantize's, quant-compile's flags).
inline llvm::cl::ValuesClass weightBitsValues() {
  return llvm::cl::values(
      clEnumValN(WeightBits::Auto, "auto",
                 "GGML Q4_0/Q4_1/Q4_K/IQ4_NL weights stay 4-bit, Q6_K 6-bit, "
                 "the rest become 8-bit"),
      clEnumValN(WeightBits::Eight, "8", "every weight 8-bit (Q8_0)"),
      clEnumValN(WeightBits::Four, "4",
                 "float weights quantized to 4 bits by Q4_0's rule as well"));
}
inline llvm::cl::ValuesClass weightGranularityValues() {
  return llvm::cl::values(
      clEnumValN(Granularity::PerBlock, "per-block",
                 "GGML Q8_0's blocks of `block` values along K"),
      clEnumValN(Granularity::PerChannel, "per-channel",
                 "one scale per output row"));
}
inline llvm::cl::ValuesClass weightStorageValues() {
  return llvm::cl::values(
      clEnumValN(WeightStorage::Auto, "auto",
                 "u8 where the module's #qnt.target has dot = vnni, else i8"),
      clEnumValN(WeightStorage::I8, "i8", "signed bytes"),
      clEnumValN(WeightStorage::U8, "u8", "q + 128, for u8 x s8 VNNI dots"));
}
inline llvm::cl::ValuesClass actGranularityValues() {
  return llvm::cl::values(
      clEnumValN(Granularity::PerBlock, "per-block",
                 "one scale per block of the weight's size"),
      clEnumValN(Granularity::PerToken, "per-token", "one per row"));
}
inline llvm::cl::ValuesClass superBlockScalesValues() {
  return llvm::cl::values(
      clEnumValN(
          SuperBlockScales::Auto, "auto",
          "where the target's micro-kernel is AVX2's vpmaddubsw (no VNNI)"),
      clEnumValN(SuperBlockScales::On, "on", "on every target"),
      clEnumValN(SuperBlockScales::Off, "off",
                 "the weight's block (finer: more accurate)"));
}
inline llvm::cl::ValuesClass scaleTypeValues() {
  return llvm::cl::values(clEnumValN(ScaleType::F16, "f16", "half precision"),
                          clEnumValN(ScaleType::F32, "f32", "single precision"));
}
inline llvm::cl::ValuesClass roundingValues() {
  return llvm::cl::values(
      clEnumValN(Rounding::HalfAwayFromZero, "half-away", "GGML's roundf"),
      clEnumValN(Rounding::HalfToEven, "half-even", "ties to even"));
}

/// The prefetch distance (LoweringOptions::prefetchBytes) that means "by the
/// weight's format" ("auto" to quant-compile and quant-bench).
constexpr int64_t kPrefetchByFormat = -1;

/// How far ahead, in bytes of its stream, a micro-kernel prefetches a weight
/// by default (kPrefetchByFormat): 6144 for the K-quants (Q4_K, Q6_K:
/// super-blocks, records of 8 groups, 2.4-6.5 KiB), 2048 for the formats of
/// one group a block (Q4_0, Q4_1, Q8_0, IQ4_NL: records of 0.3-1.1 KiB).
/// Measured as whole-model decode on a Zen 5, host and AVX2 code (README, "A
/// prefetch distance per format"): 2048 decoded the one-group formats 2-8%
/// faster than 6144, the K-quants' AVX2 code 3% slower; in records of 4.7 KiB
/// (Q4_K with AVX-512) one record ahead beat two.
constexpr int64_t defaultPrefetchBytes(bool superBlocks) {
  return superBlocks ? 6144 : 2048;
}

/// The lead prefetch of a single-row kernel (a GEMV: every weight byte read
/// once, from DRAM): besides the prefetch of each line a short distance
/// ahead, one line every kLeadPrefetchPeriod bytes of the stream, far ahead
/// (LoweringOptions::leadPrefetchBytes), into L2. The hardware prefetchers
/// follow a stream within a 4 KiB page; the lead touches the next pages
/// well before the reads reach them. On a Zen 5 VM a stream read with the
/// short prefetch alone ran at 20-26 GB/s on one core, with the lead 31-35
/// (README, "The lead prefetch"; whether TLB misses or the prefetchers'
/// restart at each page is what it saves was not established). One a page
/// (4096) measured less steady than two (2048); one a record (576 bytes of
/// Q4_0) slower. The K-quants' kernels read their records' super-block
/// factors, at the end, first, a demand read up to a record ahead: with the
/// lead too the Q4_K_M files decoded 0.5-12% slower (9 runs of 10), so by
/// format they get none.
constexpr int64_t kLeadPrefetchPeriod = 2048;

/// The lead prefetch's distance by format (kPrefetchByFormat), in bytes of
/// the stream: 16384, none (0) for the K-quants (super-blocks).
constexpr int64_t defaultLeadPrefetchBytes(bool superBlocks) {
  return superBlocks ? 0 : 16384;
}

/// The lead distance a kernel runs given its resolved short and lead
/// distances (bytes, not kPrefetchByFormat): none without the short
/// prefetch (`--weight-prefetch=0` turns every software prefetch off).
constexpr int64_t effectiveLeadPrefetchBytes(int64_t prefetchBytes,
                                             int64_t leadBytes) {
  return prefetchBytes > 0 ? leadBytes : 0;
}

/// A prefetch distance as the tools take it: "auto" (kPrefetchByFormat) or
/// bytes, a whole number >= 0 in decimal; nothing for anything else.
inline std::optional<int64_t> parsePrefetchBytes(llvm::StringRef text) {
  int64_t bytes;
  if (text == "auto")
    return kPrefetchByFormat;
  if (text.getAsInteger(10, bytes) || bytes < 0)
    return std::nullopt;
  return bytes;
}

/// Options of the lowering from qnt to the LLVM dialect, with their
/// defaults: the one place they are written (qnt-lower-to-llvm's options,
/// the lowering passes' and quant-compile's flags take them from here).
struct LoweringOptions {
  /// Output columns per parallel task of a float linear.
  int64_t tileCols = 16;
  /// The most activation rows of a matmul's register tile.
  int64_t maxM0 = 4;
  /// How far ahead, in bytes of their stream, the matmul micro-kernels
  /// prefetch their weights (0: not at all). kPrefetchByFormat, the default,
  /// chooses by the weight's format (defaultPrefetchBytes: 2048, 6144 for the
  /// K-quants).
  int64_t prefetchBytes = kPrefetchByFormat;
  /// How far ahead a single-row micro-kernel's lead prefetch runs, in bytes
  /// of each weight stream (one line every kLeadPrefetchPeriod bytes; 0:
  /// none; none either with prefetchBytes 0). kPrefetchByFormat, the
  /// default, chooses by the weight's format (defaultLeadPrefetchBytes:
  /// 16384, none for the K-quants).
  int64_t leadPrefetchBytes = kPrefetchByFormat;
  /// Weight tiles a single-row matmul (decode's GEMV) reads side by side,
  /// far apart in the weight, when its tiles are in records and divide
  /// evenly (1: one run of the weight a thread). 0, the default, chooses by
  /// the weight's storage and the target (qnt::defaultGemvStreams): 2 on
  /// x86 targets but for Q4_K, and for Q6_K and IQ4_NL with 16 vector
  /// registers (README, "Weight streams").
  int64_t gemvStreams = 0;
  /// Fuse quantizes into their producers and residual adds into matmuls
  /// (--qnt-fuse).
  bool fuse = true;
  /// Time each layer op at run time (--qnt-profile).
  bool profile = false;
  /// One kernel function per distinct matmul (--qnt-share-kernels), called
  /// by every layer: LLVM compiles each kernel once, whatever the depth.
  bool shareKernels = true;
  /// Each layer of an entry point into a function of its own
  /// (--qnt-outline-layers): bufferization analyses one layer at a time.
  bool outlineLayers = true;
  /// The layer functions alike but for integer constants (their weights'
  /// offsets, their cache layer) merged into one (--qnt-merge-functions).
  bool mergeLayers = true;
  /// The dots become the module #qnt.target's intrinsics (true) or plain
  /// vector arithmetic (false: runs the VNNI and AVX2 kernels' structure on
  /// any CPU).
  bool intrinsics = true;
  /// If set, large constants go to this weights file, added to the tensors
  /// the fold pass streamed there, and the code is bound to its index
  /// (--qnt-externalize-weights).
  std::string weightsFile;
};

/// The defaults, for TableGen'd option defaults.
inline const LoweringOptions kLoweringDefaults{};
/// The most weight streams a GEMV reads at once (its accumulators, per
/// stream, share the target's vector registers).
constexpr int64_t kMaxGemvStreams = 4;

/// A plan from its JSON text, or from a file; false with `error` set.
bool parseCalibrationPlan(StringRef text, CalibrationPlan &plan, std::string &error);
bool readCalibrationPlan(StringRef path, CalibrationPlan &plan, std::string &error);
/// The plan as JSON, as parseCalibrationPlan reads it.
void printCalibrationPlan(const CalibrationPlan &plan, llvm::raw_ostream &os);

} // namespace qnt

#endif // QNT_PASSES_OPTIONS_H
