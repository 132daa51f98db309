/*
 * python/ext/ext_module.c - the module ogem._ogem: its exception types, the
 * helpers of ext.h (flag tables from dicts, captured option errors, buffers,
 * the Ctrl-C/progress pacer, solvers, all-or-nothing output directories) and
 * the module-level functions (version, GPU description, aggregate rows).
 */
#include "ext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_run_report.h"
#include "cli/cli_stats.h"
#include "math/checked.h"
#include "util/outdir.h"

/* ---- errors ------------------------------------------------------------------------ */

/* Indexed by ogem_status; [0] is ogem.Error itself. */
static PyObject *error_type[OGEM_ERR_NUMERIC + 1];

PyObject *ext_raise(ogem_status st, const char *msg)
{
    PyObject *type = st > 0 && st <= OGEM_ERR_NUMERIC ? error_type[st] : error_type[0];
    PyObject *exc = PyObject_CallFunction(type, "s", msg && *msg ? msg : ogem_status_string(st));
    if (!exc) return NULL;
    PyObject *code = PyLong_FromLong((long)st);
    if (code && PyObject_SetAttrString(exc, "status", code) == 0) PyErr_SetObject(type, exc);
    Py_XDECREF(code);
    Py_DECREF(exc);
    return NULL;
}

PyObject *ext_raise_solver(const ogem_solver *s, ogem_status st)
{
    const char *e = s ? ogem_solver_error(s) : NULL;
    return ext_raise(st, e && *e ? e : ogem_status_string(st));
}

/* ---- flag tables ------------------------------------------------------------------- */

int ext_flags_fill(ext_flags *f, PyObject *dict, const cli_flag *table, int n)
{
    memset(f, 0, sizeof *f);
    f->n = n;
    f->value = calloc((size_t)n, sizeof *f->value);
    f->label = calloc((size_t)n, sizeof *f->label);
    f->given = calloc((size_t)n, 1);
    f->from_config = calloc((size_t)n, 1);
    if (!f->value || !f->label || !f->given || !f->from_config) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < n; i++) {
        f->value[i] = table[i].def;
        char name[64];
        snprintf(name, sizeof name, "%s", table[i].name + 2); /* "--mu-star" -> "mu_star" */
        for (char *c = name; *c; c++)
            if (*c == '-') *c = '_';
        f->label[i] = cli_strings_add(&f->pool, name);
        if (!f->label[i]) {
            PyErr_NoMemory();
            return -1;
        }
    }
    PyObject *key, *val;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict, &pos, &key, &val)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        int i = k ? cli_flag_index(table, n, k) : -1;
        if (i < 0) {
            PyErr_Format(PyExc_ValueError, "unknown setting %R", key);
            return -1;
        }
        Py_ssize_t len = 0;
        const char *v = PyUnicode_Check(val) ? PyUnicode_AsUTF8AndSize(val, &len) : NULL;
        if (!v) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s: expected a str, got %R", f->label[i], val);
            return -1;
        }
        if (strlen(v) != (size_t)len) {
            PyErr_Format(PyExc_ValueError, "%s: embedded NUL character", f->label[i]);
            return -1;
        }
        f->value[i] = cli_strings_add(&f->pool, v);
        if (!f->value[i]) {
            PyErr_NoMemory();
            return -1;
        }
        f->given[i] = 1;
    }
    return 0;
}

void ext_flags_free(ext_flags *f)
{
    free(f->value);
    free(f->label);
    free(f->given);
    free(f->from_config);
    cli_strings_free(&f->pool);
    memset(f, 0, sizeof *f);
}

static void capture_line(const char *cmd, const char *line, void *user)
{
    char *buf = user;
    (void)cmd;
    if (!buf[0]) snprintf(buf, 2048, "%s", line); /* the first line says what is wrong */
}

int ext_build_capture(int (*build)(void *ctx), void *ctx)
{
    char line[2048] = "";
    cli_error_set_sink(capture_line, line); /* under the GIL: one caller at a time */
    int rc = build(ctx);
    cli_error_set_sink(NULL, NULL);
    if (rc != 0 && !PyErr_Occurred()) ext_raise(OGEM_ERR_INVALID, line[0] ? line : "invalid settings");
    return rc;
}

/* ---- buffers ----------------------------------------------------------------------- */

int ext_buffer(PyObject *obj, Py_buffer *view, int writable, char fmt, Py_ssize_t count, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected a C-contiguous%s array", what, writable ? " writable" : "");
        return -1;
    }
    const char *f = view->format ? view->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    const Py_ssize_t size = fmt == 'd' ? 8 : fmt == 'q' ? 8 : 1;
    int ok = view->itemsize == size && (f[0] == fmt || (fmt == 'q' && f[0] == 'l' && sizeof(long) == 8) ||
                                        (fmt == 'B' && (f[0] == '?' || f[0] == 'b'))) && f[1] == '\0';
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s: expected items of type %s, got format '%s'", what,
                     fmt == 'd' ? "float64" : fmt == 'q' ? "int64" : "uint8", f);
    } else if (view->len != count * size) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd values, got %zd", what, count, view->len / size);
        ok = 0;
    }
    if (ok) return 0;
    PyBuffer_Release(view);
    return -1;
}

