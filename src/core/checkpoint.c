/* checkpoint.c - the checkpoint file format: a run's whole state on disk,
 * written so that a crash at any instant leaves either the previous
 * checkpoint or the new one, never a torn file: write to a temporary name,
 * fsync it, rename over the old one, fsync the directory. A trailing FNV-1a
 * checksum catches truncated or foreign files. The reader trusts no size in
 * the header that the file is too short to hold.
 *
 * Nothing here touches a solver (capture and restore are checkpoint_state.c's),
 * so the reader can be fuzzed on its own (tests/fuzz/fuzz_checkpoint.c).
 *
 * Layout (host byte order; checkpoints are for resuming on the same kind of
 * machine, not for archiving): "OGEMCKP1", fingerprint u64, step i64,
 * R n d i32, means f64[R*n*d], active u8[R], blob_len u64, blob, checksum u64.
 * Version 2, "OGEMCKP2", has after active a flags byte (1: the means are
 * relative to mu*, 2: log_weights f64[R*n] follow) and then log_weights.
 * Version 1 (absolute means, no weights: ogem 0.1.0's files) is still read,
 * and written for a checkpoint that has neither, so that it reads back the same. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "math/checked.h"
#include "ogem/ogem.h"
#include "core/fsdir.h"

static const char MAGIC[8] = {'O', 'G', 'E', 'M', 'C', 'K', 'P', '1'};
static const char MAGIC_W[8] = {'O', 'G', 'E', 'M', 'C', 'K', 'P', '2'};

uint64_t ogem_fnv1a64(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    if (h == 0) h = 0xcbf29ce484222325ull;
    for (size_t q = 0; q < len; q++) h = (h ^ p[q]) * 0x100000001b3ull;
    return h;
}

typedef struct sink { FILE *f; uint64_t h; int ok; } sink;

static void put(sink *k, const void *p, size_t len)
{
    if (k->ok && len && fwrite(p, 1, len, k->f) != len) k->ok = 0;
    k->h = ogem_fnv1a64(p, len, k->h);
}

/* fsyncs the directory holding path. */
static int fsync_dir_of(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return -1;
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    else strcpy(dir, ".");
    int rc = ogem_fsync_dir(dir);
    free(dir);
    return rc;
}

/* The temporary name a checkpoint is written under before the rename. */
static char *tmp_name(const char *path)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    if (tmp) snprintf(tmp, plen + 8, "%s.tmp", path);
    return tmp;
}

