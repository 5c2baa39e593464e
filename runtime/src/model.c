/*===- model.c - Loading a compiled model and running it ------------------===*/

#define _GNU_SOURCE
#include "qnt/model.h"
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int qnt_rt_fail(char *error, size_t size, const char *format, ...) {
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

/*===----------------------------------------------------------------------===*
 * Fingerprints
 *===----------------------------------------------------------------------===*/

static const uint64_t kFnvOffset = 14695981039346656037ull;
static const uint64_t kFnvPrime = 1099511628211ull;

static uint64_t fnv1a(uint64_t h, const void *data, uint64_t size) {
  const unsigned char *p = data;
  for (uint64_t i = 0; i < size; ++i)
    h = (h ^ p[i]) * kFnvPrime;
  return h;
}

uint64_t qnt_weights_fingerprint(const void *data, uint64_t size) {
  const unsigned char *bytes = data;
  const uint64_t edge = 64 << 10, page = 4 << 10, pages = 256;
  uint64_t h = fnv1a(kFnvOffset, &size, sizeof size);
  if (size <= 2 * edge + pages * page)
    return fnv1a(h, bytes, size);
  h = fnv1a(h, bytes, edge);
  uint64_t inner = size - 2 * edge - page;
  for (uint64_t i = 0; i < pages; ++i)
    h = fnv1a(h, bytes + edge + inner / (pages - 1) * i, page);
  return fnv1a(h, bytes + size - edge, edge);
}

_Static_assert(sizeof(qnt_meta_header) == 176 &&
                   offsetof(qnt_meta_header, model_id) == 168,
               "no padding: the model id hashes the header's bytes");

size_t qnt_kv_cache_element_size(int32_t kv_cache) {
  switch (kv_cache) {
  case QNT_KV_CACHE_F32:
    return 4;
  case QNT_KV_CACHE_F16:
    return 2;
  case QNT_KV_CACHE_Q8_0:
    return 1;
  default:
    return 0;
  }
}

const char *qnt_kv_cache_name(int32_t kv_cache) {
  switch (kv_cache) {
  case QNT_KV_CACHE_F32:
    return "f32";
  case QNT_KV_CACHE_F16:
    return "f16";
  case QNT_KV_CACHE_Q8_0:
    return "q8_0";
  default:
    return "?";
  }
}

int64_t qnt_kv_cache_bytes_per_token(const qnt_meta_header *h) {
  int64_t kvDim = h->kv_heads * h->head_dim;
  int64_t row = kvDim * (int64_t)qnt_kv_cache_element_size(h->kv_cache);
  if (h->kv_cache == QNT_KV_CACHE_Q8_0)
    row += kvDim / 32 * 2; /* the f16 scales */
  return 2 * h->blocks * row;
}

uint64_t qnt_model_id(const qnt_meta_header *header) {
  return fnv1a(kFnvOffset, header, offsetof(qnt_meta_header, model_id));
}

/*===----------------------------------------------------------------------===*
 * Loading
 *===----------------------------------------------------------------------===*/

static int readMeta(qnt_model *m, const char *path, const char *library,
                    char *error, size_t size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return qnt_rt_fail(error, size,
                "cannot open %s: quant-compile writes it beside %s, with the "
                "weights; a model is the three files together",
                path, library);
  qnt_meta_header *h = &m->config;
  int ok = fread(h, sizeof *h, 1, f) == 1;
  if (ok && memcmp(h->magic, "QNTMETA", 7) == 0 &&
      memcmp(h->magic, QNT_META_MAGIC, 8) != 0) {
    fclose(f);
    return qnt_rt_fail(error, size,
                "%s was written by another version of quant-compile (format "
                "%.8s, this runtime reads %s): compile the model again",
                path, h->magic, QNT_META_MAGIC);
  }
  ok = ok && memcmp(h->magic, QNT_META_MAGIC, 8) == 0;
  if (ok && qnt_model_id(h) != h->model_id) {
    fclose(f);
    return qnt_rt_fail(error, size, "%s is damaged: its header does not match its "
                "model id", path);
  }
  if (!ok || h->dim <= 0 || h->blocks <= 0 || h->heads <= 0 || h->kv_heads <= 0 ||
      h->head_dim <= 0 || h->vocab <= 0 || h->vocab > (1 << 24) ||
      h->context <= 0 || h->context > (1 << 24)) {
    fclose(f);
    return qnt_rt_fail(error, size, "%s is not a model.meta file quant-compile wrote", path);
  }
  if (qnt_kv_cache_element_size(h->kv_cache) == 0) {
    fclose(f);
    return qnt_rt_fail(error, size, "%s names KV cache type %d, which this runtime "
                "does not know", path, h->kv_cache);
  }
  if (h->kv_cache == QNT_KV_CACHE_Q8_0 && h->head_dim % 32 != 0) {
    fclose(f);
    return qnt_rt_fail(error, size, "%s is not a model.meta file quant-compile wrote", path);
  }
  if (h->tokenizer != QNT_TOKENIZER_SPM && h->tokenizer != QNT_TOKENIZER_BPE) {
    fclose(f);
    return qnt_rt_fail(error, size, "%s names tokenizer kind %d, which this runtime "
                "does not know", path, h->tokenizer);
  }
  if (h->bos < -1 || h->bos >= h->vocab || h->eos < -1 || h->eos >= h->vocab ||
      h->unk < -1 || h->unk >= h->vocab || h->eot < -1 || h->eot >= h->vocab ||
      h->notes < 0 || h->notes > (1 << 20) || h->merges < 0 || h->merges > (1 << 24) || h->chat_template < 0 ||
      h->chat_template > (1 << 24)) {
    fclose(f);
    return qnt_rt_fail(error, size, "%s is not a model.meta file quant-compile wrote", path);
  }
  qnt_vocab *v = &m->vocab;
  v->size = (int32_t)h->vocab;
  v->kind = h->tokenizer;
  v->pre = h->pre;
  v->bos = h->bos;
  v->eos = h->eos;
  v->unk = h->unk;
  v->eot = h->eot;
  v->add_bos = h->add_bos;
  v->pieces = calloc((size_t)v->size, sizeof(char *));
  v->lengths = calloc((size_t)v->size, sizeof(uint32_t));
  v->scores = calloc((size_t)v->size, sizeof(float));
  v->types = calloc((size_t)v->size, sizeof(int32_t));
  char **merges = calloc((size_t)h->merges + 1, sizeof(char *));
  uint32_t *mergeLengths = calloc((size_t)h->merges + 1, sizeof(uint32_t));
  v->chat_template = calloc((size_t)h->chat_template + 1, 1);
  m->notes = calloc((size_t)h->notes + 1, 1);
  int rc = -1;
  if (!v->pieces || !v->lengths || !v->scores || !v->types || !merges ||
      !mergeLengths || !v->chat_template || !m->notes) {
    qnt_rt_fail(error, size, "out of memory reading %s", path);
    goto done;
  }
  for (int32_t i = 0; i < v->size; ++i) {
    uint32_t length = 0;
    if (fread(&v->scores[i], 4, 1, f) != 1 || fread(&v->types[i], 4, 1, f) != 1 ||
        fread(&length, 4, 1, f) != 1 || length > 65536 ||
        !(v->pieces[i] = malloc(length + 1)) ||
        fread(v->pieces[i], 1, length, f) != length) {
      qnt_rt_fail(error, size, "%s: token %d is truncated", path, i);
      goto done;
    }
    v->pieces[i][length] = 0;
    v->lengths[i] = length;
  }
  for (int64_t i = 0; i < h->merges; ++i) {
    uint32_t length = 0;
    if (fread(&length, 4, 1, f) != 1 || length > 65536 ||
        !(merges[i] = malloc(length + 1)) ||
        fread(merges[i], 1, length, f) != length) {
      qnt_rt_fail(error, size, "%s: merge %lld is truncated", path, (long long)i);
      goto done;
    }
    mergeLengths[i] = length;
  }
  if (fread(v->chat_template, 1, (size_t)h->chat_template, f) !=
      (size_t)h->chat_template) {
    qnt_rt_fail(error, size, "%s: the chat template is truncated", path);
    goto done;
  }
  if (fread(m->notes, 1, (size_t)h->notes, f) != (size_t)h->notes) {
    qnt_rt_fail(error, size, "%s: the compile notes are truncated", path);
    goto done;
  }
  if (fgetc(f) != EOF) {
    qnt_rt_fail(error, size, "%s has bytes after its last token", path);
    goto done;
  }
  char why[256];
  if (qnt_vocab_prepare(v, (const char *const *)merges, mergeLengths, h->merges,
                        why, sizeof why) != 0) {
    qnt_rt_fail(error, size, "%s: %s", path, why);
    goto done;
  }
  rc = 0;
done:
  fclose(f);
  for (int64_t i = 0; merges && i < h->merges; ++i)
    free(merges[i]);
  free(merges);
  free(mergeLengths);
  return rc;
}

int qnt_meta_write(const char *path, const qnt_meta_header *h,
                   const char *const *pieces, const uint32_t *lengths,
                   const float *scores, const int32_t *types,
                   const char *const *merge_pieces,
                   const uint32_t *merge_lengths, const char *chat_template,
                   const char *notes, char *error, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return qnt_rt_fail(error, size, "cannot write %s: %s", path, strerror(errno));
  int ok = fwrite(h, sizeof *h, 1, f) == 1;
  for (int64_t i = 0; ok && i < h->vocab; ++i)
    ok = fwrite(&scores[i], 4, 1, f) == 1 && fwrite(&types[i], 4, 1, f) == 1 &&
         fwrite(&lengths[i], 4, 1, f) == 1 &&
         fwrite(pieces[i], 1, lengths[i], f) == lengths[i];
  for (int64_t i = 0; ok && i < h->merges; ++i)
    ok = fwrite(&merge_lengths[i], 4, 1, f) == 1 &&
         fwrite(merge_pieces[i], 1, merge_lengths[i], f) == merge_lengths[i];
  ok = ok && fwrite(chat_template, 1, (size_t)h->chat_template, f) ==
                 (size_t)h->chat_template;
  ok = ok && fwrite(notes, 1, (size_t)h->notes, f) == (size_t)h->notes;
  int closed = fclose(f) == 0;
  if (!ok || !closed)
    return qnt_rt_fail(error, size, "cannot write %s: %s", path, strerror(errno));
  return 0;
}

/* Maps model.weights after checking it is the file model.meta records. */
/* The weights in anonymous memory the kernel may back with 2 MiB pages
 * (MADV_HUGEPAGE; transparent huge pages in "madvise" or "always" mode),
 * read from the file, then made read-only. Decode streams every weight once a
 * token: with 4 KiB pages of a file mapping it takes a TLB miss every 4 KiB;
 * Llama-3.2-1B Q4_K_M decoded 1.06-1.07x as fast this way. NULL if the memory
 * cannot be had or the file not read (the caller maps the file instead);
 * QNT_MMAP_WEIGHTS=1 asks for the file mapping (shared with other
 * processes through the page cache, no copy). */
static void *readIntoHugePages(int fd, size_t bytes) {
  void *p = qnt_rt_alloc_pages(bytes);
  if (!p)
    return NULL;
  size_t done = 0;
  while (done < bytes) {
    ssize_t n = pread(fd, (char *)p + done, bytes - done, (off_t)done);
    if (n <= 0) {
      qnt_rt_free_pages(p, bytes);
      return NULL;
    }
    done += (size_t)n;
  }
  mprotect(p, bytes, PROT_READ);
  return p;
}

static int mapWeights(qnt_model *m, const char *path, const char *meta,
                      char *error, size_t size) {
  uint64_t expected = m->config.weights_size;
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    return qnt_rt_fail(error, size, "cannot open %s: quant-compile writes it beside "
                "%s", path, meta);
  }
  uint64_t actual = (uint64_t)st.st_size;
  if (actual != expected) {
    close(fd);
    if (actual == 0)
      return qnt_rt_fail(error, size, "%s is empty; %s expects %llu bytes", path,
                  meta, (unsigned long long)expected);
    return qnt_rt_fail(error, size,
                "%s is %llu bytes; %s expects %llu: the file is %s", path,
                (unsigned long long)actual, meta, (unsigned long long)expected,
                actual < expected ? "truncated" : "from another compile");
  }
  m->weights_size = (size_t)actual;
  m->weights = NULL;
  if (actual && !getenv("QNT_MMAP_WEIGHTS"))
    m->weights = readIntoHugePages(fd, m->weights_size);
  if (actual && !m->weights)
    m->weights = mmap(NULL, m->weights_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m->weights == MAP_FAILED) {
    m->weights = NULL;
    return qnt_rt_fail(error, size, "cannot map %s", path);
  }
  if (qnt_weights_fingerprint(m->weights, actual) != m->config.weights_fingerprint)
    return qnt_rt_fail(error, size,
                "%s does not belong to %s: its contents are not the weights "
                "the model was compiled with (files of two compiles mixed?)",
                path, meta);
  char why[256];
  if (qnt_weights_index_read(m->weights, actual, &m->weights_index, why,
                             sizeof why) != 0)
    return qnt_rt_fail(error, size, "%s: %s", path, why);
  return 0;
}

