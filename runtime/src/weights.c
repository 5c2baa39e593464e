/*===- weights.c - The index of a weights file ----------------------------===*
 *
 * The layout is qnt/weights.h's. Plain C, no other library: the compiler
 * reads an index it is adding to with this too.
 *
 *===----------------------------------------------------------------------===*/

#include "qnt/weights.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(qnt_weights_entry) == 80, "the index's entry layout");
_Static_assert(sizeof(qnt_weights_footer) == 32, "the index's footer layout");

static int fail(char *error, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *error, size_t size, const char *format, ...) {
  if (error && size) {
    va_list args;
    va_start(args, format);
    vsnprintf(error, size, format, args);
    va_end(args);
  }
  return -1;
}

size_t qnt_dtype_size(int32_t dtype) {
  static const size_t sizes[QNT_DTYPE_COUNT] = {4, 2, 2, 1, 2, 4, 8, 8};
  return dtype >= 0 && dtype < QNT_DTYPE_COUNT ? sizes[dtype] : 0;
}

const char *qnt_dtype_name(int32_t dtype) {
  static const char *const names[QNT_DTYPE_COUNT] = {
      "f32", "f16", "bf16", "i8", "i16", "i32", "i64", "f64"};
  return dtype >= 0 && dtype < QNT_DTYPE_COUNT ? names[dtype] : "?";
}

int qnt_weights_index_read(const void *data, uint64_t size,
                           qnt_weights_index *index, char *error,
                           size_t error_size) {
  const char *bytes = (const char *)data;
  qnt_weights_footer footer;
  if (size < sizeof footer)
    return fail(error, error_size,
                "the weights file is %llu bytes: too short for an index",
                (unsigned long long)size);
  memcpy(&footer, bytes + size - sizeof footer, sizeof footer);
  if (memcmp(footer.magic, QNT_WEIGHTS_MAGIC, 8) != 0)
    return fail(error, error_size,
                "the weights file has no index (it does not end in %s): not "
                "written by this quant-compile",
                QNT_WEIGHTS_MAGIC);
  uint64_t room = size - sizeof footer;
  if (footer.index_offset % QNT_WEIGHTS_ALIGNMENT != 0 ||
      footer.index_offset > room ||
      footer.count > (room - footer.index_offset) / sizeof(qnt_weights_entry) ||
      footer.names_size !=
          room - footer.index_offset - footer.count * sizeof(qnt_weights_entry))
    return fail(
        error, error_size,
        "the weights file's index is malformed: %llu entries and %llu "
        "bytes of names at offset %llu do not fill the %llu bytes "
        "before its footer",
        (unsigned long long)footer.count, (unsigned long long)footer.names_size,
        (unsigned long long)footer.index_offset, (unsigned long long)room);
  const qnt_weights_entry *entries =
      (const qnt_weights_entry *)(bytes + footer.index_offset);
  const char *names =
      bytes + footer.index_offset + footer.count * sizeof(qnt_weights_entry);
  uint64_t end = 0; /* of the previous entry's bytes */
  for (uint64_t i = 0; i < footer.count; ++i) {
    const qnt_weights_entry *e = &entries[i];
    if (e->name_length == 0 || e->name_offset > footer.names_size ||
        e->name_length > footer.names_size - e->name_offset)
      return fail(error, error_size,
                  "the weights file's entry %llu has no name within the index",
                  (unsigned long long)i);
    int name = (int)(e->name_length < 200 ? e->name_length : 200);
    const char *text = names + e->name_offset;
    size_t element = qnt_dtype_size(e->dtype);
    if (!element || e->rank < 0 || e->rank > QNT_WEIGHTS_MAX_RANK)
      return fail(error, error_size,
                  "the weights file's tensor '%.*s' has an unknown element "
                  "type (%d) or rank (%d)",
                  name, text, e->dtype, e->rank);
    uint64_t elements = 1;
    for (int32_t d = 0; d < QNT_WEIGHTS_MAX_RANK; ++d) {
      int64_t dim = e->shape[d];
      if (d >= e->rank
              ? dim != 0
              : dim < 0 || (dim && elements > UINT64_MAX / (uint64_t)dim))
        return fail(error, error_size,
                    "the weights file's tensor '%.*s' has a malformed shape",
                    name, text);
      if (d < e->rank)
        elements *= (uint64_t)dim;
    }
    if (elements > UINT64_MAX / element || elements * element != e->size)
      return fail(error, error_size,
                  "the weights file's tensor '%.*s' is %llu bytes; its shape "
                  "and type make %llu",
                  name, text, (unsigned long long)e->size,
                  (unsigned long long)(elements * element));
    if (e->offset % QNT_WEIGHTS_ALIGNMENT != 0 || e->offset < end ||
        e->offset > footer.index_offset ||
        e->size > footer.index_offset - e->offset)
      return fail(error, error_size,
                  "the weights file's tensor '%.*s' at offset %llu (%llu "
                  "bytes) is misaligned, out of order or past the tensors' "
                  "%llu bytes",
                  name, text, (unsigned long long)e->offset,
                  (unsigned long long)e->size,
                  (unsigned long long)footer.index_offset);
    end = e->offset + e->size;
  }
  index->entries = entries;
  index->count = footer.count;
  index->names = names;
  index->data_size = footer.index_offset;
  return 0;
}

const qnt_weights_entry *qnt_weights_find(const qnt_weights_index *index,
                                          const char *name) {
  size_t length = strlen(name);
  for (uint64_t i = 0; i < index->count; ++i) {
    const qnt_weights_entry *e = &index->entries[i];
    if (e->name_length == length &&
        memcmp(index->names + e->name_offset, name, length) == 0)
      return e;
  }
  return NULL;
}
