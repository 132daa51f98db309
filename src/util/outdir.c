/*
 * outdir.c - all-or-nothing output directories.
 *
 * Every output file is written under a temporary name in the target directory
 * (same file system, so rename() cannot need a copy), fsynced, and renamed
 * into place only when the whole run has succeeded; the directory is then
 * fsynced so the renames survive a crash. If anything fails before that, the
 * temporary files and any directories we created are removed: a failed run
 * leaves --out as it found it. (An interrupted run commits its partial results
 * and a checkpoint instead; see cli_ckpt.h.)
 *
 * What rename(2) does and does not promise. One rename is atomic for its own
 * name: a reader, or the disk after a crash, sees either the old NAME or the
 * new one, never a torn file, and never no file at all. There is no atomic
 * rename of several files: between two renames the directory holds a mix of
 * new and old outputs. So commit() makes a *failed* commit all-or-nothing by
 * checking every target before the first rename and undoing the renames done
 * so far when a later one fails (the old files were kept as hard links,
 * `.NAME.old-XXXXXX`, and are renamed back, each again atomically). A *crash*
 * in the middle of the renames (power loss, kill -9) can still leave the mix;
 * the next run into the directory replaces all of it. Only writing into a
 * fresh directory and renaming that would be atomic as a whole, which --out,
 * a directory the user may keep other files in, does not allow.
 *
 * One writer per directory. open() takes an exclusive flock(2) on DIR, held
 * until commit() or abort() (or the process's death: the kernel drops it), and
 * refuses a directory another ogem holds. Holding it is what makes cleaning up
 * safe: temporaries of a writer killed with SIGKILL are left behind, and while
 * we hold the lock no live writer can own one, so create(NAME) removes the
 * stale `.NAME.tmp-XXXXXX` and `.NAME.old-XXXXXX` (exactly that pattern, six
 * mkstemp characters) of the NAMEs this run writes. Temporaries of other names
 * are left alone: they are not certainly ours, and this run does not replace
 * their files. Where the file system has no flock on directories (some network
 * file systems), open() proceeds without the lock and removes nothing.
 */
#define _DEFAULT_SOURCE   /* flock (BSD and Linux; not POSIX) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsdir.h"
#include "util/outdir.h"

#define MAX_FILES 16
#define MAX_CREATED 64
#define TMP_TAG ".tmp-"
#define OLD_TAG ".old-"
#define SUFFIX_LEN 6   /* mkstemp's XXXXXX */

int (*ogem_outdir_rename)(const char *from, const char *to) = rename;

typedef struct outfile {
    FILE *f;
    char *tmp;    /* DIR/.NAME.tmp-XXXXXX                                     */
    char *final;  /* DIR/NAME                                                 */
    char *old;    /* DIR/.NAME.old-XXXXXX: the previous NAME during commit    */
    int had_old;  /* 1: NAME existed; old holds it (linked, or moved aside)   */
    int moved;    /* 1: the previous NAME was renamed to old, not linked      */
} outfile;

struct ogem_outdir {
    char *dir;
    int dfd;      /* DIR, open for the lock and the final fsync (-1: none)    */
    int locked;
    outfile files[MAX_FILES];
    int n_files;
    char *created[MAX_CREATED]; /* directories mkdir'd by us, parents first */
    int n_created;
    int sink;     /* opened under ogem_outdir_discard: nothing on disk      */
};

/* Set by ogem_outdir_discard: every directory opened from then on is a sink. */
static int discard_all = 0;
static void free_outdir(ogem_outdir *o);

void ogem_outdir_discard(int on) { discard_all = on != 0; }

/* A sink's files go to /dev/null and are only closed, by commit or abort. */
static void close_sink(ogem_outdir *o)
{
    for (int i = 0; i < o->n_files; i++)
        if (o->files[i].f) fclose(o->files[i].f);
    o->n_files = 0;
    free_outdir(o);
}

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

