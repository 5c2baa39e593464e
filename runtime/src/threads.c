/*===- threads.c - The thread pool behind qnt_rt_parallel_for -------------===*
 *
 * A fixed set of workers waits for jobs. A parallel_for publishes one job (a
 * function, its context, its range) and bumps a generation counter; every
 * thread, the caller included, then claims chunks of the range with an atomic
 * compare-and-swap until none is left. The caller returns once every worker
 * has checked out of the generation.
 *
 * Chunks shrink as the range runs out (OpenMP's guided schedule): each claim
 * takes 1/(2 x threads) of what is left, at least one iteration. The first
 * chunks are long and contiguous (a kernel's prefetch stream runs without a
 * break), the last ones a single iteration, so the threads finish within one
 * iteration of each other: a decode step runs ~200 such loops, and with
 * fixed chunks (four a thread) a thread idled about half a chunk at the end
 * of each.
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
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include "qnt/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* Spins before a wait sleeps (each a pause instruction, ~50 ns or more). */
#define QNT_SPIN_ITERATIONS 20000

static inline void cpuRelax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

typedef struct {
  qnt_rt_task_fn fn;
  void *ctx;
  int64_t end;
  int64_t divisor; /* a claim takes (end - next) / divisor iterations */
  atomic_llong next; /* the first iteration not claimed yet */
} job_t;

static struct {
  pthread_mutex_t mutex;
  pthread_cond_t wake, done;
  pthread_t *workers;
  int numWorkers;    /* threads besides the caller */
  int requested;     /* 0: not decided yet */
  atomic_long generation; /* bumped per job; workers run each one once */
  atomic_int busyWorkers; /* workers still in the current generation */
  atomic_int sleepingWorkers; /* workers waiting on `wake` */
  atomic_int callerSleeping;  /* the caller waits on `done` */
  atomic_int stopping;
  job_t job;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER};

static pthread_mutex_t callMutex = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int insideTask;

static void runChunks(job_t *job) {
  insideTask = 1;
  int64_t b = atomic_load(&job->next);
  while (b < job->end) {
    int64_t size = (job->end - b) / job->divisor;
    int64_t e = b + (size > 1 ? size : 1);
    /* On failure b is reloaded with the current value. */
    if (atomic_compare_exchange_weak(&job->next, &b, e)) {
      job->fn(job->ctx, b, e);
      b = atomic_load(&job->next);
    }
  }
  insideTask = 0;
}

static void *workerMain(void *arg) {
  (void)arg;
  long seen = 0;
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
    runChunks(&pool.job);
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

static void stopPool(void) {
  pthread_mutex_lock(&pool.mutex);
  pool.stopping = 1;
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mutex);
  for (int i = 0; i < pool.numWorkers; ++i)
    pthread_join(pool.workers[i], NULL);
  free(pool.workers);
  pool.workers = NULL;
  pool.numWorkers = 0;
  pool.stopping = 0;
}

/* Starts the workers if they are not running. Called under callMutex. */
static void startPool(void) {
  if (pool.workers || qnt_rt_num_threads() <= 1)
    return;
  int n = qnt_rt_num_threads() - 1;
  pool.workers = calloc((size_t)n, sizeof(pthread_t));
  if (!pool.workers)
    return;
  for (int i = 0; i < n; ++i) {
    if (pthread_create(&pool.workers[i], NULL, workerMain, NULL) != 0)
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

void qnt_rt_parallel_for(qnt_rt_task_fn fn, void *ctx, int64_t begin,
                         int64_t end) {
  if (end <= begin)
    return;
  int64_t n = end - begin;
  if (insideTask || n == 1 || qnt_rt_num_threads() <= 1) {
    fn(ctx, begin, end);
    return;
  }
  pthread_mutex_lock(&callMutex);
  startPool();
  if (pool.numWorkers == 0) {
    pthread_mutex_unlock(&callMutex);
    fn(ctx, begin, end);
    return;
  }
  pool.job.fn = fn;
  pool.job.ctx = ctx;
  pool.job.end = end;
  pool.job.divisor = 2 * (int64_t)(pool.numWorkers + 1);
  atomic_store(&pool.job.next, begin);

  atomic_store(&pool.busyWorkers, pool.numWorkers);
  atomic_fetch_add(&pool.generation, 1);
  if (atomic_load(&pool.sleepingWorkers) > 0) {
    pthread_mutex_lock(&pool.mutex);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mutex);
  }

  runChunks(&pool.job);

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
  pthread_mutex_unlock(&callMutex);
}
