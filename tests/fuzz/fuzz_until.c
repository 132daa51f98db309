/* fuzz_until.c - libFuzzer harness for the --until spec parser: `ogem escape --until INPUT`
 * with every other flag at its default (see fuzz_spec.h). */
#include "fuzz_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_escape_flag(EF_UNTIL, data, size); }
