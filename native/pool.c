/*
 * A small thread pool for the element-wise and row kernels: nep_parallel splits [0, n) into one
 * contiguous range per thread, runs range 0 on the calling thread and the others on workers
 * that sleep on a condition variable between calls. Work below `min_n` runs on the caller alone:
 * waking a worker costs tens of microseconds, more than a small loop.
 *
 * Threads are started on first use, up to nep_pool_set_threads(n) - 1 workers; a call made while
 * another is running (the addon is only called from the JS thread, so this does not happen)
 * would wait for it.
 */
#include <pthread.h>
#include <stddef.h>

#include "kernels.h"

#define MAX_WORKERS 63

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;

static int wanted = 1;  /* threads per call, caller included */
static int started = 0; /* workers running */
static unsigned long generation = 0;
static int pending = 0;
static int parts = 1;
static nep_range_fn task_fn = NULL;
static void *task_ctx = NULL;
static size_t task_n = 0;

static void run_part(nep_range_fn fn, void *ctx, size_t n, int part, int of) {
  size_t begin = n * (size_t)part / (size_t)of;
  size_t end = n * (size_t)(part + 1) / (size_t)of;
  if (begin < end) fn(ctx, begin, end);
}

static void *worker(void *arg) {
  int index = (int)(size_t)arg; /* 1-based part number */
  unsigned long seen = 0;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (generation == seen) pthread_cond_wait(&start_cond, &lock);
    seen = generation;
    if (index >= parts) continue; /* not part of this call */
    nep_range_fn fn = task_fn;
    void *ctx = task_ctx;
    size_t n = task_n;
    int of = parts;
    pthread_mutex_unlock(&lock);
    run_part(fn, ctx, n, index, of);
    pthread_mutex_lock(&lock);
    if (--pending == 0) pthread_cond_signal(&done_cond);
  }
  return NULL;
}

void nep_pool_set_threads(int n) {
  pthread_mutex_lock(&lock);
  wanted = n < 1 ? 1 : (n > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : n);
  pthread_mutex_unlock(&lock);
}

int nep_pool_threads(void) { return wanted; }

void nep_parallel(nep_range_fn fn, void *ctx, size_t n, size_t min_n) {
  int use = wanted;
  if (use <= 1 || n < min_n || n < 2) {
    if (n > 0) fn(ctx, 0, n);
    return;
  }
  pthread_mutex_lock(&call_lock);
  pthread_mutex_lock(&lock);
  while (started < use - 1) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attr, worker, (void *)(size_t)(started + 1));
    pthread_attr_destroy(&attr);
    if (failed) break;
    started++;
  }
  if (use > started + 1) use = started + 1;
  task_fn = fn;
  task_ctx = ctx;
  task_n = n;
  parts = use;
  pending = use - 1;
  generation++;
  pthread_cond_broadcast(&start_cond);
  pthread_mutex_unlock(&lock);
  run_part(fn, ctx, n, 0, use);
  pthread_mutex_lock(&lock);
  while (pending > 0) pthread_cond_wait(&done_cond, &lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&call_lock);
}
