/* test_paper.c - `ogem paper --quick` end to end: every file, the sublinear
 * rates of (a) and (b), the positive escape exponent of (c), that bad flags
 * write nothing, and its --help. */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <math.h>
#include "cli_test_util.h"

static int have_matplotlib(void)
{
    return system("python3 -c 'import matplotlib' >/dev/null 2>&1") == 0;
}

Test(paper, quick_reproduction, .timeout = 240)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "paper");
    const char *args[] = {"paper", "--quick", "--quiet", "--out", out, NULL};
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_expect_not_null(strstr(r.out, "escape growth"), "summary missing: %s", r.out);

    const char *headers[][2] = {
        {"convergence.csv", "panel,series,n,d,weights,step,loss_q1,loss_median,loss_q3,dist_q1,dist_median,dist_q3"},
        {"escape_radius.csv", "d,radius,radius2,inits,escaped,censored_fraction,q1,median,q3"},
        {"escape_radius_inits.csv", "d,radius,init,escape_step,censored"},
        {"escape_dim.csv", "dim,radius,radius2,inits,escaped,censored_fraction,q1,median,q3"},
        {"escape_dim_inits.csv", "dim,radius,init,escape_step,censored"},
    };
    for (size_t j = 0; j < sizeof headers / sizeof headers[0]; j++) {
        char *p = tu_path(out, headers[j][0]);
        tu_expect_header(p, headers[j][1]);
        cr_expect_gt(tu_file_lines(p), 2, "%s has no rows", headers[j][0]);
        free(p);
    }
    char *rep = tu_path(out, "report.md");
    char *text = tu_slurp(rep, NULL);
    cr_assert_not_null(text);
    cr_expect_not_null(strstr(text, "slope of L"));
    cr_expect_not_null(strstr(text, "growth exponent"));
    free(text);
    free(rep);

    char *sp = tu_path(out, "summary.json");
    ogem_json *root = tu_load_json(sp);
    const ogem_json *conv = ogem_json_get(root, "convergence");
    cr_assert_not_null(conv);
    cr_assert_eq(conv->count, 6);
    for (long j = 0; j < conv->count; j++) {
        const ogem_json *s = ogem_json_at(conv, j);
        const ogem_json *lf = ogem_json_get(ogem_json_get(s, "loss_loglog"), "slope");
        const ogem_json *df = ogem_json_get(ogem_json_get(s, "dist_loglog"), "slope");
        cr_assert(lf && lf->type == OGEM_JSON_NUMBER && df && df->type == OGEM_JSON_NUMBER);
        cr_expect(lf->number > -3.0 && lf->number < -1.0, "series %ld: loss slope %g not in (-3, -1)", j, lf->number);
        cr_expect(df->number < 0.0, "series %ld: distance slope %g not negative", j, df->number);
        /* panel (a) in d = 2 (the k = 2 exact rule for n = 5, 10), with its own init counts */
        const ogem_json *pa = ogem_json_get(s, "panel"), *dd = ogem_json_get(s, "d"), *ri = ogem_json_get(s, "inits");
        cr_assert(pa && pa->type == OGEM_JSON_STRING && dd && ri);
        if (strcmp(pa->text, "a") == 0) {
            cr_expect_eq((int)dd->number, 2, "series %ld of panel a in d = %g", j, dd->number);
            cr_expect(ri->number >= 1 && ri->number <= 32, "series %ld: %g inits", j, ri->number);
        }
    }
    const ogem_json *esc = ogem_json_get(root, "escape");
    const ogem_json *er = ogem_json_get(ogem_json_get(esc, "radius"), "slope");
    const ogem_json *ed = ogem_json_get(ogem_json_get(esc, "dim"), "slope");
    cr_assert(er && er->type == OGEM_JSON_NUMBER && ed && ed->type == OGEM_JSON_NUMBER);
    cr_expect(er->number > 0.0, "escape exponent vs radius^2 %g", er->number);
    cr_expect(ed->number > 0.0, "escape exponent vs d %g", ed->number);
    ogem_json_free(root);
    free(sp);

    const char *figs[] = {"fig_convergence.png", "fig_weights.png", "fig_escape.png"};
    for (int j = 0; j < 3; j++) {
        char *p = tu_path(out, figs[j]);
        if (have_matplotlib()) cr_expect(tu_exists(p), "%s missing although matplotlib is installed", figs[j]);
        else cr_expect_not_null(strstr(r.err, "no figures"), "missing figures are not explained: %s", r.err);
        free(p);
    }
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

Test(paper, bad_flags_write_nothing)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "paper");
    const char *a1[] = {"paper", "--scale", "0", "--out", out, NULL};
    tu_expect_bad_input(tmp, out, a1, "--scale");
    const char *a2[] = {"paper", "--device", "tpu", "--out", out, NULL};
    tu_expect_bad_input(tmp, out, a2, "--device");
    const char *a3[] = {"paper", "--plotter", "/nonexistent/plot.py", "--out", out, NULL};
    tu_expect_bad_input(tmp, out, a3, "--plotter");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* --help names the command once ("usage: ogem paper", not "usage: usage:")
 * and lists every flag. */
Test(paper, help_usage_line)
{
    char *tmp = tu_tmpdir();
    const char *args[] = {"paper", "--help", NULL};
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_expect(strncmp(r.out, "usage: ogem paper [FLAGS]\n", 26) == 0, "first line: %.40s", r.out);
    cr_expect_null(strstr(r.out, "usage: usage:"), "%s", r.out);
    const char *flags[] = {"--out", "--quick", "--scale", "--device", "--threads", "--seed", "--no-plots", "--plotter",
                           "--quiet"};
    for (size_t j = 0; j < sizeof flags / sizeof flags[0]; j++)
        cr_expect_not_null(strstr(r.out, flags[j]), "paper --help lacks %s", flags[j]);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(tmp);
}
