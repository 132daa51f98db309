/*
 * python/ext/ext_solver.c - ogem._ogem.Solver: one ogem_solver with the
 * option set (`ogem run`'s flags, validated by cli_run_opts_build) it was
 * made from. Every method that computes releases the GIL; arrays are the
 * caller's buffers, filled or read in place. save_run writes the four files
 * of `ogem run` with the command's own writers. The Python class
 * ogem.Solver (python/ogem/_solver.py) wraps it.
 */
#include "ext.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli_run_report.h"
#include "cli/cli_runjson.h"

typedef struct {
    PyObject_HEAD
    ogem_solver *s;
    cli_run_opts o;
    ext_flags flags; /* the labels o points to */
    int have_opts;
    int busy;        /* a computing call is running without the GIL */
} SolverObject;

static Py_ssize_t rnd(const SolverObject *self)
{
    return (Py_ssize_t)self->o.inits * self->o.components * self->o.dim;
}

/* The build of the option set, for ext_build_capture. */
typedef struct {
    SolverObject *self;
} build_ctx;

static int build_opts(void *ctx)
{
    SolverObject *self = ((build_ctx *)ctx)->self;
    return cli_run_opts_build("run", self->flags.value, self->flags.label, &self->o);
}

/* *text (malloc'd, owned by the option set) becomes a copy of value. */
static int replace_text(char **text, const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        PyErr_NoMemory();
        return -1;
    }
    free(*text);
    *text = copy;
    return 0;
}

static int solver_init(SolverObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = { "flags", "means", "data", "data_rows", NULL };
    PyObject *flags, *means = Py_None, *data = Py_None;
    Py_ssize_t rows = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|OOn", names, &PyDict_Type, &flags, &means, &data, &rows))
        return -1;
    if (self->s || self->have_opts) {
        PyErr_SetString(PyExc_RuntimeError, "Solver is already initialized");
        return -1;
    }
    if (ext_flags_fill(&self->flags, flags, cli_run_flags, RF_COUNT) != 0) return -1;
    build_ctx ctx = { self };
    if (ext_build_capture(build_opts, &ctx) != 0) return -1;
    self->have_opts = 1;
    const cli_run_opts *o = &self->o;
    Py_buffer mv = { 0 }, dv = { 0 };
    if (means != Py_None && ext_buffer(means, &mv, 0, 'd', rnd(self), "init") != 0) return -1;
    if (data != Py_None && ext_buffer(data, &dv, 0, 'd', rows * o->dim, "data") != 0) {
        if (mv.obj) PyBuffer_Release(&mv);
        return -1;
    }
    self->s = ext_open_solver(o, mv.obj ? mv.buf : NULL, dv.obj ? dv.buf : NULL, (long)rows);
    if (mv.obj) PyBuffer_Release(&mv);
    if (dv.obj) PyBuffer_Release(&dv); /* the solver keeps its own (centred) copy */
    if (!self->s) return -1;
    /* run.json names what the run used: arrays, not the placeholders, so
     * that `ogem run --config` refuses it instead of replaying another run. */
    if (data != Py_None) {
        if (replace_text(&self->o.estimator_text, "data:<array>") != 0) return -1;
        self->o.estimator = OGEM_EST_DATA;
        self->o.samples = (long)rows;
    }
    if (means != Py_None && replace_text(&self->o.init_text, "<array>") != 0) return -1;
    return 0;
}

