/* fuzz_spec.h - for the libFuzzer harnesses of the command line's spec
 * parsers (fuzz_weights.c ... fuzz_until.c): the input, NUL-terminated, as one
 * flag's text, every other flag at its default, through the real entry points
 * cli_run_opts_build (`ogem run`, `escape`, `paper`) and cli_escape_opts_build
 * (`ogem escape`), so that the fuzzed code is what ships. Inputs naming a file
 * (data:PATH, file:PATH) are skipped: the file readers have their own harness
 * (fuzz_csv.c) and a fuzzer must not read arbitrary paths. Checked: no crash,
 * no sanitizer report, no leak (the options are freed on both outcomes). */
#ifndef OGEM_FUZZ_SPEC_H
#define OGEM_FUZZ_SPEC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli_escape_opts.h"
#include "cli/cli_run_opts.h"

/* The input as a string (malloc'd), or NULL when it holds a NUL or names a file. */
static inline char *fuzz_spec_text(const uint8_t *data, size_t size)
{
    if (memchr(data, 0, size)) return NULL;
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = '\0';
    if (strstr(text, "data:") || strstr(text, "file:")) {
        free(text);
        return NULL;
    }
    return text;
}

/* `ogem run` with flag `flag` (enum cli_run_flag) set to the input. */
static inline int fuzz_run_flag(int flag, const uint8_t *data, size_t size)
{
    char *text = fuzz_spec_text(data, size);
    if (!text) return 0;
    const char *value[RF_COUNT], *label[RF_COUNT] = {0};
    for (int i = 0; i < RF_COUNT; i++) value[i] = cli_run_flags[i].def;
    value[flag] = text;
    cli_run_opts o;
    if (cli_run_opts_build("run", value, label, &o) == 0) cli_run_opts_free(&o);
    free(text);
    return 0;
}

/* `ogem escape` with flag `flag` (enum cli_escape_flag) given as the input. */
static inline int fuzz_escape_flag(int flag, const uint8_t *data, size_t size)
{
    char *text = fuzz_spec_text(data, size);
    if (!text) return 0;
    const cli_flag *flags = cli_escape_flags();
    const char *value[EF_COUNT], *label[EF_COUNT] = {0};
    unsigned char given[EF_COUNT] = {0}, from_config[EF_COUNT] = {0};
    for (int i = 0; i < EF_COUNT; i++) value[i] = flags[i].def;
    value[flag] = text;
    given[flag] = 1;
    cli_strings pool = {0};
    cli_escape_opts e;
    if (cli_escape_opts_build("escape", value, given, from_config, label, &pool, &e) == 0) cli_escape_opts_free(&e);
    cli_strings_free(&pool);
    free(text);
    return 0;
}

#endif /* OGEM_FUZZ_SPEC_H */
