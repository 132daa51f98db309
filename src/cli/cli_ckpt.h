/*
 * cli_ckpt.h - checkpoints in --out and --resume DIR (cli_ckpt.c), what
 * the command runner (cli_runner.h) uses so that long runs lose nothing.
 *
 * A checkpoint is the library's ogem_checkpoint (solver state, written
 * atomically by ogem_checkpoint_write) whose blob the CLI frames as
 *
 *   "OGEMCLI1" | str command | str config | payload
 *
 * (str = u64 length + bytes, host byte order), where config is the run.json
 * text {"command": ..., "settings": {...}} that --resume replays (so a
 * checkpoint is self-contained: it resumes even when a hard kill left no
 * run.json), and the payload is the subcommand's own state (logged rows,
 * escape steps, grid position). The checkpoint's fingerprint hashes the
 * settings that determine the results; resuming with other settings is
 * refused with a line naming the first one that differs.
 */
#ifndef OGEM_CLI_CKPT_H
#define OGEM_CLI_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include "ogem/ogem.h"

#define CLI_CHECKPOINT_NAME "checkpoint.ogem"

/* ---- growable byte buffer and its reader -------------------------------------------- */

typedef struct cli_buf {
    unsigned char *p;
    size_t len, cap;
    int failed; /* out of memory: contents invalid */
} cli_buf;
void cli_buf_put(cli_buf *b, const void *p, size_t n);
void cli_buf_put_u64(cli_buf *b, uint64_t v);
void cli_buf_put_str(cli_buf *b, const void *p, size_t n); /* u64 length, bytes */
void cli_buf_free(cli_buf *b);

typedef struct cli_reader {
    const unsigned char *p;
    size_t len, pos;
    int failed; /* read past the end */
} cli_reader;
uint64_t cli_rd_u64(cli_reader *r);
/* n bytes, or NULL (and failed set) when fewer remain. */
const unsigned char *cli_rd_bytes(cli_reader *r, size_t n);
/* A str: its bytes (not NUL-terminated) and length. */
const unsigned char *cli_rd_str(cli_reader *r, size_t *n);

/* ---- writing --------------------------------------------------------------------------- */

/* DIR/checkpoint.ogem, malloc'd. */
char *cli_ckpt_path(const char *dir);
/* "ogem CMD --resume DIR" with DIR quoted for a shell where needed, malloc'd. */
char *cli_resume_hint(const char *command, const char *dir);
/* fingerprint of the settings that determine the results (the run.json
 * settings without --threads and --checkpoint-every, as text) and of the
 * data set's values, if any. */
uint64_t cli_fingerprint(const char *command, const char *settings_text, const double *data, size_t ndata);
/* The blob's frame: header, command and config; the caller appends its payload. */
void cli_ckpt_begin_blob(cli_buf *b, const char *command, const char *config_text);
/* Captures the solver and writes DIR/checkpoint.ogem atomically. 0, or -1 with msg. */
int cli_ckpt_write(const char *dir, ogem_solver *s, uint64_t fingerprint, const cli_buf *blob, char *msg,
                   size_t msglen);
/* Removes DIR/checkpoint.ogem (ogem_checkpoint_remove). */
void cli_ckpt_remove(const char *dir);
int cli_ckpt_exists(const char *dir);

/* ---- --resume DIR ------------------------------------------------------------------------ */

typedef struct cli_resume {
    const char *dir;
    char *path;             /* DIR/checkpoint.ogem                          */
    ogem_checkpoint ck;     /* solver state; ck.blob holds the frame         */
    const char *config;     /* the run.json text inside the blob (not NUL-terminated) */
    size_t config_len;
    cli_reader payload;     /* positioned after the frame                    */
} cli_resume;

/* Reads DIR/checkpoint.ogem and checks that `command` wrote it. -1 after
 * printing one line ("ogem CMD: --resume: ..."). */
int cli_resume_load(const char *cmd, const char *dir, cli_resume *r);
void cli_resume_free(cli_resume *r);
/* 0 if the checkpoint's fingerprint is `fingerprint`; else prints one line
 * naming the first setting that differs between the checkpoint's config and
 * current_config (both run.json texts) and returns -1. */
int cli_resume_check(const char *cmd, const cli_resume *r, uint64_t fingerprint, const char *current_config);

#endif /* OGEM_CLI_CKPT_H */