int qnt_model_load(qnt_model *m, const char *library_path, char *error,
                   size_t size) {
  memset(m, 0, sizeof *m);
  char *meta = sibling(library_path, ".meta");
  char *weights = sibling(library_path, ".weights");
  int rc = -1;
  if (!meta || !weights) {
    qnt_rt_fail(error, size, "out of memory");
    goto done;
  }
  if (readMeta(m, meta, library_path, error, size) != 0)
    goto done;
  if (m->config.abi_version != QNT_MODEL_ABI_VERSION) {
    qnt_rt_fail(error, size, "%s describes entry points of ABI version %d; this "
         "runtime calls version %d: compile the model again",
         meta, m->config.abi_version, QNT_MODEL_ABI_VERSION);
    goto done;
  }
  if (mapWeights(m, weights, meta, error, size) != 0)
    goto done;

  /* A name without a slash would be searched on the library path. */
  char local[4096];
  const char *open_path = library_path;
  if (!strchr(library_path, '/')) {
    snprintf(local, sizeof local, "./%s", library_path);
    open_path = local;
  }
  m->library = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
  if (!m->library) {
    qnt_rt_fail(error, size, "cannot load %s: %s", library_path, dlerror());
    goto done;
  }
  const int32_t *abi = dlsym(m->library, QNT_MODEL_ABI_SYMBOL);
  const uint64_t *id = dlsym(m->library, QNT_MODEL_ID_SYMBOL);
  if (!abi || !id) {
    qnt_rt_fail(error, size, "%s is not a model compiled by quant-compile (it has no "
         "%s)", library_path, !abi ? QNT_MODEL_ABI_SYMBOL : QNT_MODEL_ID_SYMBOL);
    goto done;
  }
  if (*abi != QNT_MODEL_ABI_VERSION) {
    qnt_rt_fail(error, size, "%s has entry points of ABI version %d; this runtime "
         "calls version %d: compile the model again",
         library_path, *abi, QNT_MODEL_ABI_VERSION);
    goto done;
  }
  if (*id != m->config.model_id) {
    qnt_rt_fail(error, size, "%s does not belong to %s: it was compiled for model "
         "%016llx, the meta file describes %016llx (files of two compiles "
         "mixed?)", library_path, meta, (unsigned long long)*id,
         (unsigned long long)m->config.model_id);
    goto done;
  }
  m->forward = (qnt_forward_fn)dlsym(m->library, "_mlir_ciface_forward");
  m->decode = (qnt_decode_fn)dlsym(m->library, "_mlir_ciface_decode");
  if (!m->forward || !m->decode) {
    qnt_rt_fail(error, size, "%s has no forward/decode entry points", library_path);
    goto done;
  }
  m->profile_names = (const char *)dlsym(m->library, QNT_PROFILE_NAMES_SYMBOL);

  size_t cache = (size_t)(m->config.blocks * m->config.context *
                          m->config.kv_heads * m->config.head_dim) *
                 qnt_kv_cache_element_size(m->config.kv_cache);
  m->kcache = qnt_rt_alloc(cache);
  m->vcache = qnt_rt_alloc(cache);
  if (!m->kcache || !m->vcache) {
    qnt_rt_fail(error, size, "cannot allocate the KV cache (2 x %zu bytes)", cache);
    goto done;
  }
  memset(m->kcache, 0, cache);
  memset(m->vcache, 0, cache);
  if (m->config.kv_cache == QNT_KV_CACHE_Q8_0) {
    size_t scales = (size_t)(m->config.blocks * m->config.context *
                             (m->config.kv_heads * m->config.head_dim / 32)) * 2;
    m->kscales = qnt_rt_alloc(scales);
    m->vscales = qnt_rt_alloc(scales);
    if (!m->kscales || !m->vscales) {
      qnt_rt_fail(error, size, "cannot allocate the KV cache's scales (2 x %zu bytes)",
                  scales);
      goto done;
    }
    memset(m->kscales, 0, scales);
    memset(m->vscales, 0, scales);
  }
  m->batch = QNT_DEFAULT_BATCH;
  rc = 0;
done:
  free(meta);
  free(weights);
  if (rc != 0)
    qnt_model_free(m);
  return rc;
}

