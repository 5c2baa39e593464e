/*===- profile.c - Time spent in each op of a profiled model --------------===*
 *
 * Code compiled with --profile calls begin/end around each layer op; the
 * times accumulate per op id in a table that grows as ids appear. The calls
 * come from the thread running the entry point, one op at a time.
 *
 *===----------------------------------------------------------------------===*/

#include "qnt/runtime.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
  qnt_rt_profile_entry *entries;
  double *started;
  int64_t size;
} table;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Room for id; 0 if memory ran out (the op then goes untimed). */
static int reserve(int64_t id) {
  if (id < table.size)
    return 1;
  int64_t size = table.size ? table.size : 256;
  while (size <= id)
    size *= 2;
  qnt_rt_profile_entry *entries =
      realloc(table.entries, (size_t)size * sizeof *entries);
  if (!entries)
    return 0;
  table.entries = entries;
  double *started = realloc(table.started, (size_t)size * sizeof *started);
  if (!started)
    return 0;
  table.started = started;
  memset(entries + table.size, 0,
         (size_t)(size - table.size) * sizeof *entries);
  memset(started + table.size, 0,
         (size_t)(size - table.size) * sizeof *started);
  table.size = size;
  return 1;
}

void qnt_rt_profile_begin(int64_t id) {
  if (id >= 0 && reserve(id))
    table.started[id] = now();
}

void qnt_rt_profile_end(int64_t id) {
  if (id < 0 || id >= table.size)
    return;
  table.entries[id].calls++;
  table.entries[id].seconds += now() - table.started[id];
}

qnt_rt_profile_entry qnt_rt_profile_get(int64_t id) {
  qnt_rt_profile_entry none = {0, 0.0};
  return id >= 0 && id < table.size ? table.entries[id] : none;
}
