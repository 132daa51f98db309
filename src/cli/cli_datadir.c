/*
 * cli_datadir.c - finds the data files the `ogem` command ships, relative to
 * its own executable (read from /proc/self/exe): an install moved to any
 * prefix and a binary run from its build tree both find theirs, from any
 * working directory. The compiled-in install directory is only the last
 * resort, since `cmake --install --prefix P` may differ from the configured one.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli_datadir.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_args.h"

/* Set by cmake/install.cmake; these defaults match GNUInstallDirs'. */
#ifndef OGEM_BIN_TO_DATADIR
#define OGEM_BIN_TO_DATADIR "../share/ogem"
#endif

/* Directory of this executable (malloc'd), NULL when it cannot be read. */
static char *exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (k <= 0) return NULL;
    buf[k] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) return NULL;
    *slash = '\0';
    return strdup(buf);
}

/* DIR/NAME when it is readable (malloc'd), else NULL. */
static char *readable(const char *dir, const char *name)
{
    char *path = cli_dup_printf("%s/%s", dir, name);
    if (path && access(path, R_OK) != 0) {
        free(path);
        path = NULL;
    }
    return path;
}

char *cli_data_file(const char *name)
{
    /* In order: installed layout, then the source tree's tools/ seen from
     * build/ and from a build folder one level deeper. */
    static const char *const beside_exe[] = {OGEM_BIN_TO_DATADIR, "../tools", "../../tools"};
    char *found = NULL;
    char *exe = exe_dir();
    for (size_t j = 0; exe && !found && j < sizeof beside_exe / sizeof beside_exe[0]; j++) {
        char *dir = cli_dup_printf("%s/%s", exe, beside_exe[j]);
        if (dir) found = readable(dir, name);
        free(dir);
    }
    free(exe);
#ifdef OGEM_INSTALL_DATADIR
    if (!found) found = readable(OGEM_INSTALL_DATADIR, name);
#endif
    return found;
}