void qnt_model_free(qnt_model *m) {
  qnt_vocab_free(&m->vocab);
  free(m->notes);
  if (m->weights)
    munmap(m->weights, m->weights_size);
  if (m->library)
    dlclose(m->library);
  qnt_rt_free(m->kcache);
  qnt_rt_free(m->vcache);
  qnt_rt_free(m->kscales);
  qnt_rt_free(m->vscales);
  memset(m, 0, sizeof *m);
}

/* A cache (or its scales) as the entry points take it, head-major:
 * [layers, kv_heads, context, cols], cols = head_dim (head_dim / 32). */
static qnt_memref_4d cacheView(void *data, const qnt_meta_header *c,
                               int64_t cols) {
  int64_t heads = c->kv_heads, context = c->context;
  qnt_memref_4d v = {data,
                     data,
                     0,
                     {c->blocks, heads, context, cols},
                     {heads * context * cols, context * cols, cols, 1}};
  return v;
}

/* Positions pos .. pos + count - 1; the logits of the call's positions
 * from .. count - 1. */
static int run(qnt_model *m, const int32_t *tokens, int64_t count, int64_t pos,
               int64_t from, float *logits, char *error, size_t size) {
  const qnt_meta_header *c = &m->config;
  if (count < 1 || pos < 0 || pos + count > c->context)
    return qnt_rt_fail(error, size,
                "positions %lld..%lld do not fit the context of %lld tokens",
                (long long)pos, (long long)(pos + count - 1),
                (long long)c->context);
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= c->vocab)
      return qnt_rt_fail(error, size, "token %d is not in the vocabulary", tokens[i]);
  /* Head-major, [layers, kv_heads, context, head_dim]; scales head_dim / 32. */
  int64_t blocks = c->head_dim / 32;
  qnt_memref_4d kc = cacheView(m->kcache, c, c->head_dim);
  qnt_memref_4d vc = cacheView(m->vcache, c, c->head_dim);
  qnt_memref_4d ks = cacheView(m->kscales, c, blocks);
  qnt_memref_4d vs = cacheView(m->vscales, c, blocks);
  int q8 = c->kv_cache == QNT_KV_CACHE_Q8_0;
  qnt_memref_1d w = qnt_memref_1d_of(m->weights, (int64_t)m->weights_size);
  /* Batches of at most m->batch tokens, each attending to the cache the
   * earlier ones wrote. A batch whose positions all precede `from` still
   * computes one row of logits (the compiled forward writes at least one):
   * into `spare`. */
  int64_t batch = m->batch > 0 ? m->batch : count;
  float *spare = NULL;
  for (int64_t start = 0; start < count; start += batch) {
    int64_t n = count - start < batch ? count - start : batch;
    int64_t first = from > start ? from - start : 0; /* first row wanted */
    float *rows = logits + (start + first - from) * c->vocab;
    if (first >= n) {
      if (!spare && !(spare = malloc((size_t)c->vocab * sizeof(float))))
        return qnt_rt_fail(error, size, "cannot allocate a row of logits");
      first = n - 1;
      rows = spare;
    }
    qnt_memref_1d chunk = qnt_memref_1d_of((void *)(uintptr_t)(tokens + start), n);
    qnt_memref_2d out = qnt_memref_2d_of(rows, n - first, c->vocab);
    if (n == 1 && q8)
      ((qnt_decode_q8_fn)m->decode)(&chunk, pos + start, &kc, &vc, &ks, &vs, &w, &out);
    else if (n == 1)
      m->decode(&chunk, pos + start, &kc, &vc, &w, &out);
    else if (q8)
      ((qnt_forward_q8_fn)m->forward)(&chunk, pos + start, first, &kc, &vc, &ks, &vs,
                                      &w, &out);
    else
      m->forward(&chunk, pos + start, first, &kc, &vc, &w, &out);
  }
  free(spare);
  return 0;
}

int qnt_model_run(qnt_model *m, const int32_t *tokens, int64_t count,
                  int64_t pos, float *logits, char *error, size_t size) {
  return run(m, tokens, count, pos, 0, logits, error, size);
}

int qnt_model_run_last(qnt_model *m, const int32_t *tokens, int64_t count,
                       int64_t pos, float *logits, char *error, size_t size) {
  return run(m, tokens, count, pos, count > 0 ? count - 1 : 0, logits, error,
             size);
}
