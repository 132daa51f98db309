/* fsdir.c - fsync of a directory, the last step of every atomic replace
 * (checkpoints here, output directories in src/util/outdir.c): a rename is on
 * disk only once the directory holding it is. See fsdir.h. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <unistd.h>

#include "core/fsdir.h"

int ogem_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}
