/* backend_gpu_stub.c - stands in for cuda/ when the build has no CUDA, so the
 * driver can ask for a GPU and get a clear "not built" answer, and
 * ogem_gpu_get_caps answers built = 0 (and nothing else). */
#include <stdio.h>
#include <string.h>
#include "core/backend.h"

ogem_status ogem_backend_gpu_create(ogem_backend **out, const ogem_point_spec *spec, char *msg, size_t len)
{
    (void)spec;
    *out = NULL;
    if (msg) snprintf(msg, len, "this build of ogem has no CUDA backend (configure with -DOGEM_CUDA=ON)");
    return OGEM_ERR_NO_DEVICE;
}

int ogem_gpu_count(void) { return 0; }

ogem_status ogem_gpu_select(int index)
{
    (void)index;
    return OGEM_ERR_NO_DEVICE;
}

ogem_status ogem_gpu_get_caps(ogem_gpu_caps *caps)
{
    if (!caps) return OGEM_ERR_INVALID;
    memset(caps, 0, sizeof *caps);
    return OGEM_OK;
}
