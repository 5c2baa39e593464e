/*===- threads.c - The thread pool behind qnt_rt_parallel_for -------------===*
 *
 * A fixed set of workers waits for jobs. A parallel_for publishes one job (a
 * function, its context) and gives each thread, the caller included, a
 * contiguous share of the range, then bumps a generation counter. Each
 * thread claims chunks from the front of its own share; a thread whose share
 * is done steals the back half of what another has not claimed yet, and
 * goes on with that as its share. The caller returns once every worker has
 * checked out of the generation.
 *
 * A share is one atomic word (next and end, 32 bits each) on a cache line
 * of its own: its owner's claims stay in its own cache, and the threads
 * touch each other's lines only to steal, near the end of a loop. Each
 * claim takes a quarter of what is left of the share, at least one
 * iteration, so the last ones are single iterations and the threads finish
 * within about one iteration of each other. A thread streams its share's
 * weights in one run from the front; with the guided schedule this
 * replaced (chunks of 1/(2 x threads) of what was left, from one shared
 * counter), the threads' chunks interleaved, so each thread's streams
 * broke off at every claim, and every claim moved the counter's cache
 * line between the cores. Whole models, old and new alternated on a Zen 5
 * (2 threads, 2026-12-06): decode 1.03-1.08x, prompt 0.99-1.04x.
 *
 * Waiting spins on the atomic counters for a while before sleeping on a
 * condition variable: a model step runs tens of parallel loops a few
 * microseconds apart, and waking a sleeping thread costs more than that.
 * The mutex and the condition variables are touched only when a thread
 * sleeps: a waiter counts itself (sleepingWorkers, callerSleeping) before it
 * checks its counter again under the mutex, and the other side reads that
 * count after changing the counter (both sequentially consistent), so one
 * of them sees the other and no wake-up is lost. Locking and signalling
 * after every loop made the caller's next call wait for the worker's
 * unlock.
 *
 * With qnt_rt_thread_stats_enable(1) each loop also reads the clock: the
 * caller around the loop and after its own chunks (what remains is its
 * wait for the workers), each worker around its chunks, into a counter of
 * its own that the caller reads once the workers have checked out.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include "qnt/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Spins before a wait sleeps (each a pause instruction, ~50 ns or more). */
#define QNT_SPIN_ITERATIONS 20000

/* A job's range is cut into pieces of at most this many iterations, so a
 * share's next and end fit in 32 bits each. */
#define QNT_MAX_JOB_ITERATIONS ((int64_t)1 << 31)

static inline void cpuRelax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* A thread's share of the current job: iterations [next, end) after the
 * job's begin, next in the low 32 bits. */
typedef struct {
  _Alignas(64) atomic_ullong range;
} share_t;

static inline unsigned long long packRange(uint32_t next, uint32_t end) {
  return (unsigned long long)end << 32 | next;
}
static inline uint32_t rangeNext(unsigned long long r) { return (uint32_t)r; }
static inline uint32_t rangeEnd(unsigned long long r) {
  return (uint32_t)(r >> 32);
}

static struct {
  pthread_mutex_t mutex;
  pthread_cond_t wake, done;
  pthread_t *workers;
  share_t *shares;   /* numWorkers + 1: the caller's first */
  int numWorkers;    /* threads besides the caller */
  int requested;     /* 0: not decided yet */
  atomic_long generation; /* bumped per job; workers run each one once */
  long startGeneration; /* the generation when the workers were started */
  atomic_int busyWorkers; /* workers still in the current generation */
  atomic_int sleepingWorkers; /* workers waiting on `wake` */
  atomic_int callerSleeping;  /* the caller waits on `done` */
  atomic_int stopping;
  struct {
    _Alignas(64) qnt_rt_task_fn fn;
    void *ctx;
    int64_t begin;
  } job; /* written by the caller before it bumps the generation */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER};

static pthread_mutex_t callMutex = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int insideTask;

/* qnt_rt_thread_stats: the caller's counters, under callMutex; each
 * worker's busy time on a line of its own (workerBusy[i - 1] for worker i),
 * written before it checks out of a job. */
static atomic_int statsOn;
static atomic_llong serialLoops;
static struct {
  int64_t loops;
  double loopSeconds, waitSeconds;
} stats;
typedef struct {
  _Alignas(64) double seconds;
} busy_t;
static busy_t *workerBusy;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Claims the next chunk of `share`: a quarter of what is left, at least one
 * iteration. Returns 0 when the share is empty. */
static int claim(share_t *share, uint32_t *b, uint32_t *e) {
  unsigned long long r = atomic_load_explicit(&share->range,
                                              memory_order_relaxed);
  for (;;) {
    uint32_t next = rangeNext(r), end = rangeEnd(r);
    if (next >= end)
      return 0;
    uint32_t size = (end - next) / 4;
    uint32_t stop = next + (size > 1 ? size : 1);
    /* On failure r is reloaded: a thief took the back of the share. */
    if (atomic_compare_exchange_weak(&share->range, &r,
                                     packRange(stop, end))) {
      *b = next;
      *e = stop;
      return 1;
    }
  }
}

