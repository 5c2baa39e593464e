/*===- model.c - Loading a compiled model and running it ------------------===*/

#define _GNU_SOURCE
#include "qnt/model.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *error, size_t size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  if (error && size)
    vsnprintf(error, size, format, args);
  va_end(args);
  return -1;
}

/* path with its extension replaced by `ext` (".meta"). */
static char *sibling(const char *path, const char *ext) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
  char *out = malloc(stem + strlen(ext) + 1);
  if (!out)
    return NULL;
  memcpy(out, path, stem);
  strcpy(out + stem, ext);
  return out;
}

static int comparePieces(const void *a, const void *b, void *vocab) {
  const qnt_vocab *v = vocab;
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  uint32_t lx = v->lengths[x], ly = v->lengths[y];
  int c = memcmp(v->pieces[x], v->pieces[y], lx < ly ? lx : ly);
  return c ? c : (lx > ly) - (lx < ly);
}

static int readMeta(qnt_model *m, const char *path, char *error, size_t size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(error, size, "cannot open %s", path);
  qnt_meta_header *h = &m->config;
  int ok = fread(h, sizeof *h, 1, f) == 1 && memcmp(h->magic, QNT_META_MAGIC, 8) == 0;
  if (!ok || h->dim <= 0 || h->blocks <= 0 || h->heads <= 0 || h->kv_heads <= 0 ||
      h->head_dim <= 0 || h->vocab <= 0 || h->vocab > (1 << 24) ||
      h->context <= 0 || h->context > (1 << 24)) {
    fclose(f);
    return fail(error, size, "%s is not a model.meta file quant-compile wrote", path);
  }
  qnt_vocab *v = &m->vocab;
  v->size = (int32_t)h->vocab;
  v->bos = h->bos;
  v->eos = h->eos;
  v->unk = h->unk;
  v->add_bos = h->add_bos;
  v->pieces = calloc((size_t)v->size, sizeof(char *));
  v->lengths = calloc((size_t)v->size, sizeof(uint32_t));
  v->scores = calloc((size_t)v->size, sizeof(float));
  v->types = calloc((size_t)v->size, sizeof(int32_t));
  v->sorted = calloc((size_t)v->size, sizeof(int32_t));
  if (!v->pieces || !v->lengths || !v->scores || !v->types || !v->sorted) {
    fclose(f);
    return fail(error, size, "out of memory reading %s", path);
  }
  for (int i = 0; i < 256; ++i)
    v->byte_tokens[i] = -1;
  for (int32_t i = 0; i < v->size; ++i) {
    uint32_t length;
    if (fread(&v->scores[i], 4, 1, f) != 1 || fread(&v->types[i], 4, 1, f) != 1 ||
        fread(&length, 4, 1, f) != 1 || length > 65536) {
      fclose(f);
      return fail(error, size, "%s: token %d is truncated", path, i);
    }
    v->pieces[i] = malloc(length + 1);
    if (!v->pieces[i] || fread(v->pieces[i], 1, length, f) != length) {
      fclose(f);
      return fail(error, size, "%s: token %d is truncated", path, i);
    }
    v->pieces[i][length] = 0;
    v->lengths[i] = length;
    unsigned byte;
    if (length == 6 && sscanf(v->pieces[i], "<0x%2X>", &byte) == 1)
      v->byte_tokens[byte] = i;
    v->sorted[i] = i;
  }
  fclose(f);
  qsort_r(v->sorted, (size_t)v->size, sizeof(int32_t), comparePieces, v);
  return 0;
}

