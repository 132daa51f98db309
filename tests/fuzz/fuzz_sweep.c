/* fuzz_sweep.c - libFuzzer harness for the --sweep spec parser: `ogem escape
 * --sweep INPUT` with every other flag at its default (see fuzz_spec.h).
 * A dim=LIST input is skipped when it holds a number of more than 4 digits,
 * or a letter besides "dim" (1e9, 0x..., inf): dim=D rightly sets d, and
 * `ogem escape` allocates mu* (d doubles) for each grid point before the
 * library's memory budget refuses the R x n x d batch, so a large D trips
 * -malloc_limit_mb without any bug (a 4096-byte input holds ~800 points of at
 * most 9999 dimensions: 64 MB). radius=A:B:STEP inputs are all fuzzed. */
#include "fuzz_spec.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *dim = NULL;
    for (size_t i = 0; i + 3 <= size && !dim; i++)
        if (memcmp(data + i, "dim", 3) == 0) dim = data + i;
    size_t run = 0;
    for (size_t i = 0; dim && i < size; i++) {
        if (data + i >= dim && data + i < dim + 3) continue;
        if (isalpha(data[i])) return 0;
        run = isdigit(data[i]) ? run + 1 : 0;
        if (run > 4) return 0;
    }
    return fuzz_escape_flag(EF_SWEEP, data, size);
}