/* Moves the back half of another thread's unclaimed iterations into `self`'s
 * share (which is empty). Returns 0 when every other share is empty. */
static int steal(int self, int threads) {
  for (int k = 1; k < threads; ++k) {
    share_t *victim = &pool.shares[(self + k) % threads];
    unsigned long long r = atomic_load_explicit(&victim->range,
                                                memory_order_relaxed);
    for (;;) {
      uint32_t next = rangeNext(r), end = rangeEnd(r);
      if (next >= end)
        break;
      uint32_t split = end - (end - next + 1) / 2;
      if (atomic_compare_exchange_weak(&victim->range, &r,
                                       packRange(next, split))) {
        atomic_store(&pool.shares[self].range, packRange(split, end));
        return 1;
      }
    }
  }
  return 0;
}

/* Runs chunks of `self`'s share, then of what it steals, until no share has
 * iterations left. */
static void runShares(int self, int threads) {
  insideTask = 1;
  qnt_rt_task_fn fn = pool.job.fn;
  void *ctx = pool.job.ctx;
  int64_t begin = pool.job.begin;
  do {
    uint32_t b, e;
    while (claim(&pool.shares[self], &b, &e))
      fn(ctx, begin + b, begin + e);
  } while (steal(self, threads));
  insideTask = 0;
}

static void *workerMain(void *arg) {
  int self = (int)(intptr_t)arg;
  /* The generation of the pool's start, not 0: a pool started again (a new
   * thread count) would otherwise run the last job of the one before, its
   * function and context long gone, or share in the next job as if it were
   * that one and check out of it early. */
  long seen = pool.startGeneration;
  for (;;) {
    /* Spin for the next generation, then sleep. */
    int spins = 0;
    while (atomic_load(&pool.generation) == seen && !pool.stopping &&
           spins++ < QNT_SPIN_ITERATIONS)
      cpuRelax();
    if (atomic_load(&pool.generation) == seen) {
      pthread_mutex_lock(&pool.mutex);
      atomic_fetch_add(&pool.sleepingWorkers, 1);
      while (atomic_load(&pool.generation) == seen && !pool.stopping)
        pthread_cond_wait(&pool.wake, &pool.mutex);
      atomic_fetch_sub(&pool.sleepingWorkers, 1);
      pthread_mutex_unlock(&pool.mutex);
    }
    if (pool.stopping)
      break;
    seen = atomic_load(&pool.generation);
    if (atomic_load_explicit(&statsOn, memory_order_relaxed)) {
      double t0 = now();
      runShares(self, pool.numWorkers + 1);
      workerBusy[self - 1].seconds += now() - t0;
    } else {
      runShares(self, pool.numWorkers + 1);
    }
    if (atomic_fetch_sub(&pool.busyWorkers, 1) == 1 &&
        atomic_load(&pool.callerSleeping)) {
      pthread_mutex_lock(&pool.mutex);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.mutex);
    }
  }
  return NULL;
}

static int defaultThreads(void) {
  const char *env = getenv("QNT_NUM_THREADS");
  if (env && atoi(env) > 0)
    return atoi(env);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* Frees the pool's arrays (its workers stopped or never started). */
static void freePool(void) {
  free(pool.workers);
  free(pool.shares);
  free(workerBusy);
  pool.workers = NULL;
  pool.shares = NULL;
  workerBusy = NULL;
  pool.numWorkers = 0;
}

static void stopPool(void) {
  pthread_mutex_lock(&pool.mutex);
  pool.stopping = 1;
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mutex);
  for (int i = 0; i < pool.numWorkers; ++i)
    pthread_join(pool.workers[i], NULL);
  freePool();
  pool.stopping = 0;
}

/* Starts the workers if they are not running. Called under callMutex. */
static void startPool(void) {
  if (pool.workers || qnt_rt_num_threads() <= 1)
    return;
  int n = qnt_rt_num_threads() - 1;
  pool.workers = calloc((size_t)n, sizeof(pthread_t));
  pool.shares = aligned_alloc(_Alignof(share_t), (size_t)(n + 1) * sizeof(share_t));
  workerBusy = aligned_alloc(_Alignof(busy_t), (size_t)n * sizeof(busy_t));
  if (!pool.workers || !pool.shares || !workerBusy) {
    freePool();
    return;
  }
  for (int i = 0; i < n; ++i)
    workerBusy[i].seconds = 0;
  for (int i = 0; i <= n; ++i)
    atomic_init(&pool.shares[i].range, 0);
  pool.startGeneration = atomic_load(&pool.generation);
  for (int i = 0; i < n; ++i) {
    if (pthread_create(&pool.workers[i], NULL, workerMain,
                       (void *)(intptr_t)(i + 1)) != 0)
      break; /* run with the workers that started */
    pool.numWorkers = i + 1;
  }
}