int qnt_model_load(qnt_model *m, const char *library_path, char *error,
                   size_t size) {
  memset(m, 0, sizeof *m);
  char *meta = sibling(library_path, ".meta");
  char *weights = sibling(library_path, ".weights");
  int rc = -1;
  if (!meta || !weights) {
    fail(error, size, "out of memory");
    goto done;
  }
  if (readMeta(m, meta, error, size) != 0)
    goto done;

  int fd = open(weights, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    fail(error, size, "cannot open %s", weights);
    goto done;
  }
  m->weights_size = (size_t)st.st_size;
  m->weights = m->weights_size
                   ? mmap(NULL, m->weights_size, PROT_READ, MAP_PRIVATE, fd, 0)
                   : NULL;
  close(fd);
  if (m->weights == MAP_FAILED) {
    m->weights = NULL;
    fail(error, size, "cannot map %s", weights);
    goto done;
  }

  /* A name without a slash would be searched on the library path. */
  char local[4096];
  const char *open_path = library_path;
  if (!strchr(library_path, '/')) {
    snprintf(local, sizeof local, "./%s", library_path);
    open_path = local;
  }
  m->library = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
  if (!m->library) {
    fail(error, size, "cannot load %s: %s", library_path, dlerror());
    goto done;
  }
  m->forward = (qnt_entry_fn)dlsym(m->library, "_mlir_ciface_forward");
  m->decode = (qnt_entry_fn)dlsym(m->library, "_mlir_ciface_decode");
  if (!m->forward || !m->decode) {
    fail(error, size, "%s has no forward/decode entry points", library_path);
    goto done;
  }

  size_t cache = (size_t)(m->config.blocks * m->config.context *
                          m->config.kv_heads * m->config.head_dim);
  m->kcache = qnt_rt_alloc(cache * sizeof(float));
  m->vcache = qnt_rt_alloc(cache * sizeof(float));
  if (!m->kcache || !m->vcache) {
    fail(error, size, "cannot allocate the KV cache (%zu floats)", 2 * cache);
    goto done;
  }
  memset(m->kcache, 0, cache * sizeof(float));
  memset(m->vcache, 0, cache * sizeof(float));
  rc = 0;
done:
  free(meta);
  free(weights);
  if (rc != 0)
    qnt_model_free(m);
  return rc;
}

void qnt_model_free(qnt_model *m) {
  if (m->vocab.pieces)
    for (int32_t i = 0; i < m->vocab.size; ++i)
      free(m->vocab.pieces[i]);
  free(m->vocab.pieces);
  free(m->vocab.lengths);
  free(m->vocab.scores);
  free(m->vocab.types);
  free(m->vocab.sorted);
  if (m->weights)
    munmap(m->weights, m->weights_size);
  if (m->library)
    dlclose(m->library);
  qnt_rt_free(m->kcache);
  qnt_rt_free(m->vcache);
  memset(m, 0, sizeof *m);
}

int qnt_model_run(qnt_model *m, const int32_t *tokens, int64_t count,
                  int64_t pos, float *logits, char *error, size_t size) {
  const qnt_meta_header *c = &m->config;
  if (count < 1 || pos < 0 || pos + count > c->context)
    return fail(error, size,
                "positions %lld..%lld do not fit the context of %lld tokens",
                (long long)pos, (long long)(pos + count - 1),
                (long long)c->context);
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= c->vocab)
      return fail(error, size, "token %d is not in the vocabulary", tokens[i]);
  int64_t kvDim = c->kv_heads * c->head_dim;
  qnt_memref_1d ids = qnt_memref_1d_of((void *)(uintptr_t)tokens, count);
  qnt_memref_3d kc = {m->kcache, m->kcache, 0, {c->blocks, c->context, kvDim},
                      {c->context * kvDim, kvDim, 1}};
  qnt_memref_3d vc = {m->vcache, m->vcache, 0, {c->blocks, c->context, kvDim},
                      {c->context * kvDim, kvDim, 1}};
  qnt_memref_1d w = qnt_memref_1d_of(m->weights, (int64_t)m->weights_size);
  qnt_memref_2d out = qnt_memref_2d_of(logits, count, c->vocab);
  (count == 1 ? m->decode : m->forward)(&ids, pos, &kc, &vc, &w, &out);
  return 0;
}
