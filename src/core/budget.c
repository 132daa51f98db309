/* budget.c - the host memory budget and byte counts for messages (declared in
 * ogem/solver.h). */
#define _DEFAULT_SOURCE   /* _SC_PHYS_PAGES: glibc and the BSDs, not POSIX */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "ogem/ogem.h"
#include "math/checked.h"

size_t ogem_host_memory_bytes(void)
{
#ifdef _SC_PHYS_PAGES
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) return ogem_size_mul((size_t)pages, (size_t)page);
#endif
    return SIZE_MAX;
}

void ogem_format_bytes(size_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes >= OGEM_SIZE_MAX) {
        snprintf(buf, len, "over 8 EiB");
        return;
    }
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 6) v /= 1024.0, u++;
    /* Whole numbers print without decimals ("23 GiB"); others with one, or
     * three significant digits at most ("3.5 MiB", "187 KiB"). */
    if (u == 0 || v >= 100.0 || v == (double)(long)v) snprintf(buf, len, "%.0f %s", v, unit[u]);
    else snprintf(buf, len, "%.3g %s", v, unit[u]);
}
