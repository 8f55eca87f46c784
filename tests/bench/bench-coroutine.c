/*
 * bench-coroutine: how fast tern switches coroutines, against the bare
 * swapcontext() ping-pong of this machine (the classic ucontext switch,
 * which saves the signal mask with a system call).
 *
 * Output (one figure a line):
 *   coroutine switches/s: N
 *   swapcontext switches/s: N (reference)
 *   ratio coroutine/swapcontext: X
 *   coroutine create+run+terminate/s: N
 */
#include "util/osdep.h"
#include "util/coroutine.h"

#include <ucontext.h>

#define BATCH 100000
#define RUN_NS (500 * 1000 * 1000LL)
#define REF_STACK_SIZE (64 * 1024)

static bool stop;

static void coroutine_fn ping(void *opaque)
{
    while (!stop) {
        qemu_coroutine_yield();
    }
}

/* Switches per second of enter/yield pairs. */
static double bench_coroutine_switch(void)
{
    Coroutine *co = qemu_coroutine_create(ping, NULL);
    int64_t start = g_get_monotonic_time(), elapsed;
    uint64_t switches = 0;

    do {
        for (int i = 0; i < BATCH; i++) {
            qemu_coroutine_enter(co);
        }
        switches += 2 * BATCH;
        elapsed = g_get_monotonic_time() - start;
    } while (elapsed * 1000 < RUN_NS);
    stop = true;
    qemu_coroutine_enter(co);
    return switches * 1e6 / elapsed;
}

static ucontext_t main_uc, ref_uc;

static void ref_pong(void)
{
    for (;;) {
        swapcontext(&ref_uc, &main_uc);
    }
}

/* Switches per second of a bare swapcontext() ping-pong. */
static double bench_swapcontext(void)
{
    void *stack = g_malloc(REF_STACK_SIZE);
    int64_t start, elapsed;
    uint64_t switches = 0;

    getcontext(&ref_uc);
    ref_uc.uc_stack.ss_sp = stack;
    ref_uc.uc_stack.ss_size = REF_STACK_SIZE;
    ref_uc.uc_link = NULL;
    makecontext(&ref_uc, ref_pong, 0);

    start = g_get_monotonic_time();
    do {
        for (int i = 0; i < BATCH; i++) {
            swapcontext(&main_uc, &ref_uc);
        }
        switches += 2 * BATCH;
        elapsed = g_get_monotonic_time() - start;
    } while (elapsed * 1000 < RUN_NS);
    /* ref_pong stays parked on its stack; nothing returns to it */
    g_free(stack);
    return switches * 1e6 / elapsed;
}

static void coroutine_fn nothing(void *opaque)
{
}

/* Coroutines created, run to the end and recycled per second. */
static double bench_create(void)
{
    int64_t start = g_get_monotonic_time(), elapsed;
    uint64_t count = 0;

    do {
        for (int i = 0; i < BATCH; i++) {
            qemu_coroutine_enter(qemu_coroutine_create(nothing, NULL));
        }
        count += BATCH;
        elapsed = g_get_monotonic_time() - start;
    } while (elapsed * 1000 < RUN_NS);
    return count * 1e6 / elapsed;
}

int main(void)
{
    double co_rate = bench_coroutine_switch();
    double ref_rate = bench_swapcontext();
    double create_rate = bench_create();

    printf("coroutine switches/s: %.0f\n", co_rate);
    printf("swapcontext switches/s: %.0f (reference)\n", ref_rate);
    printf("ratio coroutine/swapcontext: %.2f\n", co_rate / ref_rate);
    printf("coroutine create+run+terminate/s: %.0f\n", create_rate);
    return 0;
}
