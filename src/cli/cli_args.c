/* cli_args.c - flag table parsing, value parsers, the one-line error and the
 * string pool of the subcommands; see cli_args.h. */
#include "cli/cli_args.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static cli_error_sink error_sink;
static void *error_sink_user;

void cli_error_set_sink(cli_error_sink sink, void *user)
{
    error_sink = sink;
    error_sink_user = user;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* One line, always: scripts and tests count on it. */
    char line[2048];
    size_t n = 0;
    for (const char *p = buf; *p && n + 3 < sizeof line; p++) {
        if (*p == '\n' || *p == '\r') {
            if (p[1] == '\0') break;
            line[n++] = ';';
            line[n++] = ' ';
        } else {
            line[n++] = *p;
        }
    }
    line[n] = '\0';
    if (error_sink) {
        error_sink(cmd, line, error_sink_user);
        return;
    }
    fprintf(stderr, "ogem%s%s: %s\n", cmd && *cmd ? " " : "", cmd ? cmd : "", line);
}

int cli_flag_index(const cli_flag *flags, int nflags, const char *name)
{
    for (int i = 0; i < nflags; i++)
        if (strcmp(flags[i].name, name) == 0) return i;
    return -1;
}

void cli_flag_fill(const cli_flag *flags, int nflags, const char *const *mine, const char *const *fixed,
                   const char **value, const char **label)
{
    for (int i = 0; i < nflags; i++) {
        value[i] = flags[i].def;
        label[i] = NULL;
    }
    for (int k = 0; mine[k]; k += 2) {
        int i = cli_flag_index(flags, nflags, mine[k]);
        value[i] = mine[k + 1];
        label[i] = flags[i].name;
    }
    for (int k = 0; fixed[k]; k += 2) value[cli_flag_index(flags, nflags, fixed[k])] = fixed[k + 1];
}

int cli_parse_flags(const char *cmd, const cli_flag *flags, int nflags, int argc, char **argv,
                    const char **value, unsigned char *given)
{
    /* --help wins over everything else, even a bad flag before it, so that a
     * user who is lost can always get help. */
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) return CLI_PARSE_HELP;

    for (int i = 0; i < nflags; i++) {
        value[i] = flags[i].def;
        given[i] = 0;
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            cli_error(cmd, "unexpected argument '%s' (flags start with --; see 'ogem %s --help')", arg, cmd);
            return CLI_PARSE_ERROR;
        }
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        int idx = -1;
        for (int i = 0; i < nflags; i++) {
            if (strlen(flags[i].name) == name_len && strncmp(flags[i].name, arg, name_len) == 0) {
                idx = i;
                break;
            }
        }
        if (idx < 0) {
            cli_error(cmd, "unknown flag '%.*s' (see 'ogem %s --help')", (int)name_len, arg, cmd);
            return CLI_PARSE_ERROR;
        }
        if (given[idx]) {
            cli_error(cmd, "%s given more than once", flags[idx].name);
            return CLI_PARSE_ERROR;
        }
        given[idx] = 1;
        if (flags[idx].kind == CLI_FLAG_SWITCH) {
            if (eq) {
                cli_error(cmd, "%s takes no value", flags[idx].name);
                return CLI_PARSE_ERROR;
            }
            value[idx] = "1";
        } else if (eq) {
            value[idx] = eq + 1;
        } else {
            /* "--dim --out x" means --dim lost its value, not that D is "--out". */
            if (a + 1 >= argc || strncmp(argv[a + 1], "--", 2) == 0) {
                cli_error(cmd, "%s needs a value (%s %s)", flags[idx].name, flags[idx].name,
                          flags[idx].metavar ? flags[idx].metavar : "VALUE");
                return CLI_PARSE_ERROR;
            }
            value[idx] = argv[++a];
        }
    }
    return CLI_PARSE_OK;
}

void cli_print_help(FILE *out, const char *usage, const char *intro, const cli_flag *flags, int nflags,
                    const char *epilogue)
{
    fprintf(out, "usage: %s\n", usage);
    if (intro) fprintf(out, "\n%s\n", intro);
    if (nflags > 0) fprintf(out, "\nflags:\n");
    int width = 0;
    for (int i = 0; i < nflags; i++) {
        int w = (int)strlen(flags[i].name) + (flags[i].metavar ? 1 + (int)strlen(flags[i].metavar) : 0);
        if (w > width) width = w;
    }
    for (int i = 0; i < nflags; i++) {
        char head[128];
        snprintf(head, sizeof head, "%s%s%s", flags[i].name, flags[i].metavar ? " " : "",
                 flags[i].metavar ? flags[i].metavar : "");
        fprintf(out, "  %-*s  %s", width, head, flags[i].help);
        if (flags[i].def && flags[i].kind == CLI_FLAG_VALUE) fprintf(out, " [%s]", flags[i].def);
        fputc('\n', out);
    }
    if (epilogue) fprintf(out, "\n%s\n", epilogue);
}

