/* text_read.c - bounded line and whole-file reading (text_read.h). */
#include "util/text_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void ogem_text_msg(char *msg, size_t msglen, const char *fmt, ...)
{
    if (!msg || msglen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
}

/* A limit for messages: "1 MiB", "64 MiB", "16 GiB", else in bytes. */
static void limit_text(size_t v, char *buf, size_t len)
{
    if (v >= ((size_t)1 << 30) && v % ((size_t)1 << 30) == 0) snprintf(buf, len, "%zu GiB", v >> 30);
    else if (v >= ((size_t)1 << 20) && v % ((size_t)1 << 20) == 0) snprintf(buf, len, "%zu MiB", v >> 20);
    else snprintf(buf, len, "%zu bytes", v);
}

static ogem_status too_big(const char *path, long line, size_t limit, char *msg, size_t msglen)
{
    char lim[32];
    limit_text(limit, lim, sizeof lim);
    ogem_text_msg(msg, msglen, "%s:%ld: the file is larger than the %s this reader accepts", path, line, lim);
    return OGEM_ERR_PARSE;
}

static ogem_status has_nul(const char *path, long line, char *msg, size_t msglen)
{
    ogem_text_msg(msg, msglen, "%s:%ld: NUL byte: not a text file", path, line);
    return OGEM_ERR_PARSE;
}

static ogem_status read_error(const char *path, char *msg, size_t msglen)
{
    ogem_text_msg(msg, msglen, "%s: read error: %s", path, strerror(errno ? errno : EIO));
    return OGEM_ERR_IO;
}

ogem_status ogem_text_open(ogem_text_reader *r, const char *path, size_t max_bytes, char *msg, size_t msglen)
{
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "rb");
    if (!r->f) {
        ogem_text_msg(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
        return OGEM_ERR_IO;
    }
    r->path = malloc(strlen(path) + 1);
    r->buf = malloc(OGEM_TEXT_CHUNK);
    r->line = malloc(256);
    if (!r->path || !r->buf || !r->line) {
        ogem_text_close(r);
        ogem_text_msg(msg, msglen, "%s: out of memory", path);
        return OGEM_ERR_NOMEM;
    }
    strcpy(r->path, path);
    r->cap = 256;
    r->max_line = OGEM_TEXT_MAX_LINE;
    r->max_bytes = max_bytes;
    return OGEM_OK;
}

void ogem_text_close(ogem_text_reader *r)
{
    if (r->f) fclose(r->f);
    free(r->path);
    free(r->buf);
    free(r->line);
    memset(r, 0, sizeof *r);
}

/* Refills the read-ahead; 0 at the end of the file, -1 on a read error or
 * when the file passes its limit. A chunk that crosses the limit is cut
 * there and the error comes when the reader reaches the cut, so that it names
 * the line holding the first byte too many. */
static int refill(ogem_text_reader *r, ogem_status *status, char *msg, size_t msglen)
{
    if (r->over) {
        *status = too_big(r->path, r->lineno + 1, r->max_bytes, msg, msglen);
        return -1;
    }
    errno = 0;
    size_t got = fread(r->buf, 1, OGEM_TEXT_CHUNK, r->f);
    if (got == 0) {
        if (ferror(r->f)) { *status = read_error(r->path, msg, msglen); return -1; }
        r->eof = 1;
        return 0;
    }
    if (r->max_bytes && got > r->max_bytes - r->total) {
        got = r->max_bytes - r->total;
        r->over = 1;
        if (got == 0) return refill(r, status, msg, msglen);
    }
    r->pos = 0;
    r->end = got;
    r->total += got;
    return 1;
}

int ogem_text_next(ogem_text_reader *r, char **line, size_t *len, ogem_status *status, char *msg, size_t msglen)
{
    size_t n = 0;
    int any = 0;   /* bytes of this line seen (an empty last line has none) */
    for (;;) {
        if (r->pos == r->end) {
            if (r->eof) break;
            int got = refill(r, status, msg, msglen);
            if (got < 0) return -1;
            if (got == 0) break;
        }
        const char *start = r->buf + r->pos;
        const size_t avail = r->end - r->pos;
        const char *nl = memchr(start, '\n', avail);
        const size_t take = nl ? (size_t)(nl - start) : avail;
        any = 1;
        if (memchr(start, '\0', take)) { *status = has_nul(r->path, r->lineno + 1, msg, msglen); return -1; }
        if (take > r->max_line - n) {
            char lim[32];
            limit_text(r->max_line, lim, sizeof lim);
            ogem_text_msg(msg, msglen, "%s:%ld: line longer than %s (not a text file?)", r->path, r->lineno + 1, lim);
            *status = OGEM_ERR_PARSE;
            return -1;
        }
        if (n + take + 1 > r->cap) {
            size_t cap = r->cap;
            while (cap < n + take + 1) cap *= 2;
            char *b = realloc(r->line, cap);
            if (!b) {
                ogem_text_msg(msg, msglen, "%s: out of memory", r->path);
                *status = OGEM_ERR_NOMEM;
                return -1;
            }
            r->line = b;
            r->cap = cap;
        }
        memcpy(r->line + n, start, take);
        n += take;
        r->pos += take + (nl != NULL);
        if (nl) break;
    }
    if (!any) return 0;
    r->line[n] = '\0';
    r->lineno++;
    *line = r->line;
    if (len) *len = n;
    return 1;
}

ogem_status ogem_text_read_file(const char *path, size_t max_bytes, char **text, size_t *len,
                                char *msg, size_t msglen)
{
    *text = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        ogem_text_msg(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
        return OGEM_ERR_IO;
    }
    size_t cap = 4096, n = 0;
    long line = 1;   /* of the next byte read, for the NUL message */
    char *buf = malloc(cap + 1);
    ogem_status st = buf ? OGEM_OK : OGEM_ERR_NOMEM;
    while (st == OGEM_OK) {
        if (n == cap) {
            char *b = realloc(buf, 2 * cap + 1);
            if (!b) { st = OGEM_ERR_NOMEM; break; }
            buf = b;
            cap *= 2;
        }
        errno = 0;
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) {
            if (ferror(f)) st = read_error(path, msg, msglen);
            break;
        }
        /* Only the bytes within the limit are looked at, so both messages
         * name the line of the first offending byte. */
        const int over = max_bytes && got > max_bytes - n;
        const size_t scan = over ? max_bytes - n : got;
        const char *nul = memchr(buf + n, '\0', scan);
        for (const char *p = buf + n, *stop = nul ? nul : buf + n + scan; p < stop; p++) line += *p == '\n';
        if (nul) { st = has_nul(path, line, msg, msglen); break; }
        if (over) { st = too_big(path, line, max_bytes, msg, msglen); break; }
        n += got;
    }
    fclose(f);
    if (st == OGEM_ERR_NOMEM) ogem_text_msg(msg, msglen, "%s: out of memory", path);
    if (st != OGEM_OK) {
        free(buf);
        return st;
    }
    buf[n] = '\0';
    *text = buf;
    if (len) *len = n;
    return OGEM_OK;
}
