/* status.c - status strings and default settings. */
#include "ogem/ogem.h"

const char *ogem_status_string(ogem_status s)
{
    switch (s) {
    case OGEM_OK: return "ok";
    case OGEM_ERR_INVALID: return "invalid argument";
    case OGEM_ERR_IO: return "input/output error";
    case OGEM_ERR_PARSE: return "malformed input";
    case OGEM_ERR_NOMEM: return "out of memory";
    case OGEM_ERR_NO_DEVICE: return "no usable GPU";
    case OGEM_ERR_CUDA: return "CUDA error";
    case OGEM_ERR_CURAND: return "cuRAND error";
    case OGEM_ERR_UNSUPPORTED: return "unsupported request";
    case OGEM_ERR_NUMERIC: return "non-finite value";
    }
    return "unknown status";
}

void ogem_settings_default(ogem_settings *s)
{
    *s = (ogem_settings){0};
    s->dim = 2;
    s->components = 2;
    s->inits = 1;
    s->algo = OGEM_ALGO_GEM;
    s->eta = 1.0;
    s->estimator = OGEM_EST_MC;
    s->samples = 8192;
    s->seed = 1;
    s->device = OGEM_DEVICE_AUTO;
    s->precision = OGEM_PREC_DOUBLE;
    s->gpu_path = OGEM_PATH_AUTO;
    s->threads = 0;
}
