/*
 * cli_args.h - flag parsing for the ogem subcommands.
 *
 * One rule for every subcommand: each bad flag or value produces exactly ONE
 * line on stderr, "ogem CMD: --flag: what is wrong", and the subcommand exits
 * with CLI_EXIT_USAGE (2). The helpers below print that line and return -1;
 * callers only propagate the -1.
 *
 * Flags are declared in a table (name, value or switch, default, help line),
 * from which both the parser and `--help` work, so they cannot disagree.
 * Accepted forms: `--flag VALUE`, `--flag=VALUE`, and `--switch`. A flag given
 * twice is an error (a script that does that has a bug). There are no
 * positional arguments unless the table says so.
 *
 * Also here: cli_strings, the pool that owns the texts put into value[] and
 * label[] arrays after parsing (replayed settings, "--flag (from X)" labels).
 */
#ifndef OGEM_CLI_ARGS_H
#define OGEM_CLI_ARGS_H

#include <stdint.h>
#include <stdio.h>

typedef enum cli_flag_kind { CLI_FLAG_VALUE = 0, CLI_FLAG_SWITCH = 1 } cli_flag_kind;

typedef struct cli_flag {
    const char *name;    /* "--dim"                                      */
    cli_flag_kind kind;
    const char *metavar; /* "D" in "--dim D"; NULL for switches          */
    const char *def;     /* default value text; NULL: none (or off)      */
    const char *help;    /* one line                                     */
} cli_flag;

enum { CLI_PARSE_OK = 0, CLI_PARSE_HELP = 1, CLI_PARSE_ERROR = -1 };

/* Parses argv[1..argc) against the table. value[i] receives the text of flag i
 * (for a switch: "1" when present), or its default when not given; given[i]
 * is 1 when flag i appeared on the command line. `--help`/`-h` anywhere gives
 * CLI_PARSE_HELP. On error the line is printed and CLI_PARSE_ERROR returned. */
int cli_parse_flags(const char *cmd, const cli_flag *flags, int nflags, int argc, char **argv,
                    const char **value, unsigned char *given);

/* Index of the flag called `name` in the table, or -1. */
int cli_flag_index(const cli_flag *flags, int nflags, const char *name);

/* value[i] and label[i] for a command that builds another command's options
 * from its table (`ogem paper`, `ogem experiment`): every flag's default;
 * then `mine`, the texts of the caller's own flags that are settings of the
 * runs too, labelled with their names; then `fixed`, the settings the caller
 * chooses itself, unlabelled (a library message about them is printed as it
 * is). Both are name, text pairs ending at a NULL name (a NULL text: the
 * flag is not given); every name must be in the table. */
void cli_flag_fill(const cli_flag *flags, int nflags, const char *const *mine, const char *const *fixed,
                   const char **value, const char **label);

/* Prints usage, then one aligned line per flag with its default. */
void cli_print_help(FILE *out, const char *usage, const char *intro, const cli_flag *flags, int nflags,
                    const char *epilogue);

/* Prints "ogem CMD: MESSAGE" as a single line on stderr: embedded newlines
 * (for instance in a library message) become "; ". */
void cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Where cli_error's lines go instead of stderr (the Python extension turns
 * them into exceptions): sink(cmd, line, user) receives the line without the
 * "ogem CMD: " prefix. NULL restores stderr. Process-wide, not thread-safe:
 * set it around a call, from one thread. */
typedef void (*cli_error_sink)(const char *cmd, const char *line, void *user);
void cli_error_set_sink(cli_error_sink sink, void *user);

/* ---- value parsers: 0 on success, else the line is printed and -1 returned.
 * `flag` is how the value is named in the message (e.g. "--dim", or
 * "--dim (from out/run.json)"). */

/* A decimal integer in [lo, hi]. */
int cli_parse_long(const char *cmd, const char *flag, const char *text, long lo, long hi, long *out);
int cli_parse_int(const char *cmd, const char *flag, const char *text, int lo, int hi, int *out);
/* A decimal integer in [0, 2^64 - 1]. */
int cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out);
/* A finite double; with positive != 0 it must also be > 0. */
int cli_parse_double(const char *cmd, const char *flag, const char *text, int positive, double *out);
/* A comma-separated list of finite doubles; *out is malloc'd (free it). */
int cli_parse_double_list(const char *cmd, const char *flag, const char *text, double **out, int *count);
/* One of the NULL-terminated choices; *out is its index. */
int cli_parse_choice(const char *cmd, const char *flag, const char *text, const char *const *choices, int *out);

/* Parses a number without printing: 0 on success. Used by the spec parsers,
 * which word their own messages. Every number parser here takes the same
 * grammar: decimal integers -?DIGITS; reals -?(DIGITS[.DIGITS] | .DIGITS)
 * with an optional exponent [eE][+-]?DIGITS; no '+' sign, no spaces, no hex,
 * no inf or nan (cli_args.c). */
int cli_strtol(const char *text, long *out);
int cli_strtod(const char *text, double *out);

/* A malloc'd, printf-formatted string (NULL when out of memory). */
char *cli_dup_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- strings owned on behalf of value[] / label[] --------------------------- */

typedef struct cli_strings {
    char **items;
    int n, cap;
} cli_strings;
/* A copy of text, kept until cli_strings_free; NULL when out of memory. */
char *cli_strings_add(cli_strings *s, const char *text);
/* Keeps text, a malloc'd string (for instance cli_dup_printf's), until
 * cli_strings_free, and returns it; NULL (text freed) when out of memory or
 * text is NULL. */
char *cli_strings_keep(cli_strings *s, char *text);
void cli_strings_free(cli_strings *s);

#endif /* OGEM_CLI_ARGS_H */
