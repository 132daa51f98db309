/*
 * text_read.h - bounded reading of the text files ogem is given (data sets,
 * initial means, --config files, the run directories `ogem compare` reads):
 * every reader of user-named files goes through here, so that /dev/zero, a
 * binary file or an endless pipe ends in a one-line error instead of growing
 * memory until the machine gives out.
 *
 * Limits (stated, and the same for every caller that takes the defaults):
 *   - a line holds at most OGEM_TEXT_MAX_LINE bytes (1 MiB; the longest line
 *     ogem writes is a CSV row of d numbers or a run.json array, far below);
 *   - a file holds at most max_bytes bytes: OGEM_TEXT_MAX_DATA (16 GiB) for
 *     CSV files read into memory, OGEM_TEXT_MAX_CONFIG (64 MiB) for JSON
 *     settings, or none (0) for readers that stream line by line and so hold
 *     at most a line at a time;
 *   - a NUL byte anywhere means "not a text file".
 * Each violation is reported as "PATH:LINE: what" (line numbers 1-based), the
 * form csv_read.h uses for its own errors; opening or reading failures as
 * "PATH: cannot open: why" / "PATH: read error: why" (OGEM_ERR_IO), limits
 * and NUL bytes as OGEM_ERR_PARSE.
 *
 * Library code: no printing, no exiting.
 */
#ifndef OGEM_TEXT_READ_H
#define OGEM_TEXT_READ_H

#include <stddef.h>
#include <stdio.h>
#include "ogem/ogem.h"

#define OGEM_TEXT_MAX_LINE ((size_t)1 << 20)
#define OGEM_TEXT_MAX_DATA ((size_t)1 << 34)
#define OGEM_TEXT_MAX_CONFIG ((size_t)1 << 26)
#define OGEM_TEXT_CHUNK ((size_t)1 << 16)   /* bytes read at a time */

/* A line reader: ogem_text_open, then ogem_text_next until it returns 0. */
typedef struct ogem_text_reader {
    FILE *f;
    char *path;         /* copy, for messages                                    */
    size_t max_line;    /* OGEM_TEXT_MAX_LINE unless set otherwise                */
    size_t max_bytes;   /* 0: no limit on the file                                */
    size_t total;       /* bytes consumed so far                                  */
    long lineno;        /* number of the line last returned                       */
    char *line;         /* the current line, NUL-terminated, without its '\n'     */
    size_t cap;
    char *buf;          /* read-ahead of OGEM_TEXT_CHUNK bytes                    */
    size_t pos, end;
    int eof;
    int over;           /* the read-ahead was cut at max_bytes: more follows      */
} ogem_text_reader;

/* Opens path with the given file limit (0: none) and the default line limit.
 * On failure msg holds the reason and the reader needs no close. */
ogem_status ogem_text_open(ogem_text_reader *r, const char *path, size_t max_bytes, char *msg, size_t msglen);

/* The next line, without its '\n' (a '\r' before it is kept: callers treat it
 * as a blank). *line stays valid until the next call. Returns 1 with a line,
 * 0 at the end of the file, or -1 with msg set and *status the error. */
int ogem_text_next(ogem_text_reader *r, char **line, size_t *len, ogem_status *status, char *msg, size_t msglen);

void ogem_text_close(ogem_text_reader *r);

/* The whole file, NUL-terminated (malloc'd; *len excludes the NUL), at most
 * max_bytes long (0: no limit) and free of NUL bytes. No line limit: a JSON
 * file may put a long array on one line, and the file limit bounds it. */
ogem_status ogem_text_read_file(const char *path, size_t max_bytes, char **text, size_t *len,
                                char *msg, size_t msglen);

/* printf into msg[msglen] (nothing when msg is NULL or msglen 0): how the
 * readers of src/util word their one-line messages. */
void ogem_text_msg(char *msg, size_t msglen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* OGEM_TEXT_READ_H */
