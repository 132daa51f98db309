/* budget.h - the memory budget ogem_solver_create holds a request to
 * (budget.c): a request whose buffers would not fit is refused up front, with
 * a message naming the setting, rather than left to a failing or, with Linux's
 * overcommit, a seemingly successful malloc and a kill by the OOM killer
 * halfway through the run. */
#ifndef OGEM_BUDGET_H
#define OGEM_BUDGET_H

#include <stddef.h>

/* The budget: this machine's physical memory in bytes (sysconf), or SIZE_MAX
 * when it cannot be told (then only sizes that overflow are refused).
 * Physical, not currently available, memory: the page cache and other
 * processes come and go, and a request that could never fit is what this
 * catches; one that fits only later is left to malloc. */
size_t ogem_host_memory_bytes(void);

/* A byte count for messages, in binary units: "512 B", "3.5 MiB", "22.9 GiB";
 * OGEM_SIZE_MAX (a saturated size, checked.h) reads "over 8 EiB". */
void ogem_format_bytes(size_t bytes, char *buf, size_t len);

#endif /* OGEM_BUDGET_H */
