/* fuzz_init.c - libFuzzer harness for the --init spec parser: `ogem run --init INPUT`
 * with every other flag at its default (see fuzz_spec.h). */
#include "fuzz_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_run_flag(RF_INIT, data, size); }