static void solver_dealloc(SolverObject *self)
{
    if (self->s) ogem_solver_destroy(self->s);
    if (self->have_opts) cli_run_opts_free(&self->o);
    ext_flags_free(&self->flags);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The solver, not busy: else an exception. */
static ogem_solver *usable(SolverObject *self)
{
    if (!self->s) {
        PyErr_SetString(PyExc_RuntimeError, "the Solver is closed");
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the Solver is in use by another thread");
        return NULL;
    }
    return self->s;
}


/* The four transfers between the solver and a caller's buffer. */
enum { GET_MEANS, SET_MEANS, GET_ACTIVE, SET_ACTIVE };

static PyObject *transfer(SolverObject *self, PyObject *obj, int which)
{
    static const char *const what[] = { "out", "means", "out", "active" };
    const int means = which == GET_MEANS || which == SET_MEANS, out = which == GET_MEANS || which == GET_ACTIVE;
    ogem_solver *s = usable(self);
    Py_buffer v;
    if (!s || ext_buffer(obj, &v, out, means ? 'd' : 'B', means ? rnd(self) : (Py_ssize_t)self->o.inits,
                         what[which]) != 0)
        return NULL;
    ogem_status st;
    switch (which) {
    case GET_MEANS: st = ogem_solver_get_means(s, v.buf); break;
    case SET_MEANS: st = ogem_solver_set_means(s, v.buf); break;
    case GET_ACTIVE: st = ogem_solver_get_active(s, v.buf); break;
    default: st = ogem_solver_set_active(s, v.buf); break;
    }
    PyBuffer_Release(&v);
    if (st != OGEM_OK) return ext_raise_solver(s, st);
    Py_RETURN_NONE;
}

static PyObject *solver_get_means(SolverObject *self, PyObject *o) { return transfer(self, o, GET_MEANS); }
static PyObject *solver_set_means(SolverObject *self, PyObject *o) { return transfer(self, o, SET_MEANS); }
static PyObject *solver_get_active(SolverObject *self, PyObject *o) { return transfer(self, o, GET_ACTIVE); }
static PyObject *solver_set_active(SolverObject *self, PyObject *o) { return transfer(self, o, SET_ACTIVE); }

/* step(apply, out): the metrics of step t into out (R x EXT_METRIC_DOUBLES
 * doubles, the layout of ogem_metrics), the update if apply, t + 1. */
static PyObject *solver_step(SolverObject *self, PyObject *args)
{
    int apply;
    PyObject *out;
    if (!PyArg_ParseTuple(args, "pO", &apply, &out)) return NULL;
    ogem_solver *s = usable(self);
    Py_buffer v;
    if (!s || ext_buffer(out, &v, 1, 'd', EXT_METRIC_DOUBLES * (Py_ssize_t)self->o.inits, "out") != 0) return NULL;
    ogem_status st;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    st = ogem_solver_step(s, apply, (ogem_metrics *)v.buf);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyBuffer_Release(&v);
    if (st != OGEM_OK) return ext_raise_solver(s, st);
    Py_RETURN_NONE;
}

static PyObject *solver_moments(SolverObject *self, PyObject *args)
{
    PyObject *obj[3];
    if (!PyArg_ParseTuple(args, "OOO", &obj[0], &obj[1], &obj[2])) return NULL;
    ogem_solver *s = usable(self);
    if (!s) return NULL;
    const Py_ssize_t R = (Py_ssize_t)self->o.inits, count[3] = { R, R * self->o.components, rnd(self) };
    static const char *const what[3] = { "loss", "log_mass", "cond_mean" };
    Py_buffer v[3];
    void *ptr[3] = { NULL, NULL, NULL };
    int k;
    for (k = 0; k < 3; k++) {
        if (obj[k] == Py_None) continue;
        if (ext_buffer(obj[k], &v[k], 1, 'd', count[k], what[k]) != 0) break;
        ptr[k] = v[k].buf;
    }
    ogem_status st = OGEM_OK;
    if (k == 3) {
        self->busy = 1;
        Py_BEGIN_ALLOW_THREADS
        st = ogem_solver_moments(s, ptr[0], ptr[1], ptr[2]);
        Py_END_ALLOW_THREADS
        self->busy = 0;
    }
    for (int j = 0; j < k; j++)
        if (ptr[j]) PyBuffer_Release(&v[j]);
    if (k < 3) return NULL;
    if (st != OGEM_OK) return ext_raise_solver(s, st);
    Py_RETURN_NONE;
}

static PyObject *solver_seek(SolverObject *self, PyObject *arg)
{
    ogem_solver *s = usable(self);
    long t = PyLong_AsLong(arg);
    if (!s || (t == -1 && PyErr_Occurred())) return NULL;
    ogem_status st = ogem_solver_seek(s, t);
    if (st != OGEM_OK) return ext_raise_solver(s, st);
    Py_RETURN_NONE;
}

static PyObject *solver_step_index(SolverObject *self, PyObject *noargs)
{
    ogem_solver *s = usable(self);
    return s ? PyLong_FromLong(ogem_solver_step_index(s)) : NULL;
}

static PyObject *solver_info(SolverObject *self, PyObject *noargs)
{
    ogem_solver *s = usable(self);
    ogem_solver_info info;
    if (!s) return NULL;
    ogem_status st = ogem_solver_get_info(s, &info);
    if (st != OGEM_OK) return ext_raise_solver(s, st);
    return ext_info_dict(&info);
}

static PyObject *double_tuple(const double *x, long n)
{
    PyObject *t = PyTuple_New(n);
    for (long i = 0; t && i < n; i++) {
        PyObject *v = PyFloat_FromDouble(x[i]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}

/* The option set as validated: what the Python side needs to run it. */
static PyObject *solver_options(SolverObject *self, PyObject *noargs)
{
    const cli_run_opts *o = &self->o;
    PyObject *log = PyTuple_New(o->n_log_steps);
    for (long j = 0; log && j < o->n_log_steps; j++) PyTuple_SET_ITEM(log, j, PyLong_FromLong(o->log_steps[j]));
    PyObject *w = double_tuple(o->weights, o->components), *mu = double_tuple(o->mu_star, o->dim);
    PyObject *r = log && w && mu
                      ? Py_BuildValue("{s:i,s:i,s:l,s:l,s:O,s:l,s:O,s:O,s:s,s:l,s:s,s:K,s:s,s:s}", "dim", o->dim,
                                      "components", o->components, "inits", o->inits, "steps", o->steps, "log_steps",
                                      log, "traced", o->traced, "weights", w, "mu_star", mu, "estimator",
                                      o->estimator_text, "samples", o->samples, "init", o->init_text, "seed",
                                      (unsigned long long)o->seed, "log", o->log_text, "weights_spec",
                                      o->weights_spec)
                      : NULL;
    Py_XDECREF(log);
    Py_XDECREF(w);
    Py_XDECREF(mu);
    return r;
}

/* ---- save_run: trajectory.csv, aggregate.csv, final.csv, run.json ---------------------- */

typedef struct {
    const SolverObject *self;
    const long *steps;       /* L logged steps     */
    long L;
    const ogem_metrics *traj;/* L x traced         */
    const double *agg;       /* L x 20             */
    const double *means;     /* R x n x d          */
    ogem_solver_info info;
    cli_run_timing tm;
    long steps_done;
    int argc;
    char **argv;
} run_files;

static int write_run_file(FILE *f, int k, void *ctx)
{
    const run_files *rf = ctx;
    const cli_run_opts *o = &rf->self->o;
    if (k == 0) {
        cli_trajectory_header(f);
        for (long j = 0; j < rf->L; j++) cli_trajectory_rows(f, rf->steps[j], rf->traj + j * o->traced, o->traced);
    } else if (k == 1) {
        cli_aggregate_header(f);
        for (long j = 0; j < rf->L; j++) cli_aggregate_row_of(f, rf->steps[j], rf->agg + 20 * j);
    } else if (k == 2) {
        cli_final_csv(f, rf->means, o->inits, o->components, o->dim);
    } else {
        cli_outcome how = { 0, NULL, NULL };
        char *json = cli_run_json(o, &rf->info, &rf->tm, rf->argc, rf->argv, &how, rf->steps_done);
        if (!json) return -1;
        fputs(json, f);
        free(json);
    }
    return 0;
}

static PyObject *solver_save_run(SolverObject *self, PyObject *args)
{
    const char *dir;
    PyObject *steps, *traj, *agg, *means, *argv;
    double solve_seconds, wall_seconds;
    long steps_done;
    if (!PyArg_ParseTuple(args, "sOOOOddlO!", &dir, &steps, &traj, &agg, &means, &solve_seconds, &wall_seconds,
                          &steps_done, &PyList_Type, &argv))
        return NULL;
    ogem_solver *s = usable(self);
    if (!s) return NULL;
    const cli_run_opts *o = &self->o;
    Py_buffer v[4];
    int got = 0;
    const long L = (long)PyObject_Length(steps);
    if (L < 0) return NULL;
    if (ext_buffer(steps, &v[0], 0, 'q', L, "steps") == 0) got++;
    if (got == 1 && ext_buffer(traj, &v[1], 0, 'd', (Py_ssize_t)L * o->traced * EXT_METRIC_DOUBLES, "trajectory") == 0)
        got++;
    if (got == 2 && ext_buffer(agg, &v[2], 0, 'd', (Py_ssize_t)L * 20, "aggregate") == 0) got++;
    if (got == 3 && ext_buffer(means, &v[3], 0, 'd', rnd(self), "final_means") == 0) got++;
    run_files rf = { self, got > 0 ? v[0].buf : NULL, L, got > 1 ? v[1].buf : NULL, got > 2 ? v[2].buf : NULL,
                     got > 3 ? v[3].buf : NULL, { 0 }, { wall_seconds, solve_seconds, o->steps + 1 }, steps_done,
                     0, NULL };
    int rc = got == 4 ? 0 : -1;
    ogem_status st = rc == 0 ? ogem_solver_get_info(s, &rf.info) : OGEM_OK;
    if (st != OGEM_OK) {
        ext_raise_solver(s, st);
        rc = -1;
    }
    if (rc == 0 && !(rf.argv = ext_argv(argv, &rf.argc))) rc = -1;
    static const char *const names[4] = { "trajectory.csv", "aggregate.csv", "final.csv", "run.json" };
    if (rc == 0) rc = ext_write_dir(dir, names, 4, write_run_file, &rf);
    free(rf.argv);
    for (int k = 0; k < got; k++) PyBuffer_Release(&v[k]);
    if (rc != 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *solver_close(SolverObject *self, PyObject *noargs)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the Solver is in use by another thread");
        return NULL;
    }
    if (self->s) ogem_solver_destroy(self->s);
    self->s = NULL;
    Py_RETURN_NONE;
}

static PyMethodDef solver_methods[] = {
    { "get_means", (PyCFunction)solver_get_means, METH_O, "get_means(out): the R x n x d means into out" },
    { "set_means", (PyCFunction)solver_set_means, METH_O, "set_means(means)" },
    { "get_active", (PyCFunction)solver_get_active, METH_O, "get_active(out): R uint8 flags into out" },
    { "set_active", (PyCFunction)solver_set_active, METH_O, "set_active(active)" },
    { "step", (PyCFunction)solver_step, METH_VARARGS, "step(apply, out): metrics into out (R x 4)" },
    { "moments", (PyCFunction)solver_moments, METH_VARARGS, "moments(loss, log_mass, cond_mean)" },
    { "seek", (PyCFunction)solver_seek, METH_O, "seek(t)" },
    { "step_index", (PyCFunction)solver_step_index, METH_NOARGS, "the step counter t" },
    { "info", (PyCFunction)solver_info, METH_NOARGS, "the backend, as a dict" },
    { "options", (PyCFunction)solver_options, METH_NOARGS, "the validated option set, as a dict" },
    { "save_run", (PyCFunction)solver_save_run, METH_VARARGS, "save_run(dir, ...): `ogem run`'s four files" },
    { "close", (PyCFunction)solver_close, METH_NOARGS, "frees the solver" },
    { NULL, NULL, 0, NULL },
};

PyTypeObject ext_solver_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ogem._ogem.Solver",
    .tp_doc = "The C solver (use ogem.Solver).",
    .tp_basicsize = sizeof(SolverObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)solver_init,
    .tp_dealloc = (destructor)solver_dealloc,
    .tp_methods = solver_methods,
};
