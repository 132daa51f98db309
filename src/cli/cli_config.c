/*
 * cli_config.c - replaying settings: `--config DIR/run.json` and `--resume
 * DIR` (see cli_config.h).
 *
 * run.json's "settings" object holds every flag that defines the computation,
 * keyed by the flag's name ("--mu-star" -> "mu_star"). Each one becomes the
 * text the flag would have had on the command line and then goes through the
 * very same validation, so a replay cannot accept what a command line would
 * refuse. Numbers are taken as their source text (the JSON reader keeps it),
 * so doubles written with %.17g and 64-bit seeds come back exactly. Flags
 * given on the command line override the file (e.g. a different --steps).
 *
 * The code knows no command: it works from the flag table it is given, so
 * `ogem run` and `ogem escape` replay through it alike, and `--resume DIR`
 * replays the copy of run.json that DIR's checkpoint holds.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_config.h"
#include "util/json.h"
#include "util/text_read.h"

/* The command-line text for one setting, or NULL with msg set. */
static const char *setting_text(const ogem_json *v, const cli_flag *flag, cli_strings *pool, char *msg, size_t len)
{
    if (flag->kind == CLI_FLAG_SWITCH) {
        if (v->type != OGEM_JSON_BOOL) {
            snprintf(msg, len, "expected true or false, found a %s", ogem_json_type_name(v->type));
            return NULL;
        }
        return v->boolean ? "1" : NULL;
    }
    switch (v->type) {
    case OGEM_JSON_NUMBER:
    case OGEM_JSON_STRING:
        return cli_strings_add(pool, v->text);
    case OGEM_JSON_ARRAY: {
        /* A list of numbers, as --weights and --mu-star take them. */
        size_t total = 1;
        for (const ogem_json *c = v->child; c; c = c->next) {
            if (c->type != OGEM_JSON_NUMBER) {
                snprintf(msg, len, "expected a list of numbers, found a %s in it", ogem_json_type_name(c->type));
                return NULL;
            }
            total += strlen(c->text) + 1;
        }
        if (!v->child) {
            snprintf(msg, len, "expected a list of numbers, found an empty list");
            return NULL;
        }
        char *joined = malloc(total);
        if (!joined) {
            snprintf(msg, len, "out of memory");
            return NULL;
        }
        joined[0] = '\0';
        for (const ogem_json *c = v->child; c; c = c->next) {
            if (c != v->child) strcat(joined, ",");
            strcat(joined, c->text);
        }
        const char *kept = cli_strings_add(pool, joined);
        free(joined);
        return kept;
    }
    default:
        snprintf(msg, len, "expected a number, string or list, found %s", ogem_json_type_name(v->type));
        return NULL;
    }
}

int cli_config_apply_text(const char *cmd, const char *flag, const char *origin, const char *text, size_t len,
                          const char *command_name, const cli_flag *flags, const unsigned char *replayable,
                          int nflags, const char **value, const unsigned char *given, unsigned char *from_config,
                          cli_strings *pool)
{
    char msg[512];
    int rc = -1;
    ogem_json *root = NULL;
    for (int i = 0; i < nflags; i++) from_config[i] = 0;
    ogem_status st = ogem_json_parse(text, len, &root, msg, sizeof msg);
    if (st != OGEM_OK) {
        cli_error(cmd, "%s: %s: not valid JSON: %s", flag, origin, msg);
        goto done;
    }
    const ogem_json *command = ogem_json_get(root, "command");
    const ogem_json *settings = ogem_json_get(root, "settings");
    if (command && (command->type != OGEM_JSON_STRING || strcmp(command->text, command_name) != 0)) {
        cli_error(cmd, "%s: %s was not written by 'ogem %s'", flag, origin, command_name);
        goto done;
    }
    if (!settings || settings->type != OGEM_JSON_OBJECT) {
        cli_error(cmd, "%s: %s has no \"settings\" object (is it a run.json?)", flag, origin);
        goto done;
    }
    for (const ogem_json *m = settings->child; m; m = m->next) {
        /* "mu_star" -> "--mu-star" */
        char name[64];
        int k = snprintf(name, sizeof name, "--%s", m->key);
        for (char *p = name + 2; k > 0 && *p; p++)
            if (*p == '_') *p = '-';
        int idx = cli_flag_index(flags, nflags, name);
        if (idx < 0 || !replayable[idx]) {
            cli_error(cmd, "%s: %s:%d: unknown setting \"%s\"", flag, origin, m->line, m->key);
            goto done;
        }
        if (given[idx]) continue; /* the command line wins */
        snprintf(msg, sizeof msg, "out of memory");
        const char *t = setting_text(m, &flags[idx], pool, msg, sizeof msg);
        if (!t && m->type == OGEM_JSON_BOOL && !m->boolean) {
            value[idx] = NULL; /* a switch that was off */
            from_config[idx] = 1;
            continue;
        }
        if (!t) {
            cli_error(cmd, "%s: %s:%d: setting \"%s\": %s", flag, origin, m->line, m->key, msg);
            goto done;
        }
        value[idx] = t;
        from_config[idx] = 1;
    }
    rc = 0;
done:
    ogem_json_free(root);
    return rc;
}

int cli_config_apply_file(const char *cmd, const char *path, const char *command_name, const cli_flag *flags,
                          const unsigned char *replayable, int nflags, const char **value,
                          const unsigned char *given, unsigned char *from_config, cli_strings *pool)
{
    char msg[512];
    size_t len;
    for (int i = 0; i < nflags; i++) from_config[i] = 0;
    /* A run's directory stands for its run.json. */
    struct stat st_path;
    char *joined = NULL;
    if (stat(path, &st_path) == 0 && S_ISDIR(st_path.st_mode)) {
        joined = malloc(strlen(path) + sizeof "/run.json");
        if (joined) {
            strcpy(joined, path);
            strcat(joined, "/run.json");
            path = joined;
        }
    }
    /* Bounded (text_read.h): /dev/zero or a binary file is refused, not read
     * until memory runs out. */
    char *text = NULL;
    int rc = -1;
    if (ogem_text_read_file(path, OGEM_TEXT_MAX_CONFIG, &text, &len, msg, sizeof msg) != OGEM_OK) {
        cli_error(cmd, "--config: %s", msg);
    } else {
        rc = cli_config_apply_text(cmd, "--config", path, text, len, command_name, flags, replayable, nflags, value,
                                   given, from_config, pool);
        free(text);
    }
    free(joined);
    return rc;
}
