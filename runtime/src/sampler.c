/*===- sampler.c - Greedy, temperature, top-k and top-p sampling ----------===*/

#define _GNU_SOURCE
#include "qnt/model.h"

#include <math.h>
#include <stdlib.h>

int qnt_sampler_init(qnt_sampler *s, int32_t vocab, float temperature,
                     int32_t top_k, float top_p, uint64_t seed) {
  s->temperature = temperature;
  s->top_k = top_k;
  s->top_p = top_p;
  s->state = seed ? seed : 0x9e3779b97f4a7c15ull;
  s->order = malloc(sizeof(int32_t) * (size_t)vocab);
  s->probs = malloc(sizeof(float) * (size_t)vocab);
  return s->order && s->probs ? 0 : -1;
}

void qnt_sampler_free(qnt_sampler *s) {
  free(s->order);
  free(s->probs);
  s->order = NULL;
  s->probs = NULL;
}

/* xorshift64*, uniform in [0, 1). */
static float uniform(qnt_sampler *s) {
  s->state ^= s->state >> 12;
  s->state ^= s->state << 25;
  s->state ^= s->state >> 27;
  return (float)((s->state * 0x2545f4914f6cdd1dull) >> 40) / 16777216.0f;
}

/* More probable first; among equals, the lower token id. */
static int before(const float *p, int32_t a, int32_t b) {
  return p[a] > p[b] || (p[a] == p[b] && a < b);
}

static int byProbability(const void *a, const void *b, void *probs) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return before(probs, y, x) - before(probs, x, y);
}

/* Moves the k tokens that come first (see before()) to order[0, k), in no
 * particular order: quickselect, O(n) on average, so top-k sorts k tokens,
 * not the vocabulary. */
static void selectFirst(int32_t *order, int32_t n, int32_t k, const float *p) {
  int32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    int32_t pivot = order[lo + (hi - lo) / 2], i = lo, j = hi;
    while (i <= j) {
      while (before(p, order[i], pivot))
        ++i;
      while (before(p, pivot, order[j]))
        --j;
      if (i <= j) {
        int32_t t = order[i];
        order[i++] = order[j];
        order[j--] = t;
      }
    }
    /* order[lo, j] come before or tie the pivot, order[i, hi] after. */
    if (k - 1 <= j)
      hi = j;
    else if (k - 1 >= i)
      lo = i;
    else
      return;
  }
}

int32_t qnt_sample(qnt_sampler *s, const float *logits, int32_t vocab) {
  int32_t best = 0;
  for (int32_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best])
      best = i;
  if (s->temperature <= 0.0f)
    return best;

  /* Softmax at the temperature. */
  float sum = 0.0f;
  for (int32_t i = 0; i < vocab; ++i) {
    s->probs[i] = expf((logits[i] - logits[best]) / s->temperature);
    sum += s->probs[i];
    s->order[i] = i;
  }
  for (int32_t i = 0; i < vocab; ++i)
    s->probs[i] /= sum;

  /* Most probable first; keep top-k, then the top-p nucleus. With top-k,
   * only the k selected are sorted. */
  int32_t keep = s->top_k > 0 && s->top_k < vocab ? s->top_k : vocab;
  if (keep < vocab)
    selectFirst(s->order, vocab, keep, s->probs);
  qsort_r(s->order, (size_t)keep, sizeof(int32_t), byProbability, s->probs);
  float mass = 0.0f;
  for (int32_t i = 0; i < keep; ++i) {
    mass += s->probs[s->order[i]];
    if (s->top_p < 1.0f && mass >= s->top_p) {
      keep = i + 1;
      break;
    }
  }
  float total = 0.0f;
  for (int32_t i = 0; i < keep; ++i)
    total += s->probs[s->order[i]];
  float r = uniform(s) * total, acc = 0.0f;
  for (int32_t i = 0; i < keep; ++i) {
    acc += s->probs[s->order[i]];
    if (r < acc)
      return s->order[i];
  }
  return s->order[keep - 1];
}