ogem_status ogem_checkpoint_write(const char *path, const ogem_checkpoint *ck, char *msg, size_t msglen)
{
    char *tmp = tmp_name(path);
    if (!tmp) return OGEM_ERR_NOMEM;
    sink k = {fopen(tmp, "wb"), 0, 1};
    if (!k.f) {
        if (msg) snprintf(msg, msglen, "cannot write checkpoint %s: %s", tmp, strerror(errno));
        free(tmp);
        return OGEM_ERR_IO;
    }
    int64_t step = ck->step;
    int32_t dims[3] = {ck->R, ck->n, ck->d};
    uint64_t blen = ck->blob_len;
    const unsigned char flags = (unsigned char)((ck->relative ? 1 : 0) | (ck->log_weights ? 2 : 0));
    put(&k, flags ? MAGIC_W : MAGIC, sizeof MAGIC);
    put(&k, &ck->fingerprint, sizeof ck->fingerprint);
    put(&k, &step, sizeof step);
    put(&k, dims, sizeof dims);
    put(&k, ck->means, ogem_size_mul(sizeof(double), ogem_size_mul3(ogem_count(ck->R), ogem_count(ck->n), ogem_count(ck->d))));
    put(&k, ck->active, (size_t)ck->R);
    if (flags) put(&k, &flags, 1);
    if (ck->log_weights)
        put(&k, ck->log_weights, ogem_size_mul(sizeof(double), ogem_size_mul(ogem_count(ck->R), ogem_count(ck->n))));
    put(&k, &blen, sizeof blen);
    put(&k, ck->blob, ck->blob_len);
    uint64_t sum = k.h;
    put(&k, &sum, sizeof sum);
    int ok = k.ok && fflush(k.f) == 0 && fsync(fileno(k.f)) == 0;
    ok = (fclose(k.f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0 || fsync_dir_of(path) != 0) {
        if (msg) snprintf(msg, msglen, "cannot write checkpoint %s: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return OGEM_ERR_IO;
    }
    free(tmp);
    return OGEM_OK;
}

ogem_status ogem_checkpoint_remove(const char *path)
{
    char *tmp = tmp_name(path);
    if (!tmp) return OGEM_ERR_NOMEM;
    remove(tmp); /* a temporary left by a write that was killed */
    free(tmp);
    if (remove(path) != 0) return errno == ENOENT ? OGEM_OK : OGEM_ERR_IO;
    return fsync_dir_of(path) == 0 ? OGEM_OK : OGEM_ERR_IO;
}

typedef struct source { FILE *f; uint64_t h; int ok; } source;

static void get(source *s, void *p, size_t len)
{
    if (s->ok && len && fread(p, 1, len, s->f) != len) s->ok = 0;
    if (s->ok) s->h = ogem_fnv1a64(p, len, s->h);
}

void ogem_checkpoint_free(ogem_checkpoint *ck)
{
    free(ck->means);
    free(ck->active);
    free(ck->log_weights);
    free(ck->blob);
    ck->means = NULL;
    ck->active = NULL;
    ck->log_weights = NULL;
    ck->blob = NULL;
}

ogem_status ogem_checkpoint_read(const char *path, ogem_checkpoint *ck, char *msg, size_t msglen)
{
    memset(ck, 0, sizeof *ck);
    source s = {fopen(path, "rb"), 0, 1};
    if (!s.f) {
        if (msg) snprintf(msg, msglen, "cannot read checkpoint %s: %s", path, strerror(errno));
        return OGEM_ERR_IO;
    }
    char magic[8];
    int64_t step = 0;
    int32_t dims[3] = {0, 0, 0};
    uint64_t blen = 0, sum = 0;
    get(&s, magic, sizeof magic);
    get(&s, &ck->fingerprint, sizeof ck->fingerprint);
    get(&s, &step, sizeof step);
    get(&s, dims, sizeof dims);
    /* What the header promises must fit in what the file still holds, checked
     * before anything is allocated: a corrupt header must not ask for 80 GB. */
    const size_t header = sizeof MAGIC + sizeof ck->fingerprint + sizeof step + sizeof dims;
    struct stat fst;
    const size_t rest = fstat(fileno(s.f), &fst) == 0 && S_ISREG(fst.st_mode) && (size_t)fst.st_size >= header
                            ? (size_t)fst.st_size - header : 0;
    const size_t mean_bytes =
        ogem_size_mul(sizeof(double), ogem_size_mul3(ogem_count(dims[0]), ogem_count(dims[1]), ogem_count(dims[2])));
    const int v2 = s.ok && memcmp(magic, MAGIC_W, sizeof MAGIC_W) == 0;
    /* v2's weights, if its flags ask for them, are counted when the flags are read */
    const size_t w_bytes = ogem_size_mul(sizeof(double), ogem_size_mul(ogem_count(dims[0]), ogem_count(dims[1])));
    const size_t fixed_bytes = ogem_size_add(ogem_size_add(mean_bytes, ogem_count(dims[0])),
                                             sizeof blen + sizeof sum + (v2 ? 1 : 0));
    int sane = s.ok && (v2 || memcmp(magic, MAGIC, sizeof MAGIC) == 0) && dims[0] > 0 && dims[1] > 0 &&
               dims[2] > 0 && step >= 0 && fixed_bytes <= rest;
    size_t used = fixed_bytes;
    if (sane) {
        ck->R = dims[0]; ck->n = dims[1]; ck->d = dims[2]; ck->step = step;
        ck->means = malloc(mean_bytes);
        ck->active = malloc((size_t)ck->R);
        sane = ck->means && ck->active;
        if (sane) {
            get(&s, ck->means, mean_bytes);
            get(&s, ck->active, (size_t)ck->R);
        }
        unsigned char flags = 0;
        if (sane && v2) {
            get(&s, &flags, 1);
            /* a v2 file has some flag set (else it is written as v1) and no unknown one */
            sane = s.ok && flags >= 1 && flags <= 3;
            ck->relative = flags & 1;
            if (sane && (flags & 2)) {
                used = ogem_size_add(used, w_bytes);
                ck->log_weights = used <= rest ? malloc(w_bytes) : NULL;
                sane = ck->log_weights != NULL;
                if (sane) get(&s, ck->log_weights, w_bytes);
            }
        }
        if (sane) {
            get(&s, &blen, sizeof blen);
            sane = s.ok && blen <= rest - used;
        }
        if (sane) {
            ck->blob_len = (size_t)blen;
            ck->blob = malloc(ck->blob_len ? ck->blob_len : 1);
            sane = ck->blob != NULL;
            if (sane) get(&s, ck->blob, ck->blob_len);
        }
        if (sane) {
            uint64_t expect = s.h;
            get(&s, &sum, sizeof sum);
            sane = s.ok && sum == expect && fgetc(s.f) == EOF;
        }
    }
    fclose(s.f);
    if (!sane) {
        ogem_checkpoint_free(ck);
        if (msg) snprintf(msg, msglen, "checkpoint %s is truncated, corrupt or not an ogem checkpoint", path);
        return OGEM_ERR_PARSE;
    }
    return OGEM_OK;
}
