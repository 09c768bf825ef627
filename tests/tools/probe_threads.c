/*
 * probe_threads: starts threads that meet on a mutex and condition variable
 * (futex), then joins them. Prints "threads ok <n>" or "threads errno=<N>".
 * Build static:  cc -static -pthread -o probe_threads tests/tools/probe_threads.c
 */
#include <pthread.h>
#include <stdio.h>

#define N 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int arrived;

static void *worker(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  if (++arrived == N) pthread_cond_broadcast(&cv);
  while (arrived < N) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  pthread_t t[N];
  int started = 0, err = 0;
  for (; started < N; started++) {
    err = pthread_create(&t[started], NULL, worker, NULL);
    if (err) break;
  }
  if (err) {
    /* release the ones that did start */
    pthread_mutex_lock(&mu);
    arrived = N;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
  if (err)
    printf("threads errno=%d\n", err);
  else
    printf("threads ok %d\n", started);
  return 0;
}
