/* fuzz_input.h - for the libFuzzer harnesses whose reader takes a path: the
 * input bytes as a file, in an anonymous in-memory file (memfd) reused across
 * runs and named by /proc/self/fd/N. Linux only, like libFuzzer's use here. */
#ifndef OGEM_FUZZ_INPUT_H
#define OGEM_FUZZ_INPUT_H

#define _GNU_SOURCE   /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Replaces the file's contents with data; returns its path. */
static inline const char *fuzz_input_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("ogem-fuzz", 0);
        if (fd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t put = pwrite(fd, data + done, size - done, (off_t)done);
        if (put <= 0) abort();
        done += (size_t)put;
    }
    return path;
}

/* An invariant the reader promises; a violation is a finding. */
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#endif /* OGEM_FUZZ_INPUT_H */
