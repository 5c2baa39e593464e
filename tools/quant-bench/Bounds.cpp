//===- Bounds.cpp - What this machine can do at best ----------------------===//
//
// The two bounds quant-bench measures in the same run as the kernels it
// judges: DRAM read bandwidth (a buffer far larger than the last-level
// cache, read with the widest loads the CPU has) and the int8 dot-product
// peak of each instruction sequence the micro-kernels can use (12
// independent accumulators, so that throughput, not latency, binds). These
// are probes of the machine, not kernels of a model: compiled code never
// calls them.
//
//===----------------------------------------------------------------------===//

#include "Bounds.h"

#include "qnt/Passes/Options.h"
#include "qnt/runtime.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

namespace qnt::bench {
namespace {

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

//===----------------------------------------------------------------------===//
// Read bandwidth
//===----------------------------------------------------------------------===//

using ReadFn = uint64_t (*)(const uint8_t *, int64_t);

/// With `Lead`, the micro-kernels' lead prefetch too: one line every
/// kLeadPrefetchPeriod bytes, as far ahead as the kernels default to, into
/// L2 (a read the kernels can do is one the bound must count).
template <bool Lead> inline void leadPrefetch(const uint8_t *p, int64_t i) {
  if (Lead && i % kLeadPrefetchPeriod == 0)
    _mm_prefetch(reinterpret_cast<const char *>(
                     p + i + defaultLeadPrefetchBytes(/*superBlocks=*/false)),
                 _MM_HINT_T1);
}

/// With `Prefetch`, software prefetch 2 KiB ahead too: on some machines
/// more requests in flight than the hardware prefetcher keeps.
template <bool Prefetch, bool Lead>
__attribute__((target("avx512f"))) uint64_t read512(const uint8_t *p,
                                                    int64_t bytes) {
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (int64_t i = 0; i + 256 <= bytes; i += 256) {
    leadPrefetch<Lead>(p, i);
    if (Prefetch)
      for (int64_t l = 0; l < 256; l += 64)
        _mm_prefetch(reinterpret_cast<const char *>(p + i + 2048 + l),
                     _MM_HINT_T0);
    a = _mm512_xor_si512(a, _mm512_loadu_si512(p + i));
    b = _mm512_xor_si512(b, _mm512_loadu_si512(p + i + 64));
    c = _mm512_xor_si512(c, _mm512_loadu_si512(p + i + 128));
    d = _mm512_xor_si512(d, _mm512_loadu_si512(p + i + 192));
  }
  __m512i x = _mm512_xor_si512(_mm512_xor_si512(a, b), _mm512_xor_si512(c, d));
  // (not _mm512_reduce_add_epi64: gcc 12's header warns of itself there)
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, x);
  return lanes[0] ^ lanes[7];
}

template <bool Lead>
__attribute__((target("avx2"))) uint64_t read256(const uint8_t *p,
                                                 int64_t bytes) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (int64_t i = 0; i + 128 <= bytes; i += 128) {
    leadPrefetch<Lead>(p, i);
    a = _mm256_xor_si256(a, _mm256_loadu_si256((const __m256i *)(p + i)));
    b = _mm256_xor_si256(b, _mm256_loadu_si256((const __m256i *)(p + i + 32)));
    c = _mm256_xor_si256(c, _mm256_loadu_si256((const __m256i *)(p + i + 64)));
    d = _mm256_xor_si256(d, _mm256_loadu_si256((const __m256i *)(p + i + 96)));
  }
  __m256i x = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
  return uint64_t(_mm256_extract_epi64(x, 0) ^ _mm256_extract_epi64(x, 3));
}

template <bool Lead> uint64_t read128(const uint8_t *p, int64_t bytes) {
  __m128i a = _mm_setzero_si128(), b = a, c = a, d = a;
  for (int64_t i = 0; i + 64 <= bytes; i += 64) {
    leadPrefetch<Lead>(p, i);
    a = _mm_xor_si128(a, _mm_loadu_si128((const __m128i *)(p + i)));
    b = _mm_xor_si128(b, _mm_loadu_si128((const __m128i *)(p + i + 16)));
    c = _mm_xor_si128(c, _mm_loadu_si128((const __m128i *)(p + i + 32)));
    d = _mm_xor_si128(d, _mm_loadu_si128((const __m128i *)(p + i + 48)));
  }
  __m128i x = _mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(c, d));
  return uint64_t(_mm_cvtsi128_si64(x));
}

struct ReadTask {
  ReadFn fn = nullptr;
  const uint8_t *data = nullptr;
  int64_t chunk = 0;
  /// What the reads compute, kept so that they are not optimized away.
  std::atomic<uint64_t> sink{0};
};

