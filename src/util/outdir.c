/*
 * outdir.c - all-or-nothing output directories.
 *
 * Every output file is written under a temporary name in the target directory
 * (same file system, so rename() is atomic), fsynced, and renamed into place
 * only when the whole run has succeeded; the directory is then fsynced so the
 * renames survive a crash. If anything fails before that, the temporary files
 * and any directories we created are removed: a failed run leaves --out as
 * it found it. (An interrupted run commits its partial results and a
 * checkpoint instead; see cli_ckpt.h.)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsdir.h"
#include "util/outdir.h"

#define MAX_FILES 16
#define MAX_CREATED 64

typedef struct outfile {
    FILE *f;
    char *tmp;   /* DIR/.NAME.tmp-XXXXXX */
    char *final; /* DIR/NAME             */
} outfile;

struct ogem_outdir {
    char *dir;
    outfile files[MAX_FILES];
    int n_files;
    char *created[MAX_CREATED]; /* directories mkdir'd by us, parents first */
    int n_created;
};

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    s[la] = '/';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

/* mkdir -p that remembers what it made. */
static int make_dirs(ogem_outdir *o, const char *dir, char *msg, size_t len)
{
    char *path = malloc(strlen(dir) + 1);
    if (!path) { snprintf(msg, len, "out of memory"); return -1; }
    strcpy(path, dir);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') path[--n] = '\0';
    /* Walk each prefix ending before a '/', then the whole path. */
    for (char *p = path + 1;; p++) {
        int at_end = *p == '\0';
        if (*p != '/' && !at_end) continue;
        char saved = *p;
        *p = '\0';
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                snprintf(msg, len, "'%s' exists and is not a directory", path);
                free(path);
                return -1;
            }
        } else if (mkdir(path, 0777) == 0) {
            if (o->n_created < MAX_CREATED) {
                o->created[o->n_created] = malloc(strlen(path) + 1);
                if (o->created[o->n_created]) strcpy(o->created[o->n_created++], path);
            }
        } else if (errno != EEXIST) {
            snprintf(msg, len, "cannot create directory '%s': %s", path, strerror(errno));
            free(path);
            return -1;
        }
        *p = saved;
        if (at_end) break;
    }
    free(path);
    return 0;
}

static void remove_created(ogem_outdir *o)
{
    /* Children before parents; rmdir fails harmlessly on anything non-empty. */
    for (int i = o->n_created - 1; i >= 0; i--) {
        rmdir(o->created[i]);
        free(o->created[i]);
    }
    o->n_created = 0;
}

static void free_outdir(ogem_outdir *o)
{
    for (int i = 0; i < o->n_files; i++) {
        free(o->files[i].tmp);
        free(o->files[i].final);
    }
    for (int i = 0; i < o->n_created; i++) free(o->created[i]);
    free(o->dir);
    free(o);
}

ogem_outdir *ogem_outdir_open(const char *dir, char *msg, size_t len)
{
    ogem_outdir *o = calloc(1, sizeof *o);
    if (!o || !(o->dir = malloc(strlen(dir) + 1))) {
        free(o);
        snprintf(msg, len, "out of memory");
        return NULL;
    }
    strcpy(o->dir, dir);
    if (make_dirs(o, dir, msg, len) != 0) {
        remove_created(o);
        free_outdir(o);
        return NULL;
    }
    /* Fail now, not after the run, if we cannot write there. */
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(msg, len, "cannot write into '%s': %s", dir, strerror(errno));
        remove_created(o);
        free_outdir(o);
        return NULL;
    }
    return o;
}

FILE *ogem_outdir_create(ogem_outdir *o, const char *name, char *msg, size_t len)
{
    if (o->n_files >= MAX_FILES) {
        snprintf(msg, len, "too many output files");
        return NULL;
    }
    outfile *of = &o->files[o->n_files];
    char tmpname[256];
    snprintf(tmpname, sizeof tmpname, ".%s.tmp-XXXXXX", name);
    of->tmp = join(o->dir, tmpname);
    of->final = join(o->dir, name);
    if (!of->tmp || !of->final) {
        free(of->tmp);
        free(of->final);
        of->tmp = of->final = NULL;
        snprintf(msg, len, "out of memory");
        return NULL;
    }
    int fd = mkstemp(of->tmp);
    if (fd < 0) {
        snprintf(msg, len, "cannot create a file in '%s': %s", o->dir, strerror(errno));
        free(of->tmp);
        free(of->final);
        of->tmp = of->final = NULL;
        return NULL;
    }
    /* mkstemp makes the file 0600; outputs are ordinary files (0666 & ~umask). */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    of->f = fdopen(fd, "w");
    if (!of->f) {
        snprintf(msg, len, "cannot open '%s': %s", of->tmp, strerror(errno));
        close(fd);
        unlink(of->tmp);
        free(of->tmp);
        free(of->final);
        of->tmp = of->final = NULL;
        return NULL;
    }
    o->n_files++;
    return of->f;
}

void ogem_outdir_abort(ogem_outdir *o)
{
    if (!o) return;
    for (int i = 0; i < o->n_files; i++) {
        if (o->files[i].f) fclose(o->files[i].f);
        o->files[i].f = NULL;
        unlink(o->files[i].tmp);
    }
    remove_created(o);
    free_outdir(o);
}

int ogem_outdir_commit(ogem_outdir *o, char *msg, size_t len)
{
    /* 1. Everything on disk under temporary names; any write error (a full
     *    disk shows up here at the latest) aborts with nothing renamed. */
    for (int i = 0; i < o->n_files; i++) {
        outfile *of = &o->files[i];
        int bad = fflush(of->f) != 0 || ferror(of->f) || fsync(fileno(of->f)) != 0;
        int err = errno;
        bad |= fclose(of->f) != 0;
        of->f = NULL;
        if (bad) {
            snprintf(msg, len, "cannot write '%s': %s", of->final, strerror(err ? err : EIO));
            ogem_outdir_abort(o);
            return -1;
        }
    }
    /* 2. Into place. */
    for (int i = 0; i < o->n_files; i++) {
        outfile *of = &o->files[i];
        if (rename(of->tmp, of->final) != 0) {
            snprintf(msg, len, "cannot rename '%s' to '%s': %s", of->tmp, of->final, strerror(errno));
            for (int j = i; j < o->n_files; j++) unlink(o->files[j].tmp);
            /* The ones already renamed stay: they are complete files. */
            for (int j = 0; j < o->n_created; j++) free(o->created[j]);
            o->n_created = 0;
            free_outdir(o);
            return -1;
        }
    }
    /* 3. Make the renames durable. */
    (void)ogem_fsync_dir(o->dir); /* best effort: the files themselves are on disk */
    /* Keep the directories we created: they hold the results now. */
    for (int i = 0; i < o->n_created; i++) free(o->created[i]);
    o->n_created = 0;
    free_outdir(o);
    return 0;
}
