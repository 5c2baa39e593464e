/*===- qnt/weights.h - The weights file: named tensors and their index ----===*
 *
 * model.weights holds the tensors of a compiled model, each a run of bytes
 * 64-byte aligned (a cache line, a 512-bit vector), then an index of them
 * (as IREE's parameter archives, or GGUF's tensor infos, but at the end, so
 * the compiler can stream the tensors before it knows them all):
 *
 *   tensor bytes ...             each run at a multiple of 64
 *   qnt_weights_entry[count]     at index_offset, a multiple of 64
 *   names                        names_size bytes, not NUL-terminated
 *   qnt_weights_footer           the file's last 32 bytes
 *
 * all little-endian. An entry names a tensor (its offset and bytes in the
 * file, its element type and shape); entries are in file order and their
 * runs do not overlap. The compiler (passes/Transforms/WeightsFile.cpp) is
 * the one writer; the loader checks an index with qnt_weights_index_read
 * before any compiled code reads the file.
 *
 *===----------------------------------------------------------------------===*/

#ifndef QNT_WEIGHTS_H
#define QNT_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QNT_WEIGHTS_MAGIC "QNTWIDX1"
#define QNT_WEIGHTS_ALIGNMENT 64
#define QNT_WEIGHTS_MAX_RANK 6

/* Element types of a tensor in the file. */
#define QNT_DTYPE_F32 0
#define QNT_DTYPE_F16 1
#define QNT_DTYPE_BF16 2
#define QNT_DTYPE_I8 3 /* also 4-bit values packed two to a byte */
#define QNT_DTYPE_I16 4
#define QNT_DTYPE_I32 5
#define QNT_DTYPE_I64 6
#define QNT_DTYPE_F64 7
#define QNT_DTYPE_COUNT 8

typedef struct qnt_weights_entry {
  uint64_t offset;      /* of the tensor's bytes in the file */
  uint64_t size;        /* bytes */
  uint32_t name_offset; /* in the names */
  uint32_t name_length;
  int32_t dtype;                       /* QNT_DTYPE_* */
  int32_t rank;                        /* 0 .. QNT_WEIGHTS_MAX_RANK */
  int64_t shape[QNT_WEIGHTS_MAX_RANK]; /* the first `rank`; the rest 0 */
} qnt_weights_entry;

typedef struct qnt_weights_footer {
  uint64_t index_offset; /* of the entries: the end of the tensors' bytes */
  uint64_t count;        /* entries */
  uint64_t names_size;   /* bytes of names after the entries */
  char magic[8];         /* QNT_WEIGHTS_MAGIC */
} qnt_weights_footer;

/* A checked index, pointing into the file's bytes (no copy). */
typedef struct qnt_weights_index {
  const qnt_weights_entry *entries;
  uint64_t count;
  const char *names;
  uint64_t data_size; /* bytes before the index: the tensors' */
} qnt_weights_index;

/** Bytes of one element of `dtype`, 0 if it is none of QNT_DTYPE_*. */
size_t qnt_dtype_size(int32_t dtype);
/** "f32", "f16", "bf16", "i8", ..., or "?" for an unknown type. */
const char *qnt_dtype_name(int32_t dtype);

/** Reads the index of a weights file of `size` bytes at `data` (8-byte
 *  aligned, as a mapping is): its footer, then every entry checked (known
 *  type, rank in range, bytes = elements x element size, aligned, within the
 *  tensors' bytes, in order without overlap, its name within the names and
 *  not empty). 0 with `index` set, else -1 with a message saying what is
 *  wrong in `error`. */
int qnt_weights_index_read(const void *data, uint64_t size,
                           qnt_weights_index *index, char *error,
                           size_t error_size);

/** The entry named `name`, or NULL. */
const qnt_weights_entry *qnt_weights_find(const qnt_weights_index *index,
                                          const char *name);

#ifdef __cplusplus
}
#endif

#endif /* QNT_WEIGHTS_H */
