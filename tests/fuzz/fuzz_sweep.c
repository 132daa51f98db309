/* fuzz_sweep.c - libFuzzer harness for the --sweep spec parser: `ogem escape
 * --sweep INPUT` with every other flag at its default (see fuzz_spec.h).
 * Inputs with a number of more than 4 digits are skipped: dim=D rightly sets
 * d, and `ogem escape` allocates mu* (d doubles) for each grid point before
 * the library's memory budget refuses the R x n x d batch, so a large D trips
 * -malloc_limit_mb without any bug (a 4096-byte input holds ~800 points of at
 * most 9999 dimensions: 64 MB). */
#include "fuzz_spec.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t run = 0;
    for (size_t i = 0; i < size; i++) {
        run = isdigit(data[i]) ? run + 1 : 0;
        if (run > 4) return 0;
    }
    return fuzz_escape_flag(EF_SWEEP, data, size);
}