/* The one grammar of every number on the command line (and in the specs and
 * --config replays, which go through the same parsers), before strtol and
 * strtod get to see it, since they also take leading spaces, '+', hex
 * ("0x10", "0x1p4"), "inf" and "nan":
 *   integer  -?DIGITS
 *   real     -?(DIGITS[.DIGITS?] | .DIGITS)([eE][+-]?DIGITS)?
 * The exponent's sign stays: %.17g and JSON write "1e+300". */
static int digits(const char **p)
{
    const char *s = *p;
    while (**p >= '0' && **p <= '9') (*p)++;
    return *p > s;
}

static int number_syntax(const char *text, int real)
{
    const char *p = text;
    if (*p == '-') p++;
    int whole = digits(&p), frac = 0;
    if (real && *p == '.') {
        p++;
        frac = digits(&p);
    }
    if (!whole && !frac) return 0;
    if (real && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!digits(&p)) return 0;
    }
    return *p == '\0';
}

int cli_strtol(const char *text, long *out)
{
    if (!text || !number_syntax(text, 0)) return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

int cli_strtod(const char *text, double *out)
{
    if (!text || !number_syntax(text, 1)) return -1;
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* A decimal integer in [lo, hi]; unbounded: hi is the type's maximum, and
 * the message says ">= lo". */
static int parse_integer(const char *cmd, const char *flag, const char *text, long lo, long hi, int unbounded,
                         long *out)
{
    long v;
    /* "-0" where no negative is allowed is refused with the other signs */
    if (cli_strtol(text, &v) != 0 || v < lo || v > hi || (lo >= 0 && text[0] == '-')) {
        if (unbounded)
            cli_error(cmd, "%s: expected an integer >= %ld, got '%s'", flag, lo, text ? text : "");
        else
            cli_error(cmd, "%s: expected an integer from %ld to %ld, got '%s'", flag, lo, hi, text ? text : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_long(const char *cmd, const char *flag, const char *text, long lo, long hi, long *out)
{
    return parse_integer(cmd, flag, text, lo, hi, hi == LONG_MAX, out);
}

int cli_parse_int(const char *cmd, const char *flag, const char *text, int lo, int hi, int *out)
{
    long v;
    if (parse_integer(cmd, flag, text, lo, hi, hi == INT_MAX, &v) != 0) return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out)
{
    /* strtoull accepts a sign and wraps negatives around; the integer grammar
     * without its '-' here. */
    int ok = text && text[0] != '-' && number_syntax(text, 0);
    unsigned long long v = 0;
    if (ok) {
        errno = 0;
        v = strtoull(text, NULL, 10);
        ok = errno != ERANGE;
    }
    if (!ok) {
        cli_error(cmd, "%s: expected an integer from 0 to 18446744073709551615, got '%s'", flag, text ? text : "");
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *flag, const char *text, int positive, double *out)
{
    double v;
    if (cli_strtod(text, &v) != 0 || (positive && !(v > 0))) {
        cli_error(cmd, "%s: expected a %snumber, got '%s'", flag, positive ? "positive finite " : "finite ",
                  text ? text : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double_list(const char *cmd, const char *flag, const char *text, double **out, int *count)
{
    *out = NULL;
    *count = 0;
    if (!text || !*text) {
        cli_error(cmd, "%s: expected a comma-separated list of numbers, got ''", flag);
        return -1;
    }
    int n = 1;
    for (const char *p = text; *p; p++) n += *p == ',';
    double *v = malloc((size_t)n * sizeof *v);
    char *copy = malloc(strlen(text) + 1);
    if (!v || !copy) {
        free(v);
        free(copy);
        cli_error(cmd, "%s: out of memory", flag);
        return -1;
    }
    strcpy(copy, text);
    char *p = copy;
    for (int i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (cli_strtod(p, &v[i]) != 0) {
            cli_error(cmd, "%s: item %d of the list is not a finite number: '%s'", flag, i + 1, p);
            free(v);
            free(copy);
            return -1;
        }
        p = comma ? comma + 1 : p + strlen(p);
    }
    free(copy);
    *out = v;
    *count = n;
    return 0;
}

int cli_parse_choice(const char *cmd, const char *flag, const char *text, const char *const *choices, int *out)
{
    for (int i = 0; choices[i]; i++) {
        if (text && strcmp(text, choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (i) strncat(list, "|", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    cli_error(cmd, "%s: expected one of %s, got '%s'", flag, list, text ? text : "");
    return -1;
}

static char *vdup_printf(const char *fmt, va_list ap)
{
    va_list count;
    va_copy(count, ap);
    int n = vsnprintf(NULL, 0, fmt, count);
    va_end(count);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *cli_dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vdup_printf(fmt, ap);
    va_end(ap);
    return s;
}

/* ---- the string pool ----------------------------------------------------------- */

char *cli_strings_keep(cli_strings *s, char *copy)
{
    if (!copy) return NULL;
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 32;
        char **items = realloc(s->items, (size_t)cap * sizeof *items);
        if (!items) {
            free(copy);
            return NULL;
        }
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = copy;
    return copy;
}

char *cli_strings_add(cli_strings *s, const char *text) { return cli_strings_keep(s, cli_dup_printf("%s", text)); }

void cli_strings_free(cli_strings *s)
{
    for (int i = 0; i < s->n; i++) free(s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}
