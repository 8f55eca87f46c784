/*
 * Coroutine switching with ucontext and sigsetjmp/siglongjmp.
 *
 * makecontext()/setcontext() start a coroutine on its own stack once, at
 * creation, and it jumps straight back; every later switch is a
 * siglongjmp() without the signal mask (no system call).  swapcontext() is
 * never needed (nothing returns through a ucontext), which also keeps
 * ASan from warning about it.  A coroutine that terminates keeps its stack and
 * context: the pool hands it out again and its trampoline loops to the
 * next entry function.
 *
 * Under AddressSanitizer every switch is announced with
 * __sanitizer_start_switch_fiber() and completed with
 * __sanitizer_finish_switch_fiber(), so ASan knows which stack is live.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "coroutine-int.h"

#include <pthread.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <ucontext.h>

#ifdef __SANITIZE_ADDRESS__
#define CONFIG_ASAN_FIBERS 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

typedef struct {
    Coroutine base;
    void *stack;            /* lowest usable address */
    size_t stack_size;
    void *map;              /* the mapping, guard page first */
    size_t map_size;
    sigjmp_buf env;
} CoroutineUContext;

/* makecontext() passes ints: a pointer travels in two of them. */
union cc_arg {
    void *p;
    int i[2];
};

/* The thread's original stack, and the coroutine running on this thread. */
static __thread CoroutineUContext leader;
static __thread Coroutine *current;

#ifdef CONFIG_ASAN_FIBERS
/* ASan must know the leader's stack to switch back to it. */
static void leader_stack_init(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;

    if (leader.stack || pthread_getattr_np(pthread_self(), &attr) != 0) {
        return;
    }
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        leader.stack = addr;
        leader.stack_size = size;
    }
    pthread_attr_destroy(&attr);
}
#endif

static void start_switch_fiber(void **fake_stack_save, const void *bottom,
                               size_t size)
{
#ifdef CONFIG_ASAN_FIBERS
    __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#endif
}

static void finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                size_t *size_old)
{
#ifdef CONFIG_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
#endif
}

static void coroutine_trampoline(int i0, int i1)
{
    union cc_arg arg = { .i = { i0, i1 } };
    CoroutineUContext *self = arg.p;
    Coroutine *co = &self->base;
    void *fake_stack_save = NULL;
    const void *creator_stack = NULL;
    size_t creator_size = 0;

    /* a new fiber has no fake stack yet; learn whose stack we left */
    finish_switch_fiber(NULL, &creator_stack, &creator_size);

    /* record this point, then return to qemu_coroutine_new() */
    if (!sigsetjmp(self->env, 0)) {
        start_switch_fiber(&fake_stack_save, creator_stack, creator_size);
        siglongjmp(*(sigjmp_buf *)co->entry_arg, 1);
    }
    finish_switch_fiber(fake_stack_save, NULL, NULL);

    for (;;) {
        co->entry(co->entry_arg);
        qemu_coroutine_switch(co, co->caller, COROUTINE_TERMINATE);
    }
}

static bool coroutine_map_stack(CoroutineUContext *co)
{
    size_t page = sysconf(_SC_PAGESIZE);

    co->map_size = COROUTINE_STACK_SIZE + page;
    co->map = mmap(NULL, co->map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (co->map == MAP_FAILED) {
        return false;
    }
    /* stacks grow down: the guard page sits below the lowest address */
    if (mprotect(co->map, page, PROT_NONE) < 0) {
        munmap(co->map, co->map_size);
        return false;
    }
    co->stack = (char *)co->map + page;
    co->stack_size = COROUTINE_STACK_SIZE;
#ifdef CONFIG_ASAN_FIBERS
    /* the range may hold the stale shadow of an earlier, unmapped stack */
    ASAN_UNPOISON_MEMORY_REGION(co->stack, co->stack_size);
#endif
    return true;
}

Coroutine *qemu_coroutine_new(void)
{
    CoroutineUContext *co = g_new0(CoroutineUContext, 1);
    ucontext_t uc;
    sigjmp_buf old_env;
    union cc_arg arg = { 0 };
    void *fake_stack_save = NULL;

    if (getcontext(&uc) < 0 || !coroutine_map_stack(co)) {
        g_free(co);
        return NULL;
    }
    co->base.entry_arg = &old_env;  /* the trampoline jumps back to it */
    uc.uc_link = NULL;          /* the trampoline never returns */
    uc.uc_stack.ss_sp = co->stack;
    uc.uc_stack.ss_size = co->stack_size;
    uc.uc_stack.ss_flags = 0;
    arg.p = co;
    makecontext(&uc, (void (*)(void))coroutine_trampoline, 2,
                arg.i[0], arg.i[1]);

    if (!sigsetjmp(old_env, 0)) {
        start_switch_fiber(&fake_stack_save, co->stack, co->stack_size);
        setcontext(&uc);
    } else {
        finish_switch_fiber(fake_stack_save, NULL, NULL);
    }
    return &co->base;
}

void qemu_coroutine_delete(Coroutine *co_)
{
    CoroutineUContext *co = (CoroutineUContext *)co_;

#ifdef CONFIG_ASAN_FIBERS
    ASAN_UNPOISON_MEMORY_REGION(co->stack, co->stack_size);
#endif
    munmap(co->map, co->map_size);
    g_free(co);
}

CoroutineAction qemu_coroutine_switch(Coroutine *from_, Coroutine *to_,
                                      CoroutineAction action)
{
    CoroutineUContext *from = (CoroutineUContext *)from_;
    CoroutineUContext *to = (CoroutineUContext *)to_;
    void *fake_stack_save = NULL;
    int ret;

#ifdef CONFIG_ASAN_FIBERS
    leader_stack_init();
#endif
    current = to_;
    ret = sigsetjmp(from->env, 0);
    if (ret == 0) {
        /* a terminating coroutine's fake stack can go */
        start_switch_fiber(action == COROUTINE_TERMINATE ?
                           NULL : &fake_stack_save,
                           to->stack, to->stack_size);
        siglongjmp(to->env, action);
    }
    finish_switch_fiber(fake_stack_save, NULL, NULL);
    return ret;
}

Coroutine *qemu_coroutine_self(void)
{
    if (!current) {
        current = &leader.base;
    }
    return current;
}

bool qemu_in_coroutine(void)
{
    return current && current->caller;
}
