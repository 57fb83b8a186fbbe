/* ftlab_harness/tsan/shim.c: the three functions rustc's TSan instrumentation needs and gcc 12's
 * runtime lacks.
 *
 * rustc (LLVM 22) instruments `copy_nonoverlapping`, `copy` and `write_bytes` as calls to
 * `__tsan_memcpy`, `__tsan_memmove` and `__tsan_memset`. Debian 12's `libtsan.so.2` (gcc 12)
 * does not export them, so an instrumented extension fails to load with "undefined symbol".
 * Each function here forwards to the libc name, which the preloaded TSan runtime intercepts:
 * the access is still checked (TSan's interceptor reports the race with the caller's stack, one
 * frame of this shim on top). Build: `cc -shared -fPIC -O1 -o libftlab_tsan_shim.so shim.c`;
 * preload it AFTER libtsan.so.2 so `memcpy` resolves to the interceptor.
 *
 * Invariant: never instrumented itself (no -fsanitize=thread), never inlines the copy (the
 * volatile function pointers stop gcc from turning the call into a builtin loop).
 */
#include <stddef.h>
#include <string.h>

static void *(*volatile libc_memcpy)(void *, const void *, size_t) = memcpy;
static void *(*volatile libc_memmove)(void *, const void *, size_t) = memmove;
static void *(*volatile libc_memset)(void *, int, size_t) = memset;

void *__tsan_memcpy(void *dst, const void *src, size_t n) { return libc_memcpy(dst, src, n); }
void *__tsan_memmove(void *dst, const void *src, size_t n) { return libc_memmove(dst, src, n); }
void *__tsan_memset(void *dst, int c, size_t n) { return libc_memset(dst, c, n); }
