//===- Bounds.h - What this machine can do at best ----------*- C++ -*-===//

#ifndef QNT_TOOLS_QUANT_BENCH_BOUNDS_H
#define QNT_TOOLS_QUANT_BENCH_BOUNDS_H

#include <cstdint>
#include <string>
#include <vector>

namespace qnt::bench {

/// Bytes per second read from one buffer of `bytes` (far beyond the
/// last-level cache) by each thread count of `threads`: the best pass of the
/// widest loads, with and without software prefetch (a short distance ahead,
/// the kernels' lead prefetch, both), after a warm one.
std::vector<double> readBandwidth(const std::vector<int64_t> &threads,
                                  int64_t bytes);

/// Reads `bytes` of `data` (a multiple of 1 MiB, any alignment) on the pool's
/// threads, 1 MiB a task, with the widest loads, as the read bound does.
void readInParallel(const uint8_t *data, int64_t bytes);

struct DotPeak {
  std::string instruction;
  double opsPerSecond; ///< int8 ops: a multiply or an add each
};

/// The int8 dot-product throughput of each instruction sequence this CPU
/// has (best first: VNNI zmm, VNNI ymm, AVX-VNNI, AVX2), on `threads`
/// threads.
std::vector<DotPeak> dotPeaks(int threads);

} // namespace qnt::bench

#endif // QNT_TOOLS_QUANT_BENCH_BOUNDS_H
