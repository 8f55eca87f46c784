/*
 * cpu-throttle.h: slowing the guest's vCPUs down (auto-converge).
 *
 * While a throttle of P percent is set, every vCPU workload thread sleeps
 * P% of each 10 ms time slice, so the guest dirties RAM more slowly and a
 * live migration can converge.  Any thread (the value is an atomic).
 */
#ifndef SYSTEM_CPU_THROTTLE_H
#define SYSTEM_CPU_THROTTLE_H

#include "util/osdep.h"

#define CPU_THROTTLE_PCT_MIN 1
#define CPU_THROTTLE_PCT_MAX 99
/* The time slice the percentage applies to, in nanoseconds. */
#define CPU_THROTTLE_TIMESLICE_NS (10 * 1000 * 1000)

/**
 * cpu_throttle_set:
 * @new_throttle_pct: the share of time the vCPUs sleep, clamped to
 *     CPU_THROTTLE_PCT_MIN..CPU_THROTTLE_PCT_MAX
 */
void cpu_throttle_set(int new_throttle_pct);

/* Stops throttling (percentage 0). */
void cpu_throttle_stop(void);

/* Returns: whether a throttle is set. */
bool cpu_throttle_active(void);

/* Returns: the current percentage, 0 when not throttling. */
int cpu_throttle_get_percentage(void);

#endif /* SYSTEM_CPU_THROTTLE_H */