/* Frees o; closing dfd releases the lock. */
static void free_outdir(ogem_outdir *o)
{
    for (int i = 0; i < o->n_files; i++) {
        free(o->files[i].tmp);
        free(o->files[i].final);
        free(o->files[i].old);
    }
    for (int i = 0; i < o->n_created; i++) free(o->created[i]);
    if (o->dfd >= 0) close(o->dfd);
    free(o->dir);
    free(o);
}

/* Takes the writer's lock on DIR (see the top of the file). -1 with msg when
 * another process holds it; 0 otherwise, locked or not. */
static int lock_dir(ogem_outdir *o, char *msg, size_t len)
{
    o->dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->dfd < 0) return 0;   /* access() below reports why, if it matters */
    int rc;
    do rc = flock(o->dfd, LOCK_EX | LOCK_NB); while (rc != 0 && errno == EINTR);
    if (rc == 0) {
        o->locked = 1;
        return 0;
    }
    if (errno == EWOULDBLOCK) {
        snprintf(msg, len, "'%s' is being written by another ogem process; wait for it or choose another directory",
                 o->dir);
        return -1;
    }
    return 0;   /* no flock here: work unlocked, clean nothing */
}

ogem_outdir *ogem_outdir_open(const char *dir, char *msg, size_t len)
{
    ogem_outdir *o = calloc(1, sizeof *o);
    if (!o || !(o->dir = malloc(strlen(dir) + 1))) {
        free(o);
        snprintf(msg, len, "out of memory");
        return NULL;
    }
    o->dfd = -1;
    strcpy(o->dir, dir);
    o->sink = discard_all;
    if (o->sink) return o;
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
    if (lock_dir(o, msg, len) != 0) {
        remove_created(o);
        free_outdir(o);
        return NULL;
    }
    return o;
}

/* 1 if entry is ".NAME" TAG followed by exactly six mkstemp characters. */
static int is_stale_name(const char *entry, const char *name, const char *tag)
{
    size_t ln = strlen(name), lt = strlen(tag);
    if (entry[0] != '.' || strncmp(entry + 1, name, ln) != 0 || strncmp(entry + 1 + ln, tag, lt) != 0) return 0;
    const char *sfx = entry + 1 + ln + lt;
    if (strlen(sfx) != SUFFIX_LEN) return 0;
    for (const char *p = sfx; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) return 0;
    return 1;
}

/* Removes the temporaries and commit backups of NAME that dead writers left
 * (only while holding the lock: see the top of the file). */
static void remove_stale(ogem_outdir *o, const char *name)
{
    if (!o->locked) return;
    DIR *d = opendir(o->dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_stale_name(e->d_name, name, TMP_TAG) && !is_stale_name(e->d_name, name, OLD_TAG)) continue;
        char *path = join(o->dir, e->d_name);
        if (path) unlink(path);
        free(path);
    }
    closedir(d);
}

FILE *ogem_outdir_create(ogem_outdir *o, const char *name, char *msg, size_t len)
{
    if (o->n_files >= MAX_FILES) {
        snprintf(msg, len, "too many output files");
        return NULL;
    }
    if (o->sink) {
        FILE *f = fopen("/dev/null", "w");
        if (!f) snprintf(msg, len, "cannot open /dev/null: %s", strerror(errno));
        else o->files[o->n_files++].f = f;
        return f;
    }
    remove_stale(o, name);
    outfile *of = &o->files[o->n_files];
    /* A directory in the way would fail the commit; say so before the run.
     * (commit() checks again: the directory may change meanwhile.) */
    struct stat st;
    char *target = join(o->dir, name);
    int blocked = target && lstat(target, &st) == 0 && S_ISDIR(st.st_mode);
    if (blocked) snprintf(msg, len, "cannot replace '%s': it is a directory", target);
    free(target);
    if (blocked) return NULL;
    char tmpname[256];
    snprintf(tmpname, sizeof tmpname, ".%s" TMP_TAG "XXXXXX", name);
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
    if (o->sink) {
        close_sink(o);
        return;
    }
    for (int i = 0; i < o->n_files; i++) {
        if (o->files[i].f) fclose(o->files[i].f);
        o->files[i].f = NULL;
        unlink(o->files[i].tmp);
    }
    remove_created(o);
    free_outdir(o);
}

