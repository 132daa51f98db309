/*
 * python/ext/ext.h - what the files of the extension module ogem._ogem share:
 * the exception types (one per ogem_status), settings built from Python's
 * flag texts through the command line's own option builders (so Python and
 * `ogem` accept, refuse and compute exactly the same things), buffer checks,
 * and the pacer that lets a long C loop see Ctrl-C and call a progress
 * callback. ext_module.c defines the module, ext_solver.c the Solver type,
 * ext_escape.c the escape experiment type.
 *
 * Arrays cross the boundary through the buffer protocol only: the Python side
 * allocates NumPy arrays and the C side fills them in place (no NumPy C API,
 * so the module builds without NumPy's headers and works with NumPy 1 and 2).
 */
#ifndef OGEM_PY_EXT_H
#define OGEM_PY_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "cli/cli_args.h"
#include "cli/cli_escape_opts.h"
#include "cli/cli_run_opts.h"
#include "ogem/ogem.h"

/* Doubles per initialization in an array of ogem_metrics (all its fields are
 * doubles): the width of every metrics buffer Python hands the library,
 * which writes whole structs; the module exports it as metric_doubles. */
#define EXT_METRIC_DOUBLES ((Py_ssize_t)(sizeof(ogem_metrics) / sizeof(double)))
_Static_assert(sizeof(ogem_metrics) % sizeof(double) == 0, "ogem_metrics holds doubles only");

/* ---- errors (ext_module.c) ------------------------------------------------------ */

/* Raises the exception type of st with msg (the library's one line); NULL. */
PyObject *ext_raise(ogem_status st, const char *msg);
/* Raises the solver's message for st (or the status text). */
PyObject *ext_raise_solver(const ogem_solver *s, ogem_status st);

/* ---- option sets from flag texts (ext_module.c) ------------------------------------ */

/* A flag table filled from a dict {"--flag": "text"}: value[i] is the text
 * given or the table's default, given[i] says which, label[i] is the Python
 * name of the flag ("--mu-star" -> "mu_star"), so that messages name the
 * argument the caller wrote. The texts live in pool. 0, or -1 with an
 * exception set (TypeError for a value that is not a str, ValueError for an
 * unknown flag). */
typedef struct ext_flags {
    const char **value, **label;
    unsigned char *given, *from_config;
    int n;
    cli_strings pool;
} ext_flags;
int ext_flags_fill(ext_flags *f, PyObject *dict, const cli_flag *table, int n);
void ext_flags_free(ext_flags *f);

/* Runs build (an option builder that reports through cli_error) with
 * cli_error's line captured; on failure raises ogem.InvalidArgument with that
 * line. Returns build's result. */
int ext_build_capture(int (*build)(void *ctx), void *ctx);

/* ---- buffers --------------------------------------------------------------------- */

/* A C-contiguous buffer of `count` items of struct format fmt[0] ('d' double,
 * 'q' int64, 'B' uint8), writable if asked. 0, or -1 with TypeError or
 * ValueError naming `what`. */
int ext_buffer(PyObject *obj, Py_buffer *view, int writable, char fmt, Py_ssize_t count, const char *what);

/* ---- long loops: Ctrl-C and progress --------------------------------------------- */

/* Between two steps of a loop that runs without the GIL: at most every
 * 50 ms, takes the GIL back, runs the pending signal handlers (Ctrl-C raises
 * KeyboardInterrupt there) and calls progress(done, total[, running]);
 * returns 1 (stop) when either raised. */
typedef struct ext_pacer {
    PyThreadState *ts;  /* the saved thread state while the GIL is released */
    PyObject *progress; /* callable or None/NULL                            */
    double next;        /* monotonic time of the next check                 */
    int stop;
} ext_pacer;
void ext_pacer_release(ext_pacer *p, PyObject *progress);
int ext_pacer_poll(ext_pacer *p, long done, long total, long running);
/* Takes the GIL back; -1 if a handler or the callback raised. */
int ext_pacer_acquire(ext_pacer *p);

/* The solver of one option set: settings, initial means, set_means. NULL
 * with an ogem.Error set. data/data_rows, when data != NULL, replace the
 * estimator by that data set (a NumPy array the caller keeps alive). */
ogem_solver *ext_open_solver(const cli_run_opts *o, const double *means, const double *data, long data_rows);

/* Writes files into dir all-or-nothing (util/outdir.h): write(f, k, ctx)
 * fills the k-th of the names; 0, or -1 with OSError set. */
int ext_write_dir(const char *dir, const char *const *names, int count, int (*write)(FILE *f, int k, void *ctx),
                  void *ctx);

/* A solver's info as a dict (backend, precision, gpu_path, peak_device_bytes,
 * threads, max_subspace_dim). */
PyObject *ext_info_dict(const ogem_solver_info *info);
/* A list of str as a NULL-terminated argv (malloc'd; the strings are the
 * list's, valid while it lives), its length in *argc; NULL with an
 * exception set. */
char **ext_argv(PyObject *list, int *argc);

extern PyTypeObject ext_solver_type;
extern PyTypeObject ext_escape_type;

#endif /* OGEM_PY_EXT_H */
