/*===- memory.c - Aligned buffers and memref helpers ----------------------===*/

#include "qnt/runtime.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Buffers of at least this many bytes are aligned to 2 MiB and asked to be
 * backed by 2 MiB pages (as the weights are): a prefill's activations are
 * tens of MiB, and a kernel that writes a tile of columns of all its rows
 * strides through them a row (often a power of two of KiB) at a time; on 4
 * KiB pages every row is a TLB miss once the rows span more pages than the
 * TLB holds (Llama-3.2-1B's gate and up at 512 tokens: 64 KiB a row, 3x
 * slower), and the first touch of each page is a fault. */
#define QNT_RT_HUGE_BYTES (4u << 20)
#define QNT_RT_HUGE_ALIGNMENT (2u << 20)

/* The compiled code allocates its activation buffers (megabytes in a
 * prefill) and frees them within each call. glibc serves blocks above its
 * mmap threshold with fresh mmaps and gives the top of the heap back past its
 * trim threshold, so every call faulted its buffers' pages in again, zeroed:
 * 13-21% of a 512-token prompt on the TinyLlama shape (README). Blocks up to
 * glibc's largest threshold (32 MiB) come from the heap, and freed heap
 * memory stays mapped for the next call: set when the program starts, for
 * every program that links the runtime (set by the model loader alone, the
 * first kernel quant-bench --kernels timed at 512 tokens read 20-25% slow). */
#ifdef __GLIBC__
__attribute__((constructor)) static void keepFreedBuffers(void) {
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
}
#endif

static void *alignedAlloc(size_t alignment, size_t bytes) {
  void *p = NULL;
  if (alignment < QNT_RT_ALIGNMENT)
    alignment = QNT_RT_ALIGNMENT;
  if (bytes == 0)
    bytes = alignment;
  int huge = bytes >= QNT_RT_HUGE_BYTES && alignment <= QNT_RT_HUGE_ALIGNMENT;
  if (huge) {
    alignment = QNT_RT_HUGE_ALIGNMENT;
    bytes = (bytes + QNT_RT_HUGE_ALIGNMENT - 1) & ~(size_t)(QNT_RT_HUGE_ALIGNMENT - 1);
  }
  if (posix_memalign(&p, alignment, bytes) != 0)
    return NULL;
  if (huge)
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fails where THP is off */
  return p;
}

/* Scratch buffers up to 1 MiB come back from a cache per thread. A decode
 * step allocates and frees each of its buffers again (TinyLlama: ~820 a
 * token, 64 B to 22 KiB), and posix_memalign, which skips glibc's per-thread
 * cache, took ~240 ns a call (rdtsc around the hooks, Zen 5): 1.8% of the
 * calling thread's time, while the other threads wait for it. Buffers come
 * in power-of-two classes of 64 B to 1 MiB; a freed buffer goes back to the
 * class its usable size fills (malloc_usable_size), so a buffer taken from a
 * class always holds the class's bytes, aligned as every buffer is. A thread
 * keeps at most kCacheDepth buffers a class and QNT_RT_CACHE_BYTES in all,
 * and frees them when it exits (the main thread's stay until the process
 * ends). Off under AddressSanitizer, which should see
 * every free. */
#if defined(__SANITIZE_ADDRESS__)
#define QNT_RT_BUFFER_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QNT_RT_BUFFER_CACHE 0
#endif
#endif
#ifndef QNT_RT_BUFFER_CACHE
#define QNT_RT_BUFFER_CACHE 1
#endif

enum { kCacheClasses = 15, kCacheDepth = 16 };
#define QNT_RT_CACHE_BYTES ((size_t)8 << 20)

typedef struct {
  void *buffers[kCacheClasses][kCacheDepth];
  int count[kCacheClasses];
  size_t bytes;
  int registered; /* the exit destructor is set for this thread */
} bufferCache;

static _Thread_local bufferCache cache;
static pthread_key_t cacheKey;
static pthread_once_t cacheKeyOnce = PTHREAD_ONCE_INIT;

static size_t classBytes(int k) { return (size_t)QNT_RT_ALIGNMENT << k; }

/* The smallest class holding `bytes`; -1 past the largest. */
static int classFor(size_t bytes) {
  for (int k = 0; k < kCacheClasses; ++k)
    if (bytes <= classBytes(k))
      return k;
  return -1;
}

static void releaseCache(void *arg) {
  bufferCache *c = (bufferCache *)arg;
  for (int k = 0; k < kCacheClasses; ++k)
    while (c->count[k] > 0)
      free(c->buffers[k][--c->count[k]]);
  c->bytes = 0;
}

static void makeCacheKey(void) { pthread_key_create(&cacheKey, releaseCache); }

void *qnt_rt_alloc(size_t bytes) {
  int k = QNT_RT_BUFFER_CACHE ? classFor(bytes) : -1;
  if (k < 0)
    return alignedAlloc(QNT_RT_ALIGNMENT, bytes);
  if (cache.count[k] > 0) {
    cache.bytes -= classBytes(k);
    return cache.buffers[k][--cache.count[k]];
  }
  return alignedAlloc(QNT_RT_ALIGNMENT, classBytes(k));
}