/* The backup name of a file: its temporary's name with TMP_TAG -> OLD_TAG,
 * unique for the same reason the temporary is. */
static char *old_name(const outfile *of)
{
    char *s = malloc(strlen(of->tmp) + 1);
    if (!s) return NULL;
    strcpy(s, of->tmp);
    char *tag = strstr(s + strlen(s) - SUFFIX_LEN - strlen(TMP_TAG), TMP_TAG);
    memcpy(tag, OLD_TAG, strlen(OLD_TAG));
    return s;
}

/* Keeps the current NAME as `old` (a hard link, so NAME itself stays in
 * place; where the file system has no hard links, by moving it aside). */
static int keep_old(outfile *of, char *msg, size_t len)
{
    struct stat st;
    if (lstat(of->final, &st) != 0) {
        if (errno == ENOENT) return 0;
        snprintf(msg, len, "cannot replace '%s': %s", of->final, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(msg, len, "cannot replace '%s': it is a directory", of->final);
        return -1;
    }
    if (!(of->old = old_name(of))) { snprintf(msg, len, "out of memory"); return -1; }
    unlink(of->old);
    if (link(of->final, of->old) == 0) {
        of->had_old = 1;
        return 0;
    }
    if (ogem_outdir_rename(of->final, of->old) == 0) {
        of->had_old = of->moved = 1;
        return 0;
    }
    snprintf(msg, len, "cannot keep the previous '%s' while replacing it: %s", of->final, strerror(errno));
    return -1;
}

/* Puts every file's previous state back and removes the temporaries; the
 * files before renamed_upto had their temporary renamed over NAME already. */
static void roll_back(ogem_outdir *o, int renamed_upto)
{
    for (int i = 0; i < o->n_files; i++) {
        outfile *of = &o->files[i];
        const int renamed = i < renamed_upto;
        if (of->had_old && (renamed || of->moved)) ogem_outdir_rename(of->old, of->final);
        else if (renamed) unlink(of->final);
        if (of->had_old && !renamed && !of->moved) unlink(of->old);
        if (!renamed) unlink(of->tmp);
    }
}

int ogem_outdir_commit(ogem_outdir *o, char *msg, size_t len)
{
    if (o->sink) {
        close_sink(o);
        return 0;
    }
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
    /* 2. Every target checked, and its previous version kept, before the
     *    first rename: a directory in the way fails here, nothing replaced. */
    int kept = 0;
    for (; kept < o->n_files; kept++)
        if (keep_old(&o->files[kept], msg, len) != 0) break;
    if (kept < o->n_files) {
        roll_back(o, 0);
        remove_created(o);
        free_outdir(o);
        return -1;
    }
    /* 3. Into place; a failure puts the previous files back. */
    for (int i = 0; i < o->n_files; i++) {
        outfile *of = &o->files[i];
        if (ogem_outdir_rename(of->tmp, of->final) != 0) {
            snprintf(msg, len, "cannot rename '%s' to '%s': %s; the previous files are back in place", of->tmp,
                     of->final, strerror(errno));
            roll_back(o, i);
            remove_created(o);
            free_outdir(o);
            return -1;
        }
    }
    for (int i = 0; i < o->n_files; i++)
        if (o->files[i].had_old) unlink(o->files[i].old);
    /* 4. Make the renames durable (best effort: the files themselves are on disk). */
    if (o->dfd >= 0) (void)fsync(o->dfd);
    else (void)ogem_fsync_dir(o->dir);
    /* Keep the directories we created: they hold the results now. */
    for (int i = 0; i < o->n_created; i++) free(o->created[i]);
    o->n_created = 0;
    free_outdir(o);
    return 0;
}
