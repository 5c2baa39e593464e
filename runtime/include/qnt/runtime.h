/*===- qnt/runtime.h - The C runtime of compiled models -------------------===*
 *
 * What code compiled by quant-compile calls, and what a program calling that
 * code uses. Plain C, no LLVM.
 *
 * Calling a compiled entry point. Every public function of a compiled module
 * gets a C wrapper `_mlir_ciface_<name>` (MLIR's C interface): each tensor
 * argument is passed as a pointer to a memref descriptor, and a function
 * returning one tensor takes a pointer to the output's descriptor first,
 * with its buffer allocated by the caller. quant-compile writes the exact
 * prototypes into a header next to the object file. Arguments come first,
 * then one descriptor per result. For y = linear(x) with x [m, k] and y
 * [m, n]:
 *
 *   qnt_memref_2d x = qnt_memref_2d_of(xdata, m, k);
 *   qnt_memref_2d y = qnt_memref_2d_of(ydata, m, n);
 *   _mlir_ciface_linear(&x, &y);
 *
 *===----------------------------------------------------------------------===*/

#ifndef QNT_RUNTIME_H
#define QNT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===*
 * Memref descriptors (the layout MLIR's LLVM lowering gives a memref)
 *===----------------------------------------------------------------------===*/

#define QNT_MEMREF_DESCRIPTOR(rank)                                           \
  typedef struct qnt_memref_##rank##d {                                        \
    void *allocated; /* what was allocated (freed by its owner) */             \
    void *aligned;   /* where element 0 lives, less offset */                  \
    int64_t offset;  /* in elements */                                         \
    int64_t sizes[rank];                                                       \
    int64_t strides[rank]; /* in elements */                                   \
  } qnt_memref_##rank##d;
QNT_MEMREF_DESCRIPTOR(1)
QNT_MEMREF_DESCRIPTOR(2)
QNT_MEMREF_DESCRIPTOR(3)
QNT_MEMREF_DESCRIPTOR(4)
#undef QNT_MEMREF_DESCRIPTOR

/** A rank-0 tensor (a scalar in memory). */
typedef struct qnt_memref_0d {
  void *allocated;
  void *aligned;
  int64_t offset;
} qnt_memref_0d;

/** A dense row-major [rows, cols] view of data (no ownership taken). */
qnt_memref_2d qnt_memref_2d_of(void *data, int64_t rows, int64_t cols);
/** A dense view of n elements. */
qnt_memref_1d qnt_memref_1d_of(void *data, int64_t n);

/*===----------------------------------------------------------------------===*
 * Memory
 *===----------------------------------------------------------------------===*/

/** The alignment of every buffer the runtime hands out: a cache line, and a
 *  whole 512-bit vector. */
#define QNT_RT_ALIGNMENT 64

/** Allocates bytes aligned to QNT_RT_ALIGNMENT; NULL on failure. A program
 *  linking the runtime starts with glibc's mmap and trim thresholds set to
 *  32 MiB and 1 GiB (mallopt, from a constructor), so that the megabytes of
 *  activations compiled code allocates and frees in each call stay mapped
 *  from one call to the next instead of being faulted in again. */
void *qnt_rt_alloc(size_t bytes);
/** Frees what qnt_rt_alloc returned (NULL is fine). Buffers of up to 1 MiB
 *  go to a cache of the calling thread, which the next qnt_rt_alloc of that
 *  size class takes them from (see qnt_rt_buffer_cache). */
void qnt_rt_free(void *p);
/** 1 if freed buffers are kept for reuse; 0 in builds with AddressSanitizer,
 *  where every buffer goes back to malloc. */
int qnt_rt_buffer_cache(void);

/** Large read-mostly buffers (weights): whole pages of anonymous memory the
 *  kernel is asked to back with 2 MiB pages (MADV_HUGEPAGE, where transparent
 *  huge pages are on in "madvise" or "always" mode). A stream through 4 KiB
 *  pages takes a TLB miss every 4 KiB and its hardware prefetch stops at each
 *  page's end. NULL on failure; free with qnt_rt_free_pages(p, bytes). */
void *qnt_rt_alloc_pages(size_t bytes);
void qnt_rt_free_pages(void *p, size_t bytes);

/* The allocation hooks of MLIR's memref lowering (use-generic-functions),
 * which compiled code calls for its scratch buffers. */
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
void _mlir_memref_to_llvm_free(void *p);
/* MLIR's generic strided copy (memref.copy between non-identity layouts):
 * element size, then source and destination as unranked memrefs
 * {rank, pointer to the ranked descriptor}. */
void memrefCopy(int64_t elemSize, void *src, void *dst);

/*===----------------------------------------------------------------------===*
 * Threads
 *===----------------------------------------------------------------------===*/

/** A loop body over the iterations [begin, end). */
typedef void (*qnt_rt_task_fn)(void *ctx, int64_t begin, int64_t end);

/** Runs fn over [begin, end) split into contiguous chunks on the thread pool,
 *  the calling thread taking part; returns when every chunk is done. A call
 *  made from inside a task runs serially in that task's thread. */
void qnt_rt_parallel_for(qnt_rt_task_fn fn, void *ctx, int64_t begin,
                         int64_t end);

/** What the pool's parallel loops cost, counted while enabled (quant-run
 *  --thread-stats). Times are wall-clock seconds. */
typedef struct qnt_rt_thread_stats {
  int64_t loops;         /* parallel loops run on the pool */
  int64_t serial_loops;  /* loops the calling thread ran alone (one iteration,
                            one thread, or called from inside a task) */
  double loop_seconds;   /* the calling thread's time in the pool's loops */
  double wait_seconds;   /* of that, waiting for the workers once nothing was
                            left to claim or steal */
  double worker_seconds; /* the workers' time running chunks, summed */
  int workers;           /* threads besides the caller */
} qnt_rt_thread_stats;

/** Resets the counters and turns counting on (nonzero) or off. Counting
 *  reads the clock a few times a loop; off, a loop checks one flag. */
void qnt_rt_thread_stats_enable(int on);
/** The counters since the last qnt_rt_thread_stats_enable; call it between
 *  loops. */
void qnt_rt_thread_stats_get(qnt_rt_thread_stats *out);

/** Threads the pool uses, the caller included: QNT_NUM_THREADS if set, else
 *  the online CPUs. */
int qnt_rt_num_threads(void);
/** Sets the thread count (>= 1) for later calls; stops the current pool. */
void qnt_rt_set_num_threads(int n);

/*===----------------------------------------------------------------------===*
 * Profiling (code compiled with quant-compile --profile)
 *===----------------------------------------------------------------------===*/

/** What compiled code calls around each layer op it times (--qnt-profile):
 *  `id` indexes the model's table of op names (qnt_profile_names). Called by
 *  the thread that calls the entry point, between parallel loops. */
void qnt_rt_profile_begin(int64_t id);
void qnt_rt_profile_end(int64_t id);

typedef struct qnt_rt_profile_entry {
  int64_t calls;
  double seconds;
} qnt_rt_profile_entry;

/** The time spent in op `id` so far (zeros for an id never timed). */
qnt_rt_profile_entry qnt_rt_profile_get(int64_t id);

#ifdef __cplusplus
}
#endif

#endif /* QNT_RUNTIME_H */
