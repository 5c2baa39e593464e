/* Calls the compiled linear layer: reads x [m, k] from x.bin, writes y [m, n]
 * to y.bin. Usage: linear-app DIR M K N */
#include "linear.h"

#include <stdio.h>
#include <stdlib.h>

static int readAll(const char *path, void *data, size_t bytes) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  size_t got = fread(data, 1, bytes, f);
  fclose(f);
  return got == bytes;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s DIR M K N\n", argv[0]);
    return 2;
  }
  char path[4096];
  int64_t m = atoll(argv[2]), k = atoll(argv[3]), n = atoll(argv[4]);
  float *x = qnt_rt_alloc(sizeof(float) * m * k);
  float *y = qnt_rt_alloc(sizeof(float) * m * n);
  snprintf(path, sizeof path, "%s/x.bin", argv[1]);
  if (!x || !y || !readAll(path, x, sizeof(float) * m * k)) {
    fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  qnt_memref_2d xd = qnt_memref_2d_of(x, m, k);
  qnt_memref_2d yd = qnt_memref_2d_of(y, m, n);
  _mlir_ciface_linear(&xd, &yd);

  snprintf(path, sizeof path, "%s/y.bin", argv[1]);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(y, sizeof(float), m * n, f) != (size_t)(m * n)) {
    fprintf(stderr, "cannot write %s\n", path);
    return 1;
  }
  fclose(f);
  printf("y[0][0..3] = %.5f %.5f %.5f %.5f (%d threads)\n", y[0], y[1], y[2],
         y[3], qnt_rt_num_threads());
  qnt_rt_free(x);
  qnt_rt_free(y);
  return 0;
}