void readChunks(void *ctx, int64_t begin, int64_t end) {
  auto *t = static_cast<ReadTask *>(ctx);
  uint64_t x = 0;
  for (int64_t i = begin; i < end; ++i)
    x ^= t->fn(t->data + i * t->chunk, t->chunk);
  t->sink.fetch_xor(x, std::memory_order_relaxed);
}

//===----------------------------------------------------------------------===//
// int8 dot-product peak
//===----------------------------------------------------------------------===//

constexpr int64_t kDotIterations = 1 << 22;

// Each returns the int8 operations (a multiply or an add each) it did. The
// VNNI loops are written in assembly: the intrinsic's three-operand form
// makes the compiler copy each accumulator first, which halves throughput.
#define QNT_KEEP(v) asm volatile("" : "+v"(v))
#define QNT_DOT(INSN, i) INSN " %[a], %[b], %" #i "\n\t"
#define QNT_DOT12(INSN, c, a, b)                                              \
  asm volatile(QNT_DOT(INSN, 0) QNT_DOT(INSN, 1) QNT_DOT(INSN, 2)             \
                   QNT_DOT(INSN, 3) QNT_DOT(INSN, 4) QNT_DOT(INSN, 5)         \
                       QNT_DOT(INSN, 6) QNT_DOT(INSN, 7) QNT_DOT(INSN, 8)     \
                           QNT_DOT(INSN, 9) QNT_DOT(INSN, 10)                 \
                               QNT_DOT(INSN, 11)                              \
               : "+v"(c[0]), "+v"(c[1]), "+v"(c[2]), "+v"(c[3]), "+v"(c[4]),  \
                 "+v"(c[5]), "+v"(c[6]), "+v"(c[7]), "+v"(c[8]), "+v"(c[9]),  \
                 "+v"(c[10]), "+v"(c[11])                                     \
               : [a] "v"(a), [b] "v"(b))

__attribute__((target("avx512vnni,avx512f,avx512bw"))) int64_t
dotVnni512(int64_t iterations) {
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  __m512i c[12];
  for (__m512i &x : c)
    x = _mm512_setzero_si512();
  for (int64_t i = 0; i < iterations; ++i)
    QNT_DOT12("vpdpbusd", c, a, b);
  return iterations * 12 * 64 * 2;
}

__attribute__((target("avx512vnni,avx512vl"))) int64_t
dotVnni256(int64_t iterations) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  __m256i c[12];
  for (__m256i &x : c)
    x = _mm256_setzero_si256();
  for (int64_t i = 0; i < iterations; ++i)
    QNT_DOT12("vpdpbusd", c, a, b);
  return iterations * 12 * 32 * 2;
}

__attribute__((target("avxvnni"))) int64_t dotAvxVnni(int64_t iterations) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  __m256i c[12];
  for (__m256i &x : c)
    x = _mm256_setzero_si256();
  for (int64_t i = 0; i < iterations; ++i)
    QNT_DOT12("%{vex%} vpdpbusd", c, a, b); // %{ %}: braces in asm
  return iterations * 12 * 32 * 2;
}

/// AVX2 has no int8 dot: u8 x s8 pairs to i16 (vpmaddubsw), pairs of i16
/// to i32 (vpmaddwd with ones), then vpaddd: 32 multiply-adds in three
/// instructions. In assembly, so that no product is shared between dots:
/// 8 accumulators, each step through its own temporary.
#define QNT_MADD(i, t)                                                        \
  "vpmaddubsw %[b], %[a], %%ymm" #t "\n\t"                                    \
  "vpmaddwd %[ones], %%ymm" #t ", %%ymm" #t "\n\t"                            \
  "vpaddd %%ymm" #t ", %" #i ", %" #i "\n\t"
/// The sign trick of the AVX2 kernels on i8 weights, as they run it: |w|
/// once (vpsignb w, w), shared by a register tile of 4 rows, then for each
/// row its activations given w's sign (vpsignb) and the three instructions
/// above: 128 multiply-adds in 17 instructions.
#define QNT_SIGN_ABS(w) "vpsignb %[b], %[b], %%ymm" #w "\n\t"
#define QNT_SIGN_ROW(i, w, t)                                                 \
  "vpsignb %[b], %[a], %%ymm" #t "\n\t"                                      \
  "vpmaddubsw %%ymm" #t ", %%ymm" #w ", %%ymm" #t "\n\t"                     \
  "vpmaddwd %[ones], %%ymm" #t ", %%ymm" #t "\n\t"                           \
  "vpaddd %%ymm" #t ", %" #i ", %" #i "\n\t"
/// The 4-bit kernels' AVX2 step: the u8 x s8 pairs of nibbles (vpmaddubsw)
/// summed in i16 (vpaddw), widened once per 8 steps (not counted here): 32
/// multiply-adds in two instructions.
#define QNT_MADDW(i, t)                                                       \
  "vpmaddubsw %[b], %[a], %%ymm" #t "\n\t"                                    \
  "vpaddw %%ymm" #t ", %" #i ", %" #i "\n\t"
