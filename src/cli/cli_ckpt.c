/* cli_ckpt.c - checkpoints and --resume for the long-running subcommands:
 * the blob's frame, writing and removing DIR/checkpoint.ogem, loading and
 * checking it again; see cli_ckpt.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_mpi.h"
#include "cli/cli_args.h"
#include "cli/cli_ckpt.h"
#include "util/json.h"

/* ---- buffers ---------------------------------------------------------------------------- */

void cli_buf_put(cli_buf *b, const void *p, size_t n)
{
    if (b->failed || n == 0) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void cli_buf_put_u64(cli_buf *b, uint64_t v) { cli_buf_put(b, &v, sizeof v); }

void cli_buf_put_str(cli_buf *b, const void *p, size_t n)
{
    cli_buf_put_u64(b, (uint64_t)n);
    cli_buf_put(b, p, n);
}

void cli_buf_free(cli_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

const unsigned char *cli_rd_bytes(cli_reader *r, size_t n)
{
    if (r->failed || n > r->len - r->pos) {
        r->failed = 1;
        return NULL;
    }
    const unsigned char *q = r->p + r->pos;
    r->pos += n;
    return q;
}

uint64_t cli_rd_u64(cli_reader *r)
{
    uint64_t v = 0;
    const unsigned char *q = cli_rd_bytes(r, sizeof v);
    if (q) memcpy(&v, q, sizeof v);
    return v;
}

const unsigned char *cli_rd_str(cli_reader *r, size_t *n)
{
    uint64_t len = cli_rd_u64(r);
    if (r->failed || len > r->len - r->pos) {
        r->failed = 1;
        *n = 0;
        return NULL;
    }
    *n = (size_t)len;
    return cli_rd_bytes(r, (size_t)len);
}

/* ---- writing ------------------------------------------------------------------------------- */

static const char BLOB_MAGIC[8] = { 'O', 'G', 'E', 'M', 'C', 'L', 'I', '1' };

char *cli_ckpt_path(const char *dir)
{
    size_t n = strlen(dir) + sizeof CLI_CHECKPOINT_NAME + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, CLI_CHECKPOINT_NAME);
    return p;
}

char *cli_resume_hint(const char *command, const char *dir)
{
    int plain = *dir != '\0';
    for (const char *c = dir; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%", *c)) plain = 0;
    size_t n = strlen(command) + 4 * strlen(dir) + 32;
    char *s = malloc(n);
    if (!s) return NULL;
    size_t k = (size_t)snprintf(s, n, "ogem %s --resume ", command);
    if (plain) {
        snprintf(s + k, n - k, "%s", dir);
        return s;
    }
    s[k++] = '\'';
    for (const char *c = dir; *c; c++) {
        if (*c == '\'') {
            memcpy(s + k, "'\\''", 4);
            k += 4;
        } else {
            s[k++] = *c;
        }
    }
    s[k++] = '\'';
    s[k] = '\0';
    return s;
}

uint64_t cli_fingerprint(const char *command, const char *settings_text, const double *data, size_t ndata)
{
    uint64_t h = ogem_fnv1a64(command, strlen(command) + 1, 0);
    h = ogem_fnv1a64(settings_text, strlen(settings_text), h);
    if (data && ndata) h = ogem_fnv1a64(data, ndata * sizeof *data, h);
    return h;
}

void cli_ckpt_begin_blob(cli_buf *b, const char *command, const char *config_text)
{
    cli_buf_put(b, BLOB_MAGIC, sizeof BLOB_MAGIC);
    cli_buf_put_str(b, command, strlen(command));
    cli_buf_put_str(b, config_text, strlen(config_text));
}

int cli_ckpt_write(const char *dir, ogem_solver *s, uint64_t fingerprint, const cli_buf *blob, char *msg,
                   size_t msglen)
{
    if (blob->failed) {
        snprintf(msg, msglen, "out of memory building the checkpoint");
        return -1;
    }
    char *path = cli_ckpt_path(dir);
    ogem_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    ogem_status st = path ? ogem_checkpoint_capture(s, &ck) : OGEM_ERR_NOMEM;
    if (st == OGEM_OK) {
        ck.fingerprint = fingerprint;
        ck.blob = blob->p;
        ck.blob_len = blob->len;
        /* Every rank captures (a collective gather of the means); rank 0 writes. */
        st = cli_mpi_rank() == 0 ? ogem_checkpoint_write(path, &ck, msg, msglen) : OGEM_OK;
        ck.blob = NULL; /* the caller's */
    } else {
        snprintf(msg, msglen, "out of memory capturing the checkpoint");
    }
    ogem_checkpoint_free(&ck);
    free(path);
    return st == OGEM_OK ? 0 : -1;
}

void cli_ckpt_remove(const char *dir)
{
    if (cli_mpi_rank() != 0) return; /* rank 0's file */
    char *path = cli_ckpt_path(dir);
    /* Nothing to report when it fails: a stale checkpoint is refused by its
     * fingerprint, or resumes the run it belongs to. */
    if (path) (void)ogem_checkpoint_remove(path);
    free(path);
}

int cli_ckpt_exists(const char *dir)
{
    char *path = cli_ckpt_path(dir);
    struct stat st;
    int yes = path && stat(path, &st) == 0;
    free(path);
    return yes;
}

/* ---- resuming ------------------------------------------------------------------------------- */

void cli_resume_free(cli_resume *r)
{
    ogem_checkpoint_free(&r->ck);
    free(r->path);
    memset(r, 0, sizeof *r);
}

int cli_resume_load(const char *cmd, const char *dir, cli_resume *r)
{
    memset(r, 0, sizeof *r);
    r->dir = dir;
    r->path = cli_ckpt_path(dir);
    if (!r->path) {
        cli_error(cmd, "--resume: out of memory");
        return -1;
    }
    char msg[1024];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_error(cmd, "--resume: '%s' is not a directory", dir);
        goto fail;
    }
    if (stat(r->path, &st) != 0) {
        cli_error(cmd, "--resume: %s has no %s (nothing to resume: was the run interrupted, or has it completed?)",
                  dir, CLI_CHECKPOINT_NAME);
        goto fail;
    }
    if (ogem_checkpoint_read(r->path, &r->ck, msg, sizeof msg) != OGEM_OK) {
        cli_error(cmd, "--resume: %s", msg);
        goto fail;
    }
    cli_reader rd = { r->ck.blob, r->ck.blob_len, 0, 0 };
    const unsigned char *magic = cli_rd_bytes(&rd, sizeof BLOB_MAGIC);
    if (!magic || memcmp(magic, BLOB_MAGIC, sizeof BLOB_MAGIC) != 0) {
        cli_error(cmd, "--resume: %s was not written by the ogem command line", r->path);
        goto fail;
    }
    size_t clen;
    const unsigned char *command = cli_rd_str(&rd, &clen);
    r->config = (const char *)cli_rd_str(&rd, &r->config_len);
    if (rd.failed || !command || !r->config) {
        cli_error(cmd, "--resume: %s is truncated or corrupt", r->path);
        goto fail;
    }
    if (clen != strlen(cmd) || memcmp(command, cmd, clen) != 0) {
        cli_error(cmd, "--resume: %s was written by 'ogem %.*s', not 'ogem %s'", r->path, (int)clen,
                  (const char *)command, cmd);
        goto fail;
    }
    r->payload = rd;
    return 0;
fail:
    cli_resume_free(r);
    return -1;
}

static int json_equal(const ogem_json *a, const ogem_json *b)
{
    if (a->type != b->type) return 0;
    switch (a->type) {
    case OGEM_JSON_NULL: return 1;
    case OGEM_JSON_BOOL: return a->boolean == b->boolean;
    case OGEM_JSON_NUMBER:
    case OGEM_JSON_STRING: return strcmp(a->text, b->text) == 0;
    default: break;
    }
    if (a->count != b->count) return 0;
    for (const ogem_json *x = a->child, *y = b->child; x && y; x = x->next, y = y->next) {
        if (a->type == OGEM_JSON_OBJECT && strcmp(x->key, y->key) != 0) return 0;
        if (!json_equal(x, y)) return 0;
    }
    return 1;
}

/* A setting's value as a command line would spell it. */
static void value_text(const ogem_json *v, char *out, size_t len)
{
    out[0] = '\0';
    if (!v) {
        snprintf(out, len, "(not set)");
    } else if (v->type == OGEM_JSON_BOOL) {
        snprintf(out, len, "%s", v->boolean ? "on" : "off");
    } else if (v->type == OGEM_JSON_ARRAY) {
        size_t k = 0;
        for (const ogem_json *c = v->child; c && k + 1 < len; c = c->next)
            k += (size_t)snprintf(out + k, len - k, "%s%s", c == v->child ? "" : ",", c->text ? c->text : "?");
    } else if (v->text) {
        snprintf(out, len, "%s", v->text);
    } else {
        snprintf(out, len, "null");
    }
}

static int volatile_key(const char *key)
{
    return strcmp(key, "threads") == 0 || strcmp(key, "checkpoint_every") == 0;
}

int cli_resume_check(const char *cmd, const cli_resume *r, uint64_t fingerprint, const char *current_config)
{
    if (r->ck.fingerprint == fingerprint) return 0;
    ogem_json *a = NULL, *b = NULL;
    char msg[256];
    ogem_json_parse(r->config, r->config_len, &a, msg, sizeof msg);
    ogem_json_parse(current_config, strlen(current_config), &b, msg, sizeof msg);
    const ogem_json *sa = ogem_json_get(a, "settings"), *sb = ogem_json_get(b, "settings");
    const char *key = NULL;
    const ogem_json *va = NULL, *vb = NULL;
    /* The first differing key, in the checkpoint's order, then keys it lacks. */
    for (const ogem_json *m = sa ? sa->child : NULL; m && !key; m = m->next) {
        if (volatile_key(m->key)) continue;
        const ogem_json *o = ogem_json_get(sb, m->key);
        if (!o || !json_equal(m, o)) { key = m->key; va = m; vb = o; }
    }
    for (const ogem_json *m = sb ? sb->child : NULL; m && !key; m = m->next) {
        if (volatile_key(m->key)) continue;
        if (!ogem_json_get(sa, m->key)) { key = m->key; va = NULL; vb = m; }
    }
    if (key) {
        char flag[64], ta[256], tb[256];
        snprintf(flag, sizeof flag, "--%s", key);
        for (char *p = flag + 2; *p; p++)
            if (*p == '_') *p = '-';
        value_text(va, ta, sizeof ta);
        value_text(vb, tb, sizeof tb);
        cli_error(cmd, "%s: %s was made with %s %s, not %s: resume with the checkpoint's own settings", flag,
                  r->path, flag, ta, tb);
    } else {
        cli_error(cmd, "--resume: %s was made with other settings or another data set (did the data file change?)",
                  r->path);
    }
    ogem_json_free(a);
    ogem_json_free(b);
    return -1;
}
