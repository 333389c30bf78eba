/* lmrt_threads.h - a fixed thread pool and barrier for threaded builds.
 *
 * Hosted only: the generated NAME.c includes this header only when it was
 * compiled with --threads > 1, so a single-threaded build has no pthread
 * symbols.  The pool lives inside the caller's struct (no allocation).
 *
 * One run = fn(arg, tid, nth) on every thread (the caller is tid 0); inside a
 * run the threads meet at lmrt_barrier, and may share out a kernel call's work
 * in parts claimed one at a time (lmrt_claim), so a thread that the OS holds
 * back or that got the slower rows leaves its parts to the others.  Both waits (workers for the next run,
 * threads at a barrier) spin briefly, because forward steps come back to back,
 * then block on a condition variable, so idle workers do not burn a core and
 * oversubscribed runs (nth > cores, or other processes) still make progress.
 */
#ifndef LMRT_THREADS_H
#define LMRT_THREADS_H

#include "lmrt_base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define LMRT_MAX_THREADS 64
#ifndef LMRT_SPIN_ITERS
#define LMRT_SPIN_ITERS 4096 /* pause rounds before a waiter sleeps */
#endif

typedef struct lmrt_pool lmrt_pool;

typedef struct lmrt_pool_slot {
    lmrt_pool *pool;
    int tid;
} lmrt_pool_slot;

struct lmrt_pool {
    /* written by the caller only: start/run/stop */
    atomic_uint run_gen;   /* bumped once per run (and by stop) */
    atomic_int stop;
    int nth;
    int started;           /* workers created */
    void (*fn)(void *arg, int tid, int nth);
    void *arg;
    char pad0[64];
    /* barrier: the last arriver resets count and bumps gen (sense reversal) */
    atomic_int bar_count;
    char pad1[64];
    atomic_uint bar_gen;
    atomic_int bar_sleepers;
    char pad2[64];
    atomic_uint parts;     /* parts claimed in the current run (lmrt_claim) */
    char pad3a[64];
    atomic_int done;       /* workers finished with the current run */
    atomic_int run_sleepers;
    atomic_int main_sleeping;
    char pad3[64];
    pthread_mutex_t mu;
    pthread_cond_t cv_run;  /* workers: a new run (or stop) */
    pthread_cond_t cv_bar;  /* barrier released */
    pthread_cond_t cv_done; /* caller: all workers done */
    pthread_t th[LMRT_MAX_THREADS];
    lmrt_pool_slot slot[LMRT_MAX_THREADS];
};

LMRT_INLINE void lmrt_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spins until *v != old; returns 1 if it changed, 0 if the caller should sleep.
 * No sched_yield rounds after the spin: when the cores are oversubscribed each
 * yield can hand a whole time slice to another process while the thread this
 * one waits for is ready to run; a sleeper is woken as soon as it is released. */
LMRT_INLINE int lmrt_spin_until_changed(atomic_uint *v, unsigned old) {
    for (int i = 0; i < LMRT_SPIN_ITERS; i++) {
        if (atomic_load_explicit(v, memory_order_acquire) != old) return 1;
        lmrt_cpu_relax();
    }
    return atomic_load_explicit(v, memory_order_acquire) != old;
}

#ifndef LMRT_SLEEP_NS
/* Inside a run (barrier, the caller waiting for the workers) a sleeper re-checks
 * at least this often, so a missed wakeup costs 2 ms, never a hang.  Idle
 * workers between runs sleep unbounded: no timer wakeups while the app idles. */
#define LMRT_SLEEP_NS 2000000L
#endif

/* Waits on cv for at most LMRT_SLEEP_NS; p->mu is held. */
LMRT_INLINE void lmrt_cond_wait_bounded(pthread_cond_t *cv, pthread_mutex_t *mu) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) { pthread_cond_wait(cv, mu); return; }
    ts.tv_nsec += LMRT_SLEEP_NS;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec += 1; ts.tv_nsec -= 1000000000L; }
    pthread_cond_timedwait(cv, mu, &ts);
}

/* Blocks until *v != old.  A waker changes *v with a read-modify-write and then
 * reads the sleeper count; the sleeper increments the count (also an RMW) and
 * then re-checks *v under the mutex: one of the two sees the other's write.
 * Both writes are RMWs, not seq_cst stores: an RMW is a full barrier on every
 * ISA and under emulation, whereas qemu-user translates an aarch64 STLR then
 * LDAR (a seq_cst store then load) to a plain store then load on an x86 host,
 * which may pass each other, and the wakeup would be lost. */
LMRT_INLINE void lmrt_sleep_until_changed(lmrt_pool *p, pthread_cond_t *cv, atomic_int *sleepers, atomic_uint *v,
                                          unsigned old, int bounded) {
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(sleepers, 1);
    while (atomic_load(v) == old) {
        if (bounded) lmrt_cond_wait_bounded(cv, &p->mu);
        else pthread_cond_wait(cv, &p->mu);
    }
    atomic_fetch_sub(sleepers, 1);
    pthread_mutex_unlock(&p->mu);
}