#define QNT_ACC8(c)                                                           \
  "+x"(c[0]), "+x"(c[1]), "+x"(c[2]), "+x"(c[3]), "+x"(c[4]), "+x"(c[5]),     \
      "+x"(c[6]), "+x"(c[7])

__attribute__((target("avx2"))) int64_t dotAvx2(int64_t iterations) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  __m256i ones = _mm256_set1_epi16(1);
  __m256i c[8];
  for (__m256i &x : c)
    x = _mm256_setzero_si256();
  for (int64_t i = 0; i < iterations; ++i)
    asm volatile(QNT_MADD(0, 12) QNT_MADD(1, 13) QNT_MADD(2, 14) QNT_MADD(3, 15)
                     QNT_MADD(4, 12) QNT_MADD(5, 13) QNT_MADD(6, 14) QNT_MADD(7, 15)
                 : QNT_ACC8(c)
                 : [a] "x"(a), [b] "x"(b), [ones] "x"(ones)
                 : "xmm12", "xmm13", "xmm14", "xmm15");
  return iterations * 8 * 32 * 2;
}

__attribute__((target("avx2"))) int64_t dotAvx2Pairs(int64_t iterations) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  __m256i c[8];
  for (__m256i &x : c)
    x = _mm256_setzero_si256();
  for (int64_t i = 0; i < iterations; ++i)
    asm volatile(QNT_MADDW(0, 12) QNT_MADDW(1, 13) QNT_MADDW(2, 14)
                     QNT_MADDW(3, 15) QNT_MADDW(4, 12) QNT_MADDW(5, 13)
                         QNT_MADDW(6, 14) QNT_MADDW(7, 15)
                 : QNT_ACC8(c)
                 : [a] "x"(a), [b] "x"(b)
                 : "xmm12", "xmm13", "xmm14", "xmm15");
  return iterations * 8 * 32 * 2;
}

/// The 6-bit kernels' AVX2 steps: two steps' u8 x s8 pairs (vpmaddubsw, at
/// most 2 x 63 x 127) added in i16 (vpaddw), widened (vpmaddwd with ones)
/// and added (vpaddd): 64 multiply-adds in five instructions.
#define QNT_MADD2(i, t, u)                                                    \
  "vpmaddubsw %[b], %[a], %%ymm" #t "\n\t"                                    \
  "vpmaddubsw %[b], %[a], %%ymm" #u "\n\t"                                    \
  "vpaddw %%ymm" #u ", %%ymm" #t ", %%ymm" #t "\n\t"                           \
  "vpmaddwd %[ones], %%ymm" #t ", %%ymm" #t "\n\t"                            \
  "vpaddd %%ymm" #t ", %" #i ", %" #i "\n\t"

__attribute__((target("avx2"))) int64_t dotAvx2Pairs2(int64_t iterations) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  __m256i ones = _mm256_set1_epi16(1);
  __m256i c[8];
  for (__m256i &x : c)
    x = _mm256_setzero_si256();
  for (int64_t i = 0; i < iterations; ++i)
    asm volatile(QNT_MADD2(0, 12, 13) QNT_MADD2(1, 14, 15)
                     QNT_MADD2(2, 12, 13) QNT_MADD2(3, 14, 15)
                         QNT_MADD2(4, 12, 13) QNT_MADD2(5, 14, 15)
                             QNT_MADD2(6, 12, 13) QNT_MADD2(7, 14, 15)
                 : QNT_ACC8(c)
                 : [a] "x"(a), [b] "x"(b), [ones] "x"(ones)
                 : "xmm12", "xmm13", "xmm14", "xmm15");
  return iterations * 8 * 64 * 2;
}

__attribute__((target("avx2"))) int64_t dotAvx2Sign(int64_t iterations) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  __m256i ones = _mm256_set1_epi16(1);
  __m256i c[8];
  for (__m256i &x : c)
    x = _mm256_setzero_si256();
  for (int64_t i = 0; i < iterations; ++i)
    asm volatile(QNT_SIGN_ABS(11) QNT_SIGN_ROW(0, 11, 12)
                     QNT_SIGN_ROW(1, 11, 13) QNT_SIGN_ROW(2, 11, 14)
                         QNT_SIGN_ROW(3, 11, 15) QNT_SIGN_ABS(11)
                             QNT_SIGN_ROW(4, 11, 12) QNT_SIGN_ROW(5, 11, 13)
                                 QNT_SIGN_ROW(6, 11, 14) QNT_SIGN_ROW(7, 11, 15)
                 : QNT_ACC8(c)
                 : [a] "x"(a), [b] "x"(b), [ones] "x"(ones)
                 : "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  return iterations * 8 * 32 * 2;
}

