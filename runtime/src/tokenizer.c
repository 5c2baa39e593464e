/*===- tokenizer.c - SentencePiece-style BPE over a GGUF vocabulary -------===*
 *
 * Encoding, as SentencePiece's llama tokenizer does it: spaces become U+2581
 * and one is put in front; each UTF-8 character becomes its piece, or its
 * bytes as <0xXX> pieces when the vocabulary has no such character (byte
 * fallback); then the adjacent pair whose concatenation is a piece with the
 * highest score is merged, until no pair merges.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include "qnt/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kSpace[] = "\xe2\x96\x81"; /* U+2581 */

/* The id of a piece, or -1. */
static int32_t lookup(const qnt_vocab *v, const char *piece, size_t length) {
  int32_t lo = 0, hi = v->size - 1;
  while (lo <= hi) {
    int32_t mid = lo + (hi - lo) / 2, id = v->sorted[mid];
    uint32_t l = v->lengths[id];
    int c = memcmp(v->pieces[id], piece, l < length ? l : length);
    if (c == 0)
      c = (l > length) - (l < length);
    if (c == 0)
      return id;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

/* Bytes in the UTF-8 sequence starting with c (1 for stray bytes). */
static size_t utf8Length(unsigned char c) {
  if (c >= 0xf0 && c < 0xf8)
    return 4;
  if (c >= 0xe0)
    return c < 0xf0 ? 3 : 1;
  if (c >= 0xc0)
    return 2;
  return 1;
}

int64_t qnt_tokenize(const qnt_vocab *v, const char *text, int bos,
                     int32_t *ids, int64_t max) {
  size_t n = strlen(text);
  /* The normalized text: U+2581 in front and for every space. */
  size_t spaces = 0;
  for (size_t i = 0; i < n; ++i)
    spaces += text[i] == ' ';
  char *norm = malloc(n + 3 * (spaces + 1) + 1);
  int32_t *work = malloc(sizeof(int32_t) * (4 * n + 8));
  char *pair = NULL;
  int64_t count = 0;
  if (!norm || !work)
    goto fail;
  size_t len = 0;
  if (n > 0) {
    memcpy(norm, kSpace, 3);
    len = 3;
  }
  for (size_t i = 0; i < n; ++i) {
    if (text[i] == ' ') {
      memcpy(norm + len, kSpace, 3);
      len += 3;
    } else {
      norm[len++] = text[i];
    }
  }

  /* Characters, or their bytes. */
  for (size_t i = 0; i < len;) {
    size_t l = utf8Length((unsigned char)norm[i]);
    if (i + l > len)
      l = len - i;
    int32_t id = lookup(v, norm + i, l);
    if (id >= 0) {
      work[count++] = id;
    } else {
      for (size_t k = 0; k < l; ++k) {
        int32_t b = v->byte_tokens[(unsigned char)norm[i + k]];
        work[count++] = b >= 0 ? b : v->unk;
      }
    }
    i += l;
  }

  /* Merges, best score first. */
  size_t longest = 0;
  for (int32_t i = 0; i < v->size; ++i)
    if (v->lengths[i] > longest)
      longest = v->lengths[i];
  pair = malloc(2 * longest + 1);
  if (!pair)
    goto fail;
  for (;;) {
    float best = -1e30f;
    int32_t bestId = -1;
    int64_t bestAt = -1;
    for (int64_t i = 0; i + 1 < count; ++i) {
      uint32_t a = v->lengths[work[i]], b = v->lengths[work[i + 1]];
      memcpy(pair, v->pieces[work[i]], a);
      memcpy(pair + a, v->pieces[work[i + 1]], b);
      int32_t id = lookup(v, pair, a + b);
      if (id >= 0 && v->scores[id] > best) {
        best = v->scores[id];
        bestId = id;
        bestAt = i;
      }
    }
    if (bestAt < 0)
      break;
    work[bestAt] = bestId;
    memmove(work + bestAt + 1, work + bestAt + 2,
            sizeof(int32_t) * (size_t)(count - bestAt - 2));
    --count;
  }

  int64_t total = count + (bos ? 1 : 0);
  if (total > max)
    goto fail;
  int64_t out = 0;
  if (bos)
    ids[out++] = v->bos;
  memcpy(ids + out, work, sizeof(int32_t) * (size_t)count);
  free(norm);
  free(work);
  free(pair);
  return total;
fail:
  free(norm);
  free(work);
  free(pair);
  return -1;
}

int64_t qnt_detokenize(const qnt_vocab *v, int32_t previous, int32_t id,
                       char *out, int64_t max) {
  if (max <= 0)
    return 0;
  out[0] = 0;
  if (id < 0 || id >= v->size || v->types[id] == 3 /* control */)
    return 0;
  const char *piece = v->pieces[id];
  unsigned byte;
  int64_t n = 0;
  if (v->lengths[id] == 6 && v->types[id] == 6 &&
      sscanf(piece, "<0x%2X>", &byte) == 1) {
    if (max > 1)
      out[n++] = (char)byte;
    out[n] = 0;
    return n;
  }
  /* After BOS, SentencePiece drops the piece's leading space. */
  if (previous == v->bos && strncmp(piece, kSpace, 3) == 0)
    piece += 3;
  for (; *piece && n + 1 < max;) {
    if (strncmp(piece, kSpace, 3) == 0) {
      out[n++] = ' ';
      piece += 3;
    } else {
      out[n++] = *piece++;
    }
  }
  out[n] = 0;
  return n;
}