LMRT_INLINE void lmrt_wake(lmrt_pool *p, pthread_cond_t *cv, atomic_int *sleepers) {
    if (atomic_load(sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(cv);
        pthread_mutex_unlock(&p->mu);
    }
}

LMRT_API void lmrt_barrier(lmrt_pool *p, int tid) {
    (void)tid;
    if (p->nth <= 1) return;
    unsigned g = atomic_load(&p->bar_gen);
    if (atomic_fetch_add(&p->bar_count, 1) == p->nth - 1) {
        atomic_store(&p->bar_count, 0);
        atomic_fetch_add(&p->bar_gen, 1u); /* an RMW: see lmrt_sleep_until_changed */
        lmrt_wake(p, &p->cv_bar, &p->bar_sleepers);
        return;
    }
    if (!lmrt_spin_until_changed(&p->bar_gen, g))
        lmrt_sleep_until_changed(p, &p->cv_bar, &p->bar_sleepers, &p->bar_gen, g, 1);
}

/* The next part (0 .. nparts-1) of the current call for this thread to do, or -1 when every part
 * is taken.  The calls of a run are numbered by their parts: *base (a variable of each thread,
 * 0 at the start of the run) is the number of parts of the calls before this one, the same on
 * every thread, so the pool's one counter needs no reset between calls, nor a barrier: a thread
 * still claiming in a finished call sees the counter past its range.  A compare-and-swap (not a
 * fetch-add) never takes a ticket of the next call. */
LMRT_API int lmrt_claim(lmrt_pool *p, unsigned *base, int nparts) {
    unsigned c = atomic_load_explicit(&p->parts, memory_order_relaxed), end = *base + (unsigned)nparts;
    while (c < end)
        if (atomic_compare_exchange_weak_explicit(&p->parts, &c, c + 1, memory_order_relaxed, memory_order_relaxed))
            return (int)(c - *base);
    *base = end;
    return -1;
}

LMRT_API void *lmrt_pool_worker(void *vs) {
    lmrt_pool_slot *s = (lmrt_pool_slot *)vs;
    lmrt_pool *p = s->pool;
    unsigned seen = 0; /* run_gen is 0 when the workers are created */
    for (;;) {
        if (!lmrt_spin_until_changed(&p->run_gen, seen))
            lmrt_sleep_until_changed(p, &p->cv_run, &p->run_sleepers, &p->run_gen, seen, 0);
        seen = atomic_load(&p->run_gen);
        if (atomic_load(&p->stop)) break;
        p->fn(p->arg, s->tid, p->nth);
        if (atomic_fetch_add(&p->done, 1) == p->nth - 2 && atomic_load(&p->main_sleeping)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->cv_done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

/* Joins the workers; safe on a pool whose start failed or that never started
 * threads (nth == 1). */
LMRT_API void lmrt_pool_stop(lmrt_pool *p) {
    if (p->started > 0) {
        atomic_store(&p->stop, 1);
        atomic_fetch_add(&p->run_gen, 1u);
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv_run);
        pthread_mutex_unlock(&p->mu);
        for (int i = 1; i <= p->started; i++) pthread_join(p->th[i], NULL);
    }
    if (p->nth > 0) {
        pthread_cond_destroy(&p->cv_done);
        pthread_cond_destroy(&p->cv_bar);
        pthread_cond_destroy(&p->cv_run);
        pthread_mutex_destroy(&p->mu);
    }
    p->started = 0;
    p->nth = 0;
}

/* Starts nth - 1 workers (1 <= nth <= LMRT_MAX_THREADS).  Returns 0, or -1
 * (bad nth or thread creation failed; nothing is left running). */
LMRT_API int lmrt_pool_start(lmrt_pool *p, int nth, void (*fn)(void *arg, int tid, int nth), void *arg) {
    if (!p || !fn || nth < 1 || nth > LMRT_MAX_THREADS) return -1;
    lmrt_memset(p, 0, sizeof *p);
    atomic_init(&p->run_gen, 0u);
    atomic_init(&p->stop, 0);
    atomic_init(&p->bar_count, 0);
    atomic_init(&p->bar_gen, 0u);
    atomic_init(&p->bar_sleepers, 0);
    atomic_init(&p->parts, 0u);
    atomic_init(&p->done, 0);
    atomic_init(&p->run_sleepers, 0);
    atomic_init(&p->main_sleeping, 0);
    p->fn = fn;
    p->arg = arg;
    if (pthread_mutex_init(&p->mu, NULL) != 0) return -1;
    pthread_cond_init(&p->cv_run, NULL);
    pthread_cond_init(&p->cv_bar, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->nth = nth;
    for (int i = 1; i < nth; i++) {
        p->slot[i].pool = p;
        p->slot[i].tid = i;
        if (pthread_create(&p->th[i], NULL, lmrt_pool_worker, &p->slot[i]) != 0) {
            lmrt_pool_stop(p);
            return -1;
        }
        p->started = i;
    }
    return 0;
}

LMRT_API void lmrt_pool_run(lmrt_pool *p) {
    int nth = p->nth;
    atomic_store(&p->parts, 0u);
    if (nth <= 1) {
        p->fn(p->arg, 0, 1);
        return;
    }
    atomic_store(&p->done, 0);
    atomic_fetch_add(&p->run_gen, 1u);
    lmrt_wake(p, &p->cv_run, &p->run_sleepers);
    p->fn(p->arg, 0, nth);
    int spins = 0;
    while (atomic_load_explicit(&p->done, memory_order_acquire) != nth - 1) {
        if (++spins < LMRT_SPIN_ITERS) { lmrt_cpu_relax(); continue; }
        pthread_mutex_lock(&p->mu);
        atomic_exchange(&p->main_sleeping, 1); /* an RMW before reading done: see lmrt_sleep_until_changed */
        while (atomic_load(&p->done) != nth - 1) lmrt_cond_wait_bounded(&p->cv_done, &p->mu);
        atomic_store(&p->main_sleeping, 0);
        pthread_mutex_unlock(&p->mu);
    }
}

#endif