/* ---- the pacer ------------------------------------------------------------------- */

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ext_pacer_release(ext_pacer *p, PyObject *progress)
{
    p->progress = progress && progress != Py_None ? progress : NULL;
    p->next = monotonic_now() + 0.05;
    p->stop = 0;
    p->ts = PyEval_SaveThread();
}

int ext_pacer_poll(ext_pacer *p, long done, long total, long running)
{
    if (p->stop) return 1;
    double now = monotonic_now();
    if (now < p->next) return 0;
    PyEval_RestoreThread(p->ts);
    if (PyErr_CheckSignals() != 0) {
        p->stop = 1;
    } else if (p->progress) {
        PyObject *r = running >= 0 ? PyObject_CallFunction(p->progress, "lll", done, total, running)
                                   : PyObject_CallFunction(p->progress, "ll", done, total);
        if (!r) p->stop = 1;
        Py_XDECREF(r);
    }
    p->ts = PyEval_SaveThread();
    p->next = monotonic_now() + 0.05;
    return p->stop;
}

int ext_pacer_acquire(ext_pacer *p)
{
    PyEval_RestoreThread(p->ts);
    p->ts = NULL;
    /* A signal that came during the last stretch is handled here, not later
     * at some unrelated line of the caller. */
    if (!p->stop && PyErr_CheckSignals() != 0) p->stop = 1;
    return p->stop ? -1 : 0;
}

/* ---- solvers ------------------------------------------------------------------------- */

ogem_solver *ext_open_solver(const cli_run_opts *o, const double *means, const double *data, long data_rows)
{
    ogem_settings s;
    cli_run_fill_settings(o, &s);
    if (data) {
        s.estimator = OGEM_EST_DATA;
        s.samples = 0;
        s.data = data;
        s.data_rows = data_rows;
    }
    ogem_solver *solver = NULL;
    char msg[1024] = "";
    ogem_status st;
    Py_BEGIN_ALLOW_THREADS /* a GPU context or a data copy can take a while */
    st = ogem_solver_create(&solver, &s, msg, sizeof msg);
    Py_END_ALLOW_THREADS
    if (st != OGEM_OK) return (ogem_solver *)ext_raise(st, msg);
    double *mu = NULL;
    if (!means) {
        const size_t rnd = ogem_size_mul3(ogem_count(o->inits), ogem_count(o->components), ogem_count(o->dim));
        mu = malloc(ogem_size_mul(rnd, sizeof *mu));
        st = mu ? cli_run_initial_means(o, mu) : OGEM_ERR_NOMEM;
    } else {
        st = OGEM_OK;
    }
    if (st == OGEM_OK) st = ogem_solver_set_means(solver, means ? means : mu);
    free(mu);
    if (st != OGEM_OK) {
        ext_raise_solver(solver, st);
        ogem_solver_destroy(solver);
        return NULL;
    }
    return solver;
}

/* ---- output directories ------------------------------------------------------------ */

int ext_write_dir(const char *dir, const char *const *names, int count, int (*write)(FILE *f, int k, void *ctx),
                  void *ctx)
{
    char msg[1024] = "";
    ogem_outdir *out = ogem_outdir_open(dir, msg, sizeof msg);
    if (!out) {
        PyErr_Format(PyExc_OSError, "%s", msg);
        return -1;
    }
    for (int k = 0; k < count; k++) {
        FILE *f = ogem_outdir_create(out, names[k], msg, sizeof msg);
        if (!f || write(f, k, ctx) != 0) {
            if (f) snprintf(msg, sizeof msg, "out of memory writing %s", names[k]);
            ogem_outdir_abort(out);
            PyErr_Format(PyExc_OSError, "%s", msg);
            return -1;
        }
    }
    if (ogem_outdir_commit(out, msg, sizeof msg) != 0) {
        PyErr_Format(PyExc_OSError, "%s", msg);
        return -1;
    }
    return 0;
}

PyObject *ext_info_dict(const ogem_solver_info *i)
{
    return Py_BuildValue("{s:s,s:s,s:s,s:n,s:i,s:i}", "backend", i->backend, "precision", i->precision, "gpu_path",
                         i->gpu_path, "peak_device_bytes", (Py_ssize_t)i->peak_device_bytes, "threads", i->threads,
                         "max_subspace_dim", i->max_subspace_dim);
}

char **ext_argv(PyObject *list, int *argc)
{
    const Py_ssize_t n = PyList_GET_SIZE(list);
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    if (!argv) return (char **)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        argv[i] = (char *)PyUnicode_AsUTF8(PyList_GET_ITEM(list, i)); /* NULL and a TypeError for a non-str */
        if (!argv[i]) {
            free(argv);
            return NULL;
        }
    }
    *argc = (int)n;
    return argv;
}

/* ---- module functions -------------------------------------------------------------- */

