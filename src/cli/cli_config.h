/*
 * cli_config.h - replaying settings (cli_config.c): `--config DIR/run.json`
 * and `--resume DIR`, whose checkpoint holds a copy of run.json.
 *
 * run.json's "settings" object holds every replayable flag of a command, keyed
 * by the flag's name ("--mu-star" -> "mu_star"). Each becomes the text the
 * flag would have had on the command line and goes through the very same
 * validation afterwards; flags given on the command line win.
 */
#ifndef OGEM_CLI_CONFIG_H
#define OGEM_CLI_CONFIG_H

#include <stddef.h>
#include "cli/cli_args.h"

/* Reads PATH (a run.json, or a run's directory) and fills every replayable
 * flag of the table not given on the command line from its "settings";
 * from_config[i] is set for those. PATH's "command" must be command_name. -1
 * after printing one line if the file is unreadable or not such a run.json. */
int cli_config_apply_file(const char *cmd, const char *path, const char *command_name, const cli_flag *flags,
                          const unsigned char *replayable, int nflags, const char **value,
                          const unsigned char *given, unsigned char *from_config, cli_strings *pool);
/* The same from a run.json's text held in memory (a checkpoint's copy);
 * `flag` and `origin` name it in messages ("--resume", "DIR/checkpoint.ogem"). */
int cli_config_apply_text(const char *cmd, const char *flag, const char *origin, const char *text, size_t len,
                          const char *command_name, const cli_flag *flags, const unsigned char *replayable,
                          int nflags, const char **value, const unsigned char *given, unsigned char *from_config,
                          cli_strings *pool);

#endif /* OGEM_CLI_CONFIG_H */
