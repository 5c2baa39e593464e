/*===- memory.c - Aligned buffers and memref helpers ----------------------===*/

#include "qnt/runtime.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Buffers of at least this many bytes are aligned to 2 MiB and asked to be
 * backed by 2 MiB pages (as the weights are): a prefill's activations are
 * tens of MiB, and a kernel that writes a tile of columns of all its rows
 * strides through them a row (often a power of two of KiB) at a time; on 4
 * KiB pages every row is a TLB miss once the rows span more pages than the
 * TLB holds (Llama-3.2-1B's gate and up at 512 tokens: 64 KiB a row, 3x
 * slower), and the first touch of each page is a fault. */
#define QNT_RT_HUGE_BYTES (4u << 20)
#define QNT_RT_HUGE_ALIGNMENT (2u << 20)

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

void *qnt_rt_alloc(size_t bytes) { return alignedAlloc(QNT_RT_ALIGNMENT, bytes); }

void qnt_rt_free(void *p) { free(p); }

void *qnt_rt_alloc_pages(size_t bytes) {
  if (bytes == 0)
    bytes = QNT_RT_ALIGNMENT;
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fails where THP is off */
  return p;
}

void qnt_rt_free_pages(void *p, size_t bytes) {
  if (p)
    munmap(p, bytes ? bytes : QNT_RT_ALIGNMENT);
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) { return qnt_rt_alloc(bytes); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  return alignedAlloc(alignment, bytes);
}

void _mlir_memref_to_llvm_free(void *p) { free(p); }

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
