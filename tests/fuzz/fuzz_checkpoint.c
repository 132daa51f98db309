/* fuzz_checkpoint.c - libFuzzer harness for the checkpoint reader
 * (core/checkpoint.c, ogem_checkpoint_read). Checked: no crash, no sanitizer
 * report, no allocation larger than the file could justify (libFuzzer's
 * -malloc_limit_mb catches those), and for a file that reads back, the
 * writer's output of it reads back to the same checkpoint. */
#include "fuzz_input.h"

#include <string.h>
#include "ogem/ogem.h"

static int same(const ogem_checkpoint *a, const ogem_checkpoint *b)
{
    size_t nm = (size_t)a->R * a->n * a->d;
    return a->fingerprint == b->fingerprint && a->step == b->step && a->R == b->R && a->n == b->n &&
           a->d == b->d && a->blob_len == b->blob_len && memcmp(a->means, b->means, sizeof(double) * nm) == 0 &&
           memcmp(a->active, b->active, (size_t)a->R) == 0 && memcmp(a->blob, b->blob, a->blob_len) == 0 &&
           a->relative == b->relative && !a->log_weights == !b->log_weights &&
           (!a->log_weights || memcmp(a->log_weights, b->log_weights, sizeof(double) * (size_t)a->R * a->n) == 0);
}

/* Where the round trip writes: a directory of its own, removed at exit. */
static char dir[] = "/tmp/ogem-fuzz-ckpt-XXXXXX", copy[64];

static void remove_copy(void)
{
    unlink(copy);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!copy[0]) {
        if (!mkdtemp(dir)) abort();
        snprintf(copy, sizeof copy, "%s/ck", dir);
        atexit(remove_copy);
    }
    const char *path = fuzz_input_file(data, size);
    ogem_checkpoint ck;
    char msg[512] = "";
    ogem_status st = ogem_checkpoint_read(path, &ck, msg, sizeof msg);
    if (st != OGEM_OK) {
        FUZZ_CHECK(ck.means == NULL && ck.active == NULL && ck.log_weights == NULL && ck.blob == NULL);
        FUZZ_CHECK(strstr(msg, path) != NULL);
        return 0;
    }
    FUZZ_CHECK(ck.R > 0 && ck.n > 0 && ck.d > 0 && ck.step >= 0);
    FUZZ_CHECK(ogem_checkpoint_write(copy, &ck, msg, sizeof msg) == OGEM_OK);
    ogem_checkpoint back;
    FUZZ_CHECK(ogem_checkpoint_read(copy, &back, msg, sizeof msg) == OGEM_OK);
    FUZZ_CHECK(same(&ck, &back));
    ogem_checkpoint_free(&back);
    ogem_checkpoint_free(&ck);
    return 0;
}
