/* Calls the compiled attention (attention.py gen): reads the query and the
 * cache from DIR, writes out.bin. Usage: attention-app DIR
 * (compiled with -DQ8 for a q8_0 cache, whose scales follow the values;
 * with -DHEAD_MAJOR for caches [KV, C, D]). */
#include "attention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *readAll(const char *dir, const char *name, size_t bytes) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  void *data = qnt_rt_alloc(bytes);
  FILE *f = fopen(path, "rb");
  if (!data || !f || fread(data, 1, bytes, f) != bytes) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  return data;
}

/* A dense row-major [a, b, c] view of data. */
static qnt_memref_3d view3(void *data, int64_t a, int64_t b, int64_t c) {
  qnt_memref_3d m = {data, data, 0, {a, b, c}, {b * c, c, 1}};
  return m;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  char path[4096], cache[8];
  long long t, pos, heads, kvHeads, d, c, filled;
  snprintf(path, sizeof path, "%s/shape.txt", argv[1]);
  FILE *f = fopen(path, "r");
  if (!f || fscanf(f, "%7s %lld %lld %lld %lld %lld %lld %lld", cache, &t, &pos, &heads,
                   &kvHeads, &d, &c, &filled) != 8) {
    fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  fclose(f);
  int64_t qcols = heads * d, kvcols = kvHeads * d;
  size_t element = strcmp(cache, "q8_0") == 0 ? 1 : strcmp(cache, "f16") == 0 ? 2 : 4;
  float *q = readAll(argv[1], "q.bin", sizeof(float) * t * qcols);
  void *k = readAll(argv[1], "k.bin", element * c * kvcols);
  void *v = readAll(argv[1], "v.bin", element * c * kvcols);
  float *out = qnt_rt_alloc(sizeof(float) * t * qcols);
  qnt_memref_2d qd = qnt_memref_2d_of(q, t, qcols);
#ifdef HEAD_MAJOR
  /* [KV, C, D], and the scales [KV, C, D / 32]. */
  qnt_memref_3d kd = view3(k, kvHeads, c, d), vd = view3(v, kvHeads, c, d);
#else
  qnt_memref_2d kd = qnt_memref_2d_of(k, c, kvcols);
  qnt_memref_2d vd = qnt_memref_2d_of(v, c, kvcols);
#endif
  qnt_memref_2d od = qnt_memref_2d_of(out, t, qcols);
#ifdef Q8
  void *ks = readAll(argv[1], "ks.bin", 2 * c * (kvcols / 32));
  void *vs = readAll(argv[1], "vs.bin", 2 * c * (kvcols / 32));
#ifdef HEAD_MAJOR
  qnt_memref_3d ksd = view3(ks, kvHeads, c, d / 32),
                vsd = view3(vs, kvHeads, c, d / 32);
#else
  qnt_memref_2d ksd = qnt_memref_2d_of(ks, c, kvcols / 32);
  qnt_memref_2d vsd = qnt_memref_2d_of(vs, c, kvcols / 32);
#endif
  _mlir_ciface_attention(&qd, &kd, &vd, &ksd, &vsd, pos, &od);
  qnt_rt_free(ks);
  qnt_rt_free(vs);
#else
  _mlir_ciface_attention(&qd, &kd, &vd, pos, &od);
#endif
  snprintf(path, sizeof path, "%s/out.bin", argv[1]);
  f = fopen(path, "wb");
  if (!f || fwrite(out, sizeof(float), t * qcols, f) != (size_t)(t * qcols)) {
    fprintf(stderr, "cannot write %s\n", path);
    return 1;
  }
  fclose(f);
  qnt_rt_free(q);
  qnt_rt_free(k);
  qnt_rt_free(v);
  qnt_rt_free(out);
  return 0;
}
