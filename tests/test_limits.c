/* test_limits.c - sizes that do not fit: checked arithmetic (math/checked.h),
 * the memory budget ogem_solver_create holds requests to, and the messages
 * that name the setting at fault ("samples: ...", "inits: ..."). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include "ogem/ogem.h"
#include "math/checked.h"
#include "ogem/ogem.h"

Test(checked, products_and_sums)
{
    size_t r = 7;
    cr_expect(ogem_mul_ok(1u << 20, 1u << 20, &r));
    cr_expect_eq(r, (size_t)1 << 40);
    r = 7;
    cr_expect_not(ogem_mul_ok((size_t)1 << 62, 4, &r), "2^64 does not fit");
    cr_expect_eq(r, 7, "the result is untouched on overflow");
    cr_expect_not(ogem_mul_ok((size_t)1 << 62, 2, &r), "2^63 is past PTRDIFF_MAX");
    cr_expect(ogem_mul_ok(0, SIZE_MAX, &r));
    cr_expect_eq(r, 0);
    cr_expect_not(ogem_add_ok(OGEM_SIZE_MAX, 1, &r));
    cr_expect(ogem_add_ok(OGEM_SIZE_MAX - 1, 1, &r));
    /* 2^60 samples x 2 dims x 8 bytes wraps to 0 in plain size_t arithmetic. */
    cr_expect_eq(ogem_size_mul3(sizeof(double), (size_t)1 << 60, 2), OGEM_SIZE_MAX);
    cr_expect_eq(ogem_size_add(ogem_size_mul(OGEM_SIZE_MAX, 3), 5), OGEM_SIZE_MAX, "saturation sticks");
    cr_expect_eq(ogem_count(-1), OGEM_SIZE_MAX, "a negative count is never a small size");
    cr_expect_eq(ogem_long_mul(LONG_MAX / 2, 3), LONG_MAX);
    cr_expect_eq(ogem_long_mul(1000, 1000), 1000000);
}

Test(budget, byte_counts_read_well)
{
    char b[32];
    ogem_format_bytes(512, b, sizeof b);
    cr_expect_str_eq(b, "512 B");
    ogem_format_bytes((size_t)23 << 30, b, sizeof b);
    cr_expect_str_eq(b, "23 GiB");
    ogem_format_bytes((size_t)7 << 19, b, sizeof b);
    cr_expect_str_eq(b, "3.5 MiB");
    ogem_format_bytes((size_t)1 << 61, b, sizeof b);
    cr_expect_str_eq(b, "2 EiB");
    ogem_format_bytes(OGEM_SIZE_MAX, b, sizeof b);
    cr_expect_str_eq(b, "over 8 EiB");
    cr_expect_gt(ogem_host_memory_bytes(), (size_t)1 << 20, "this machine has some memory");
}

static ogem_settings settings(ogem_estimator e, long N)
{
    static const double w[2] = {0.5, 0.5};
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = 2; s.components = 2; s.weights = w; s.inits = 2;
    s.estimator = e; s.samples = N; s.device = OGEM_DEVICE_CPU; s.threads = 1;
    return s;
}

/* Refused before anything is allocated or drawn: OGEM_ERR_INVALID, no
 * handle, and a message led by the ogem_settings field at fault. */
static void expect_refused(const ogem_settings *s, const char *prefix, const char *needle)
{
    ogem_solver *sv = (ogem_solver *)1;
    char msg[512] = "";
    ogem_status st = ogem_solver_create(&sv, s, msg, sizeof msg);
    cr_expect_eq(st, OGEM_ERR_INVALID, "status %d: %s", st, msg);
    cr_expect_null(sv);
    cr_expect_eq(strncmp(msg, prefix, strlen(prefix)), 0, "message '%s' does not start with '%s'", msg, prefix);
    cr_expect_not_null(strstr(msg, needle), "message '%s' lacks '%s'", msg, needle);
    cr_expect_not_null(strstr(msg, "of memory"), "message '%s' names the memory", msg);
}

/* The three sizes of the review: each wrapped to a tiny buffer and crashed. */
Test(limits, sample_counts_past_the_address_space)
{
    ogem_settings f = settings(OGEM_EST_FIXED, 1152921504606846976L);
    expect_refused(&f, "samples: 1152921504606846976 samples of dimension 2 need ", "over 8 EiB");
    ogem_settings q = settings(OGEM_EST_QMC, 1152921504606846976L);
    expect_refused(&q, "samples: ", "over 8 EiB");
    ogem_settings m = settings(OGEM_EST_MC, 2305843009213693952L);
    expect_refused(&m, "samples: ", "over 8 EiB");
}

/* Sizes that do not overflow but exceed any machine: 2^40 samples. */
Test(limits, sample_counts_past_the_memory)
{
    ogem_settings m = settings(OGEM_EST_MC, 1L << 40);
    expect_refused(&m, "samples: 1099511627776 samples of dimension 2 need ", "TiB");
}

/* R x n x d past size_t: the batch arrays are refused and blamed on inits
 * (mu* NULL and dim huge: nothing of size d is read before the check). */
Test(limits, batch_past_the_address_space)
{
    ogem_settings s = settings(OGEM_EST_EXACT, 0);
    s.inits = 2147483647;
    s.dim = 2147483647;
    expect_refused(&s, "inits: 2147483647 initializations of 2 components in dimension 2147483647 need ", "EiB");
}

/* A request that fits is untouched by the budget. */
Test(limits, ordinary_requests_pass)
{
    ogem_settings s = settings(OGEM_EST_MC, 1L << 16);
    ogem_solver *sv = NULL;
    char msg[256] = "";
    cr_assert_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    ogem_solver_destroy(sv);
}