struct DotTask {
  int64_t (*fn)(int64_t);
  int64_t iterations;
};

void dotChunks(void *ctx, int64_t begin, int64_t end) {
  auto *t = static_cast<DotTask *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    t->fn(t->iterations);
}

} // namespace

void readInParallel(const uint8_t *data, int64_t bytes) {
  ReadTask task;
  task.fn = __builtin_cpu_supports("avx512f") ? read512<false, false>
            : __builtin_cpu_supports("avx2")  ? read256<false>
                                              : read128<false>;
  task.data = data;
  task.chunk = int64_t(1) << 20;
  qnt_rt_parallel_for(readChunks, &task, 0, bytes / task.chunk);
}

std::vector<double> readBandwidth(const std::vector<int64_t> &threads,
                                  int64_t bytes) {
  std::vector<double> best(threads.size(), 0.0);
  auto *data = static_cast<uint8_t *>(qnt_rt_alloc_pages(size_t(bytes)));
  if (!data)
    return best;
  std::memset(data, 1, size_t(bytes)); // touch every page
  ReadTask task;
  task.data = data;
  task.chunk = int64_t(1) << 20;
  std::vector<ReadFn> readers;
  if (__builtin_cpu_supports("avx512f"))
    readers = {read512<false, false>, read512<true, false>,
               read512<false, true>, read512<true, true>};
  else if (__builtin_cpu_supports("avx2"))
    readers = {read256<false>, read256<true>};
  else
    readers = {read128<false>, read128<true>};
  int previous = qnt_rt_num_threads();
  for (size_t n = 0; n < threads.size(); ++n) {
    qnt_rt_set_num_threads(int(threads[n]));
    // The best of every reader over several passes: a bound, not an average.
    for (ReadFn fn : readers) {
      task.fn = fn;
      for (int pass = 0; pass < 5; ++pass) {
        double t0 = now();
        qnt_rt_parallel_for(readChunks, &task, 0, bytes / task.chunk);
        double t = now() - t0;
        if (pass > 0) // the first pass warms the pages and the pool
          best[n] = std::max(best[n], double(bytes) / t);
      }
    }
  }
  qnt_rt_set_num_threads(previous);
  qnt_rt_free_pages(data, size_t(bytes));
  return best;
}

std::vector<DotPeak> dotPeaks(int threads) {
  struct Candidate {
    const char *name;
    bool available;
    int64_t (*fn)(int64_t);
  };
  bool vnni512 = __builtin_cpu_supports("avx512vnni") &&
                 __builtin_cpu_supports("avx512bw");
  bool vnni256 = __builtin_cpu_supports("avx512vnni") &&
                 __builtin_cpu_supports("avx512vl");
  const Candidate candidates[] = {
      {"vpdpbusd zmm (AVX-512 VNNI)", vnni512, dotVnni512},
      {"vpdpbusd ymm (AVX-512 VNNI)", vnni256, dotVnni256},
      {"vpdpbusd ymm (AVX-VNNI)", bool(__builtin_cpu_supports("avxvnni")),
       dotAvxVnni},
      {"vpmaddubsw+vpmaddwd+vpaddd ymm (AVX2)",
       bool(__builtin_cpu_supports("avx2")), dotAvx2},
      {"vpsignb+vpmaddubsw+vpmaddwd+vpaddd ymm, |w| per 4 (AVX2 sign trick)",
       bool(__builtin_cpu_supports("avx2")), dotAvx2Sign},
      {"vpmaddubsw+vpaddw ymm (AVX2 i16 pairs)",
       bool(__builtin_cpu_supports("avx2")), dotAvx2Pairs},
      {"2 vpmaddubsw+vpaddw+vpmaddwd+vpaddd ymm (AVX2 6-bit pairs)",
       bool(__builtin_cpu_supports("avx2")), dotAvx2Pairs2},
  };
  int previous = qnt_rt_num_threads();
  qnt_rt_set_num_threads(threads);
  std::vector<DotPeak> peaks;
  for (const Candidate &c : candidates) {
    if (!c.available)
      continue;
    DotTask task = {c.fn, kDotIterations};
    double opsPerCall = double(c.fn(1)) * kDotIterations; // fn(1): one step
    double best = 0;
    for (int pass = 0; pass < 3; ++pass) {
      double t0 = now();
      qnt_rt_parallel_for(dotChunks, &task, 0, threads);
      best = std::max(best, threads * opsPerCall / (now() - t0));
    }
    peaks.push_back({c.name, best});
  }
  qnt_rt_set_num_threads(previous);
  return peaks;
}

} // namespace qnt::bench
