/*
 * python/ext/ext_escape.c - ogem._ogem.Escape: an escape experiment as
 * `ogem escape` runs it. The option set (one per grid point of a sweep) is
 * built by cli_escape_opts_build, each grid point is stepped by the library's
 * ogem_escape_run, the Kaplan-Meier summaries and the growth fit are the
 * command's own (cli_stats.c, cli_escape_report.c), and save writes the
 * command's files with its writers, so every number is the binary's. The
 * Python function ogem.escape (python/ogem/_commands.py) wraps it.
 */
#include "ext.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_escape_report.h"
#include "cli/cli_stats.h"

typedef struct {
    PyObject_HEAD
    cli_escape_opts e;
    ext_flags flags;        /* value/label texts; its pool also keeps e's texts */
    cli_escape_results res;
    ogem_solver_info info;  /* of the latest grid point, max_subspace_dim over all */
    int have_opts, have_res, busy;
} EscapeObject;

static int build_opts(void *ctx)
{
    EscapeObject *self = ctx;
    ext_flags *f = &self->flags;
    return cli_escape_opts_build("escape", f->value, f->given, f->from_config, f->label, &f->pool, &self->e);
}

static int escape_init(EscapeObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = { "flags", NULL };
    PyObject *flags;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!", names, &PyDict_Type, &flags)) return -1;
    if (self->have_opts) {
        PyErr_SetString(PyExc_RuntimeError, "Escape is already initialized");
        return -1;
    }
    if (ext_flags_fill(&self->flags, flags, cli_escape_flags(), EF_COUNT) != 0) return -1;
    if (ext_build_capture(build_opts, self) != 0) return -1;
    self->have_opts = 1;
    if (cli_escape_results_alloc(&self->res, &self->e) != 0) {
        PyErr_NoMemory();
        return -1;
    }
    self->have_res = 1;
    return 0;
}