int qnt_rt_num_threads(void) {
  if (pool.requested == 0)
    pool.requested = defaultThreads();
  return pool.requested;
}

void qnt_rt_set_num_threads(int n) {
  pthread_mutex_lock(&callMutex);
  if (pool.workers)
    stopPool();
  pool.requested = n > 0 ? n : 1;
  pthread_mutex_unlock(&callMutex);
}

/* One job of at most QNT_MAX_JOB_ITERATIONS, on the running pool. Called
 * under callMutex. */
static void runJob(qnt_rt_task_fn fn, void *ctx, int64_t begin, int64_t n) {
  /* The loop's time from before it is published: the workers' time in it
   * falls inside. */
  int counting = atomic_load_explicit(&statsOn, memory_order_relaxed);
  double t0 = counting ? now() : 0;
  int threads = pool.numWorkers + 1;
  pool.job.fn = fn;
  pool.job.ctx = ctx;
  pool.job.begin = begin;
  for (int i = 0; i < threads; ++i)
    atomic_store_explicit(
        &pool.shares[i].range,
        packRange((uint32_t)(n * i / threads), (uint32_t)(n * (i + 1) / threads)),
        memory_order_relaxed);

  atomic_store(&pool.busyWorkers, pool.numWorkers);
  atomic_fetch_add(&pool.generation, 1);
  if (atomic_load(&pool.sleepingWorkers) > 0) {
    pthread_mutex_lock(&pool.mutex);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mutex);
  }

  runShares(0, threads);
  double t1 = counting ? now() : 0;

  int spins = 0;
  while (atomic_load(&pool.busyWorkers) > 0 && spins++ < QNT_SPIN_ITERATIONS)
    cpuRelax();
  if (atomic_load(&pool.busyWorkers) > 0) {
    pthread_mutex_lock(&pool.mutex);
    atomic_store(&pool.callerSleeping, 1);
    while (atomic_load(&pool.busyWorkers) > 0)
      pthread_cond_wait(&pool.done, &pool.mutex);
    atomic_store(&pool.callerSleeping, 0);
    pthread_mutex_unlock(&pool.mutex);
  }
  if (counting) {
    double t2 = now();
    ++stats.loops;
    stats.loopSeconds += t2 - t0;
    stats.waitSeconds += t2 - t1;
  }
}

/* A loop on the calling thread alone, counted as such. */
static void runSerially(qnt_rt_task_fn fn, void *ctx, int64_t begin,
                        int64_t end) {
  if (atomic_load_explicit(&statsOn, memory_order_relaxed))
    atomic_fetch_add_explicit(&serialLoops, 1, memory_order_relaxed);
  fn(ctx, begin, end);
}

void qnt_rt_parallel_for(qnt_rt_task_fn fn, void *ctx, int64_t begin,
                         int64_t end) {
  if (end <= begin)
    return;
  int64_t n = end - begin;
  if (insideTask || n == 1 || qnt_rt_num_threads() <= 1) {
    runSerially(fn, ctx, begin, end);
    return;
  }
  pthread_mutex_lock(&callMutex);
  startPool();
  if (pool.numWorkers == 0) {
    pthread_mutex_unlock(&callMutex);
    runSerially(fn, ctx, begin, end);
    return;
  }
  for (int64_t b = begin; b < end; b += QNT_MAX_JOB_ITERATIONS) {
    int64_t piece = end - b;
    runJob(fn, ctx, b,
           piece < QNT_MAX_JOB_ITERATIONS ? piece : QNT_MAX_JOB_ITERATIONS);
  }
  pthread_mutex_unlock(&callMutex);
}

void qnt_rt_thread_stats_enable(int on) {
  pthread_mutex_lock(&callMutex);
  stats.loops = 0;
  stats.loopSeconds = stats.waitSeconds = 0;
  atomic_store(&serialLoops, 0);
  for (int i = 0; i < pool.numWorkers; ++i)
    workerBusy[i].seconds = 0;
  atomic_store(&statsOn, on != 0);
  pthread_mutex_unlock(&callMutex);
}

void qnt_rt_thread_stats_get(qnt_rt_thread_stats *out) {
  pthread_mutex_lock(&callMutex);
  out->loops = stats.loops;
  out->serial_loops = atomic_load(&serialLoops);
  out->loop_seconds = stats.loopSeconds;
  out->wait_seconds = stats.waitSeconds;
  out->worker_seconds = 0;
  for (int i = 0; i < pool.numWorkers; ++i)
    out->worker_seconds += workerBusy[i].seconds;
  out->workers = pool.numWorkers;
  pthread_mutex_unlock(&callMutex);
}
