/* A program that runs a compiled model through the C API (qnt/model.h),
 * linked as README says: it tokenizes argv[2], runs the prompt, then greedy
 * decodes argv[3] tokens, and prints every id, as quant-run --tokens-out. */
#include "qnt/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t argmax(const float *x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best])
      best = i;
  return (int32_t)best;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: model-app MODEL.so PROMPT TOKENS\n");
    return 2;
  }
  qnt_model m;
  char error[512];
  if (qnt_model_load(&m, argv[1], error, sizeof error) != 0) {
    fprintf(stderr, "model-app: %s\n", error);
    return 1;
  }
  int64_t gen = atoll(argv[3]), room = (int64_t)strlen(argv[2]) + 8 + gen;
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)room);
  float *logits = malloc(sizeof(float) * (size_t)m.config.vocab);
  int64_t n = qnt_tokenize(&m.vocab, argv[2], m.vocab.add_bos, ids, room);
  if (!ids || !logits || n <= 0 ||
      qnt_model_run_last(&m, ids, n, 0, logits, error, sizeof error) != 0) {
    fprintf(stderr, "model-app: cannot run the prompt: %s\n", error);
    return 1;
  }
  for (int64_t i = 0; i < gen; ++i) {
    ids[n + i] = argmax(logits, m.config.vocab);
    if (i + 1 < gen &&
        qnt_model_run(&m, &ids[n + i], 1, n + i, logits, error, sizeof error) != 0) {
      fprintf(stderr, "model-app: %s\n", error);
      return 1;
    }
  }
  printf("tokens:");
  for (int64_t i = 0; i < n + gen; ++i)
    printf(" %d", ids[i]);
  printf("\n");
  free(ids);
  free(logits);
  qnt_model_free(&m);
  return 0;
}
