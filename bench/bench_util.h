/*
 * Shared by the bench/bench_*.c harnesses (built and run by bench/run.py): a monotonic clock,
 * a median over repeats, and one JSON object per line on stdout for run.py to collect.
 */
#ifndef CALLGATE_BENCH_UTIL_H
#define CALLGATE_BENCH_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double bench_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double bench_median(double *v, int n)
{
    qsort(v, (size_t) n, sizeof v[0], bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Keeps the compiler from dropping or moving work on `p` across the timed region. */
static inline void bench_clobber(void *p) { __asm__ volatile("" : : "g"(p) : "memory"); }

/* Environment knob as an int, with a default. */
static int bench_env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

#endif
