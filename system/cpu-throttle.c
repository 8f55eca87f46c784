/*
 * cpu-throttle.c: the vCPU throttle percentage set by auto-converge.
 *
 * Only the number lives here; the workload threads read it at each page
 * and sleep their share of every CPU_THROTTLE_TIMESLICE_NS slice.
 */
#include "util/osdep.h"
#include "system/cpu-throttle.h"
#include "trace-system.h"

/* 0 or CPU_THROTTLE_PCT_MIN..MAX; atomic, any thread. */
static int throttle_percentage;

void cpu_throttle_set(int new_throttle_pct)
{
    int pct = CLAMP(new_throttle_pct, CPU_THROTTLE_PCT_MIN,
                    CPU_THROTTLE_PCT_MAX);

    __atomic_store_n(&throttle_percentage, pct, __ATOMIC_RELAXED);
    trace_cpu_throttle_set(pct);
}

void cpu_throttle_stop(void)
{
    __atomic_store_n(&throttle_percentage, 0, __ATOMIC_RELAXED);
    trace_cpu_throttle_set(0);
}

bool cpu_throttle_active(void)
{
    return cpu_throttle_get_percentage() != 0;
}

int cpu_throttle_get_percentage(void)
{
    return __atomic_load_n(&throttle_percentage, __ATOMIC_RELAXED);
}
