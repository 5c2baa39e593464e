/*===- memory.c - Aligned buffers and memref helpers ----------------------===*/

#include "qnt/runtime.h"

#include <stdlib.h>

void *qnt_rt_alloc(size_t bytes) {
  void *p = NULL;
  if (bytes == 0)
    bytes = QNT_RT_ALIGNMENT;
  if (posix_memalign(&p, QNT_RT_ALIGNMENT, bytes) != 0)
    return NULL;
  return p;
}

void qnt_rt_free(void *p) { free(p); }

void *_mlir_memref_to_llvm_alloc(size_t bytes) { return qnt_rt_alloc(bytes); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  void *p = NULL;
  if (alignment < QNT_RT_ALIGNMENT)
    alignment = QNT_RT_ALIGNMENT;
  if (bytes == 0)
    bytes = alignment;
  if (posix_memalign(&p, alignment, bytes) != 0)
    return NULL;
  return p;
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