void qnt_rt_free(void *p) {
  if (!p)
    return;
  if (QNT_RT_BUFFER_CACHE && (uintptr_t)p % QNT_RT_ALIGNMENT == 0) {
    size_t usable = malloc_usable_size(p);
    int k = kCacheClasses - 1;
    while (k >= 0 && classBytes(k) > usable)
      --k;
    /* A buffer of more than twice the largest class is not a scratch
     * buffer this cache made: it goes back to malloc. */
    if (k >= 0 && usable < 2 * classBytes(kCacheClasses - 1) &&
        cache.count[k] < kCacheDepth &&
        cache.bytes + classBytes(k) <= QNT_RT_CACHE_BYTES) {
      if (!cache.registered) {
        pthread_once(&cacheKeyOnce, makeCacheKey);
        pthread_setspecific(cacheKey, &cache);
        cache.registered = 1;
      }
      cache.buffers[k][cache.count[k]++] = p;
      cache.bytes += classBytes(k);
      return;
    }
  }
  free(p);
}

int qnt_rt_buffer_cache(void) { return QNT_RT_BUFFER_CACHE; }

/* From 2 MiB on, the mapping starts on a 2 MiB boundary: mmap gives 4 KiB
 * alignment, and only the 2 MiB extents wholly inside a mapping can be huge
 * pages, so a weight of a few MiB (quant-bench --kernels) was partly on 4 KiB
 * pages. A 2 MiB larger mapping is made, and what lies before the boundary
 * and after the buffer's pages unmapped. */
void *qnt_rt_alloc_pages(size_t bytes) {
  if (bytes == 0)
    bytes = QNT_RT_ALIGNMENT;
  size_t slack = bytes >= QNT_RT_HUGE_ALIGNMENT ? QNT_RT_HUGE_ALIGNMENT : 0;
  char *m = mmap(NULL, bytes + slack, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return NULL;
  char *p = m;
  if (slack) {
    p = (char *)(((uintptr_t)m + slack - 1) & ~(uintptr_t)(slack - 1));
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *end = p + (bytes + page - 1) / page * page;
    if (p > m)
      munmap(m, (size_t)(p - m));
    if (m + bytes + slack > end)
      munmap(end, (size_t)(m + bytes + slack - end));
  }
  madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fails where THP is off */
  return p;
}

void qnt_rt_free_pages(void *p, size_t bytes) {
  if (p)
    munmap(p, bytes ? bytes : QNT_RT_ALIGNMENT);
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) { return qnt_rt_alloc(bytes); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  return alignment <= QNT_RT_ALIGNMENT ? qnt_rt_alloc(bytes)
                                       : alignedAlloc(alignment, bytes);
}

void _mlir_memref_to_llvm_free(void *p) { qnt_rt_free(p); }

qnt_memref_2d qnt_memref_2d_of(void *data, int64_t rows, int64_t cols) {
  qnt_memref_2d m = {data, data, 0, {rows, cols}, {cols, 1}};
  return m;
}

qnt_memref_1d qnt_memref_1d_of(void *data, int64_t n) {
  qnt_memref_1d m = {data, data, 0, {n}, {1}};
  return m;
}

/* MLIR's generic copy between strided memrefs (memref.copy when a layout is
 * not the identity), with the signature of its C runner utilities:
 * memrefCopy(element size, source, destination), each an unranked memref
 * {rank, pointer to a ranked descriptor}. */
typedef struct {
  int64_t rank;
  void *descriptor;
} qnt_unranked_memref;

void memrefCopy(int64_t elemSize, void *srcMemref, void *dstMemref) {
  qnt_unranked_memref *src = (qnt_unranked_memref *)srcMemref;
  qnt_unranked_memref *dst = (qnt_unranked_memref *)dstMemref;
  int64_t rank = src->rank;
  /* descriptor: allocated, aligned, offset, sizes[rank], strides[rank] */
  char **s = (char **)src->descriptor, **d = (char **)dst->descriptor;
  char *sBase = s[1], *dBase = d[1];
  const int64_t *sMeta = (const int64_t *)(s + 2), *dMeta = (const int64_t *)(d + 2);
  int64_t sOffset = sMeta[0], dOffset = dMeta[0];
  const int64_t *sizes = sMeta + 1, *sStrides = sMeta + 1 + rank;
  const int64_t *dStrides = dMeta + 1 + rank;
  if (rank == 0) {
    memcpy(dBase + dOffset * elemSize, sBase + sOffset * elemSize, (size_t)elemSize);
    return;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (sizes[i] == 0)
      return;
  /* Rows of the innermost dimension, copied whole when contiguous. */
  int64_t index[8] = {0};
  if (rank > 8)
    return; /* compiled models use rank <= 4 */
  int contiguous = sStrides[rank - 1] == 1 && dStrides[rank - 1] == 1;
  for (;;) {
    int64_t so = sOffset, dof = dOffset;
    for (int64_t i = 0; i < rank - 1; ++i) {
      so += index[i] * sStrides[i];
      dof += index[i] * dStrides[i];
    }
    if (contiguous) {
      memcpy(dBase + dof * elemSize, sBase + so * elemSize,
             (size_t)(sizes[rank - 1] * elemSize));
    } else {
      for (int64_t j = 0; j < sizes[rank - 1]; ++j)
        memcpy(dBase + (dof + j * dStrides[rank - 1]) * elemSize,
               sBase + (so + j * sStrides[rank - 1]) * elemSize, (size_t)elemSize);
    }
    int64_t k = rank - 2;
    while (k >= 0 && ++index[k] == sizes[k])
      index[k--] = 0;
    if (k < 0)
      break;
  }
}