static PyObject *mod_aggregate_quantiles(PyObject *self, PyObject *args)
{
    PyObject *metrics, *out, *scratch;
    Py_ssize_t R;
    if (!PyArg_ParseTuple(args, "nOOO", &R, &metrics, &scratch, &out)) return NULL;
    Py_buffer m, q, sc;
    if (ext_buffer(metrics, &m, 0, 'd', EXT_METRIC_DOUBLES * R, "metrics") != 0) return NULL;
    if (ext_buffer(scratch, &sc, 1, 'd', R, "scratch") != 0) {
        PyBuffer_Release(&m);
        return NULL;
    }
    if (ext_buffer(out, &q, 1, 'd', 20, "out") != 0) {
        PyBuffer_Release(&m);
        PyBuffer_Release(&sc);
        return NULL;
    }
    cli_aggregate_quantiles(m.buf, (long)R, sc.buf, q.buf); /* the same rule as aggregate.csv */
    PyBuffer_Release(&m);
    PyBuffer_Release(&sc);
    PyBuffer_Release(&q);
    Py_RETURN_NONE;
}

static PyObject *mod_gpu_describe(PyObject *self, PyObject *noargs)
{
    char buf[8192];
    ogem_status st = ogem_gpu_describe(buf, sizeof buf);
    if (st != OGEM_OK) return ext_raise(st, NULL);
    return PyUnicode_FromString(buf);
}

static PyObject *mod_gpu_count(PyObject *self, PyObject *noargs) { return PyLong_FromLong(ogem_gpu_count()); }

static PyMethodDef module_methods[] = {
    { "aggregate_quantiles", mod_aggregate_quantiles, METH_VARARGS,
      "aggregate_quantiles(R, metrics, scratch, out): the 20 values of an aggregate.csv row" },
    { "gpu_describe", mod_gpu_describe, METH_NOARGS, "The GPU backend and devices, as `ogem info` prints them." },
    { "gpu_count", mod_gpu_count, METH_NOARGS, "Number of usable CUDA devices (0 without CUDA or a device)." },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_ogem", "The C extension of the ogem package (use the package `ogem`).", -1,
    module_methods, NULL, NULL, NULL, NULL,
};

/* The exception hierarchy: ogem.Error, and per status a subclass that is
 * also the built-in exception a Python caller would expect. */
static int add_errors(PyObject *m)
{
    static const struct {
        ogem_status st;
        const char *name, *doc;
        PyObject **base;
    } kinds[] = {
        { OGEM_ERR_INVALID, "InvalidArgument", "A setting or argument is out of range.", &PyExc_ValueError },
        { OGEM_ERR_IO, "FileError", "A file could not be read or written.", &PyExc_OSError },
        { OGEM_ERR_PARSE, "ParseError", "A file or spec is malformed.", &PyExc_ValueError },
        { OGEM_ERR_NOMEM, "OutOfMemory", "A host or device allocation failed.", &PyExc_MemoryError },
        { OGEM_ERR_NO_DEVICE, "NoDevice", "A GPU was required and none is usable.", &PyExc_RuntimeError },
        { OGEM_ERR_CUDA, "CudaError", "The CUDA runtime or cuBLAS reported an error.", &PyExc_RuntimeError },
        { OGEM_ERR_CURAND, "CurandError", "cuRAND reported an error.", &PyExc_RuntimeError },
        { OGEM_ERR_UNSUPPORTED, "Unsupported", "A valid request this build or estimator cannot do.",
          &PyExc_NotImplementedError },
        { OGEM_ERR_NUMERIC, "NumericError", "A NaN or Inf appeared where none may (the iteration broke down).",
          &PyExc_ArithmeticError },
    };
    error_type[0] = PyErr_NewExceptionWithDoc(
        "ogem.Error", "Base class of ogem's errors; str(e) is the library's one-line message, e.status its code.",
        NULL, NULL);
    if (!error_type[0] || PyModule_AddObjectRef(m, "Error", error_type[0]) != 0) return -1;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char qual[64];
        snprintf(qual, sizeof qual, "ogem.%s", kinds[i].name);
        PyObject *bases = PyTuple_Pack(2, error_type[0], *kinds[i].base);
        PyObject *t = bases ? PyErr_NewExceptionWithDoc(qual, kinds[i].doc, bases, NULL) : NULL;
        Py_XDECREF(bases);
        if (!t || PyModule_AddObjectRef(m, kinds[i].name, t) != 0) return -1;
        error_type[kinds[i].st] = t;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__ogem(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    if (add_errors(m) != 0 || PyType_Ready(&ext_solver_type) != 0 || PyType_Ready(&ext_escape_type) != 0 ||
        PyModule_AddObjectRef(m, "Solver", (PyObject *)&ext_solver_type) != 0 ||
        PyModule_AddObjectRef(m, "Escape", (PyObject *)&ext_escape_type) != 0 ||
        PyModule_AddStringConstant(m, "__version__", OGEM_VERSION_STRING) != 0 ||
        PyModule_AddIntConstant(m, "cuda_built", OGEM_CUDA_BUILT) != 0 ||
        PyModule_AddIntConstant(m, "metric_doubles", (long)EXT_METRIC_DOUBLES) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