static void escape_dealloc(EscapeObject *self)
{
    if (self->have_res) cli_escape_results_free(&self->res);
    if (self->have_opts) cli_escape_opts_free(&self->e);
    ext_flags_free(&self->flags);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ready(const EscapeObject *self)
{
    if (!self->have_res) PyErr_SetString(PyExc_RuntimeError, "Escape is not initialized");
    else if (self->busy) PyErr_SetString(PyExc_RuntimeError, "Escape is running in another thread");
    else return 1;
    return 0;
}

static PyObject *escape_grid(EscapeObject *self, PyObject *noargs)
{
    if (!ready(self)) return NULL;
    const cli_escape_opts *e = &self->e;
    PyObject *pts = PyList_New(e->G);
    for (long g = 0; pts && g < e->G; g++) {
        PyObject *p = Py_BuildValue("(ddi)", e->points[g].value, e->points[g].radius, e->points[g].dim);
        if (!p) {
            Py_CLEAR(pts);
            break;
        }
        PyList_SET_ITEM(pts, g, p);
    }
    static const char *const sweeps[] = { "none", "radius", "dim" };
    PyObject *r = pts ? Py_BuildValue("{s:l,s:l,s:l,s:s,s:O,s:s,s:d,s:s}", "G", e->G, "R", e->R, "max_steps",
                                      e->max_steps, "sweep", sweeps[e->sweep], "points", pts, "until", e->until_text,
                                      "threshold", e->threshold, "init", e->init_text)
                      : NULL;
    Py_XDECREF(pts);
    return r;
}

typedef struct {
    ext_pacer pacer;
    long max_steps;
    long *reached;
} point_ctx;

static int on_step(long step, long running, void *user)
{
    point_ctx *p = user;
    *p->reached = step + 1;
    return ext_pacer_poll(&p->pacer, step + 1, p->max_steps, running);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* run_point(g, progress): grid point g from its initial means, as
 * cli_escape_run_point does it; Ctrl-C or an exception in progress stop it
 * between two steps (its results stay, partial) and propagate. */
static PyObject *escape_run_point(EscapeObject *self, PyObject *args)
{
    long g;
    PyObject *progress = Py_None;
    if (!PyArg_ParseTuple(args, "l|O", &g, &progress)) return NULL;
    if (!ready(self)) return NULL;
    const cli_escape_opts *e = &self->e;
    cli_escape_results *res = &self->res;
    if (g != res->done || g >= e->G) {
        PyErr_Format(PyExc_ValueError, "grid point %ld: the next one to run is %ld of %ld", g, res->done, e->G);
        return NULL;
    }
    ogem_solver *s = ext_open_solver(&e->grid[g], NULL, NULL, 0);
    if (!s) return NULL;
    const size_t first = (size_t)g * (size_t)e->R;
    point_ctx p = { { 0 }, e->max_steps, &res->reached[g] };
    self->busy = 1;
    double t0 = now_seconds();
    ext_pacer_release(&p.pacer, progress);
    ogem_status st = ogem_escape_run(s, e->until, e->threshold, e->max_steps, res->steps + first, res->loss + first,
                                     on_step, &p);
    res->seconds[g] += now_seconds() - t0;
    res->reached[g] = ogem_solver_step_index(s);
    res->done = g + 1;
    int stopped = ext_pacer_acquire(&p.pacer) != 0;
    self->busy = 0;
    ogem_solver_info info;
    int max_k = self->info.max_subspace_dim;
    if (st == OGEM_OK && ogem_solver_get_info(s, &info) == OGEM_OK) {
        self->info = info;
        if (max_k > info.max_subspace_dim) self->info.max_subspace_dim = max_k;
    }
    if (st != OGEM_OK && !stopped) ext_raise_solver(s, st);
    ogem_solver_destroy(s); /* info's strings are static: they outlive it */
    if (st != OGEM_OK || stopped) return NULL;
    Py_RETURN_NONE;
}

/* results(steps, loss, reached): copies of the G x R escape steps (-1:
 * running or censored), their losses and the G step counts. */
static PyObject *escape_results(EscapeObject *self, PyObject *args)
{
    PyObject *obj[3];
    if (!PyArg_ParseTuple(args, "OOO", &obj[0], &obj[1], &obj[2]) || !ready(self)) return NULL;
    const cli_escape_opts *e = &self->e;
    const Py_ssize_t GR = (Py_ssize_t)e->G * e->R;
    Py_buffer v[3];
    if (ext_buffer(obj[0], &v[0], 1, 'q', GR, "steps") != 0) return NULL;
    if (ext_buffer(obj[1], &v[1], 1, 'd', GR, "loss") != 0) {
        PyBuffer_Release(&v[0]);
        return NULL;
    }
    if (ext_buffer(obj[2], &v[2], 1, 'q', e->G, "reached") != 0) {
        PyBuffer_Release(&v[0]);
        PyBuffer_Release(&v[1]);
        return NULL;
    }
    int64_t *steps = v[0].buf, *reached = v[2].buf;
    for (Py_ssize_t q = 0; q < GR; q++) steps[q] = self->res.steps[q];
    memcpy(v[1].buf, self->res.loss, (size_t)GR * sizeof(double));
    for (long g = 0; g < e->G; g++) reached[g] = self->res.reached[g];
    for (int k = 0; k < 3; k++) PyBuffer_Release(&v[k]);
    return PyLong_FromLong(self->res.done);
}

/* stats(g): the Kaplan-Meier summary of grid point g, as summary.json has it. */
static PyObject *escape_stats(EscapeObject *self, PyObject *arg)
{
    long g = PyLong_AsLong(arg);
    if ((g == -1 && PyErr_Occurred()) || !ready(self)) return NULL;
    if (g < 0 || g >= self->res.done) {
        PyErr_Format(PyExc_IndexError, "grid point %ld has not run", g);
        return NULL;
    }
    cli_km_summary st;
    if (cli_km_summary_of(self->res.steps + (size_t)g * (size_t)self->e.R, self->e.R, &st) != 0)
        return PyErr_NoMemory();
    PyObject *times = PyTuple_New(st.m), *surv = PyTuple_New(st.m);
    for (long i = 0; times && surv && i < st.m; i++) {
        PyTuple_SET_ITEM(times, i, PyLong_FromLong(st.times[i]));
        PyTuple_SET_ITEM(surv, i, PyFloat_FromDouble(st.surv[i]));
    }
    PyObject *r = times && surv ? Py_BuildValue("{s:l,s:l,s:d,s:(lll),s:O,s:O}", "count", st.count, "escaped",
                                                st.escaped, "censored_fraction", st.censored_fraction, "quartiles",
                                                st.q[0], st.q[1], st.q[2], "km_step", times, "km_survival", surv)
                                : NULL;
    Py_XDECREF(times);
    Py_XDECREF(surv);
    cli_km_summary_free(&st);
    return r;
}

static PyObject *escape_fit(EscapeObject *self, PyObject *noargs)
{
    if (!ready(self)) return NULL;
    cli_fit fit;
    if (cli_escape_fit_of(&self->e, &self->res, &fit) != 0) return PyErr_NoMemory();
    return Py_BuildValue("{s:i,s:d,s:d,s:d}", "points_used", fit.points, "exponent", fit.slope, "intercept",
                         fit.intercept, "r2", fit.r2);
}

static PyObject *escape_info(EscapeObject *self, PyObject *noargs)
{
    if (!ready(self)) return NULL;
    const ogem_solver_info *i = &self->info;
    if (!i->backend) Py_RETURN_NONE;
    return ext_info_dict(i);
}

/* ---- save: escapes.csv, sweep.csv (with a sweep), summary.json, run.json ----------------- */

typedef struct {
    const EscapeObject *self;
    cli_escape_timing tm;
    int argc;
    char **argv;
    const char *const *names;
} escape_files;

static int write_escape_file(FILE *f, int k, void *ctx)
{
    const escape_files *ef = ctx;
    const cli_escape_opts *e = &ef->self->e;
    const cli_escape_results *res = &ef->self->res;
    const char *name = ef->names[k];
    const cli_outcome how = { 0, NULL, NULL };
    char *json = NULL;
    if (strcmp(name, "escapes.csv") == 0) {
        cli_escape_csv(f, e, res);
        return 0;
    }
    if (strcmp(name, "sweep.csv") == 0) {
        cli_escape_sweep_csv(f, e, res);
        return 0;
    }
    if (strcmp(name, "summary.json") == 0) json = cli_escape_summary_json(e, res, &ef->self->info, &ef->tm, &how);
    else json = cli_escape_run_json(e, res, &ef->self->info, &ef->tm, &how, ef->argc, ef->argv);
    if (!json) return -1;
    fputs(json, f);
    free(json);
    return 0;
}

static PyObject *escape_save(EscapeObject *self, PyObject *args)
{
    const char *dir;
    double wall_seconds;
    PyObject *argv;
    if (!PyArg_ParseTuple(args, "sdO!", &dir, &wall_seconds, &PyList_Type, &argv) || !ready(self)) return NULL;
    if (self->res.done < self->e.G || !self->info.backend) {
        PyErr_SetString(PyExc_RuntimeError, "the experiment has not run to its end: nothing to save");
        return NULL;
    }
    double solve = 0.0;
    for (long g = 0; g < self->res.done; g++) solve += self->res.seconds[g];
    static const char *const with_sweep[] = { "escapes.csv", "sweep.csv", "summary.json", "run.json" };
    static const char *const single[] = { "escapes.csv", "summary.json", "run.json" };
    const int sweep = self->e.sweep != CLI_SWEEP_NONE;
    escape_files ef = { self, { wall_seconds, solve }, 0, NULL, sweep ? with_sweep : single };
    if (!(ef.argv = ext_argv(argv, &ef.argc))) return NULL;
    int rc = ext_write_dir(dir, ef.names, sweep ? 4 : 3, write_escape_file, &ef);
    free(ef.argv);
    if (rc != 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef escape_methods[] = {
    { "grid", (PyCFunction)escape_grid, METH_NOARGS, "the grid points and the escape condition, as a dict" },
    { "run_point", (PyCFunction)escape_run_point, METH_VARARGS, "run_point(g, progress=None)" },
    { "results", (PyCFunction)escape_results, METH_VARARGS, "results(steps, loss, reached) -> points done" },
    { "stats", (PyCFunction)escape_stats, METH_O, "stats(g): Kaplan-Meier summary of grid point g" },
    { "fit", (PyCFunction)escape_fit, METH_NOARGS, "the growth fit over the grid points" },
    { "info", (PyCFunction)escape_info, METH_NOARGS, "the backend of the latest grid point" },
    { "save", (PyCFunction)escape_save, METH_VARARGS, "save(dir, wall_seconds, argv): `ogem escape`'s files" },
    { NULL, NULL, 0, NULL },
};

PyTypeObject ext_escape_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ogem._ogem.Escape",
    .tp_doc = "An escape experiment in C (use ogem.escape).",
    .tp_basicsize = sizeof(EscapeObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)escape_init,
    .tp_dealloc = (destructor)escape_dealloc,
    .tp_methods = escape_methods,
};
