/*
 * cli_paper_report.c - the contents of `ogem paper`'s outputs: the
 * convergence quantiles, the escape steps and their summaries, summary.json,
 * report.md and the summary on stdout; see cli_paper_report.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_escape_report.h"
#include "cli/cli_paper_report.h"
#include "cli/cli_runjson.h"
#include "util/json.h"
#include "ogem/ogem.h"

/* ---- statistics ------------------------------------------------------------------ */

int cli_paper_sweep_summarize(cli_paper_sweep *s)
{
    s->stats = calloc((size_t)(s->e.G > 0 ? s->e.G : 1), sizeof *s->stats);
    if (!s->stats) return -1;
    for (long g = 0; g < s->res.done; g++)
        if (cli_km_summary_of(s->res.steps + (size_t)g * (size_t)s->e.R, s->e.R, &s->stats[g]) != 0) return -1;
    return cli_escape_fit_of(&s->e, &s->res, &s->fit);
}

void cli_paper_sweep_free(cli_paper_sweep *s)
{
    for (long g = 0; s->stats && g < s->e.G; g++) cli_km_summary_free(&s->stats[g]);
    free(s->stats);
    cli_escape_results_free(&s->res);
    cli_escape_opts_free(&s->e);
    memset(s, 0, sizeof *s);
}

int cli_paper_loglog_fit(const long *t, const double *y, long m, cli_fit *fit)
{
    double *lx = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1)), *ly = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1));
    int rc = lx && ly ? 0 : -1;
    if (rc == 0) {
        long t_end = m > 0 ? t[m - 1] : 0, k = 0;
        for (long j = 0; j < m; j++)
            if (t[j] >= t_end / 100 && t[j] > 0 && y[j] > 0) {
                lx[k] = log((double)t[j]);
                ly[k] = log(y[j]);
                k++;
            }
        *fit = cli_linear_fit(lx, ly, k);
    }
    free(lx);
    free(ly);
    return rc;
}

int cli_paper_series_inits(const cli_paper_plan *plan, const cli_paper_series *s)
{
    int r = plan->conv_inits / (s->inits_div > 1 ? s->inits_div : 1);
    return r > 0 ? r : 1;
}

/* ---- CSVs ------------------------------------------------------------------------ */

void cli_paper_convergence_csv(FILE *f, const cli_paper_report *p)
{
    fprintf(f, "panel,series,n,d,weights,step,loss_q1,loss_median,loss_q3,dist_q1,dist_median,dist_q3\n");
    for (int j = 0; j < p->n_series; j++) {
        const cli_paper_series *s = &p->series[j];
        const cli_paper_conv *c = p->conv[j];
        for (long q = 0; q < c->m; q++) {
            const double *v = c->q + 6 * q;
            fprintf(f, "%c,%s,%d,%d,%s,%ld,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", s->panel, s->name, s->n, s->d,
                    s->weights_text, c->steps[q], v[0], v[1], v[2], v[3], v[4], v[5]);
        }
    }
}

static void put_q(FILE *f, long v)
{
    if (v >= 0) fprintf(f, "%ld", v);
}

void cli_paper_escape_csv(FILE *f, FILE *inits, const cli_paper_sweep *s, int by_dim)
{
    const cli_escape_opts *e = &s->e;
    fprintf(f, "%s,radius,radius2,inits,escaped,censored_fraction,q1,median,q3\n", by_dim ? "dim" : "d");
    fprintf(inits, "%s,radius,init,escape_step,censored\n", by_dim ? "dim" : "d");
    for (long g = 0; g < s->res.done; g++) {
        const cli_escape_point *pt = &e->points[g];
        const cli_km_summary *st = &s->stats[g];
        fprintf(f, "%d,%.17g,%.17g,%ld,%ld,%.17g,", pt->dim, pt->radius, pt->radius * pt->radius, e->R, st->escaped,
                st->censored_fraction);
        put_q(f, st->q[0]);
        fputc(',', f);
        put_q(f, st->q[1]);
        fputc(',', f);
        put_q(f, st->q[2]);
        fputc('\n', f);
        const long *steps = s->res.steps + (size_t)g * (size_t)e->R;
        for (long r = 0; r < e->R; r++) {
            fprintf(inits, "%d,%.17g,%ld,", pt->dim, pt->radius, r);
            put_q(inits, steps[r]);
            fprintf(inits, ",%d\n", steps[r] < 0);
        }
    }
}

/* ---- summary.json ------------------------------------------------------------------ */

void cli_paper_jw_fit(ogem_json_writer *w, const char *key, cli_fit f)
{
    ogem_jw_begin_object(w, key);
    if (isfinite(f.slope)) {
        ogem_jw_double(w, "slope", f.slope);
        ogem_jw_double(w, "intercept", f.intercept);
        ogem_jw_double(w, "r2", f.r2);
    } else {
        ogem_jw_null(w, "slope");
        ogem_jw_null(w, "intercept");
        ogem_jw_null(w, "r2");
    }
    ogem_jw_int(w, "points", f.points);
    ogem_jw_end_object(w);
}

/* The notes of panels (a)/(b) and (c). */
static void notes(const cli_paper_report *p, char *a, size_t alen, char *c, size_t clen)
{
    snprintf(a, alen, "exact estimator (quadrature, no sampling); up to %d random inits mu_i ~ N(0, I); eta = 1; %s, %s",
             p->plan.conv_inits, p->backend, p->precision);
    snprintf(c, clen, "exact estimator; n = 2, equal weights, one component at mu*, one at the radius; "
             "%d inits per point; censored at %ld steps", p->plan.esc_inits, p->plan.esc_max_steps);
}

char *cli_paper_summary_json(const cli_paper_report *p)
{
    char notes_a[256], notes_c[256];
    notes(p, notes_a, sizeof notes_a, notes_c, sizeof notes_c);
    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "ogem_version", OGEM_VERSION);
    ogem_jw_string(&w, "backend", p->backend);
    ogem_jw_string(&w, "precision", p->precision);
    ogem_jw_string(&w, "estimator", "exact");
    ogem_jw_bool(&w, "quick", p->quick);
    ogem_jw_double(&w, "scale", p->scale);
    ogem_jw_uint(&w, "seed", p->seed);
    ogem_jw_double(&w, "wall_seconds", p->wall_seconds);
    ogem_jw_begin_object(&w, "notes");
    ogem_jw_string(&w, "a", notes_a);
    ogem_jw_string(&w, "b", notes_a);
    ogem_jw_string(&w, "c", notes_c);
    ogem_jw_end_object(&w);
    ogem_jw_begin_array(&w, "convergence", 0);
    for (int j = 0; j < p->n_series; j++) {
        const cli_paper_series *s = &p->series[j];
        ogem_jw_begin_object(&w, NULL);
        ogem_jw_string(&w, "panel", s->panel == 'a' ? "a" : "b");
        ogem_jw_string(&w, "series", s->name);
        ogem_jw_int(&w, "n", s->n);
        ogem_jw_int(&w, "d", s->d);
        ogem_jw_string(&w, "weights", s->weights_text);
        ogem_jw_int(&w, "inits", cli_paper_series_inits(&p->plan, s));
        ogem_jw_int(&w, "steps", p->plan.conv_steps);
        ogem_jw_int(&w, "fit_from_step", p->plan.conv_steps / 100);
        cli_paper_jw_fit(&w, "loss_loglog", p->conv[j]->loss_fit);
        cli_paper_jw_fit(&w, "dist_loglog", p->conv[j]->dist_fit);
        ogem_jw_double(&w, "seconds", p->conv[j]->seconds);
        ogem_jw_end_object(&w);
    }
    ogem_jw_end_array(&w);
    ogem_jw_begin_object(&w, "escape");
    cli_paper_jw_fit(&w, "radius", p->radius->fit);
    cli_paper_jw_fit(&w, "dim", p->dim->fit);
    ogem_jw_double(&w, "radius_per_sqrt_dim", p->plan.c_sqrt_d);
    ogem_jw_int(&w, "inits", p->plan.esc_inits);
    ogem_jw_int(&w, "max_steps", p->plan.esc_max_steps);
    ogem_jw_end_object(&w);
    ogem_jw_end_object(&w);
    char *text = cli_json_take(&w);
    char *line = text ? cli_dup_printf("%s\n", text) : NULL;
    free(text);
    return line;
}

/* ---- report.md --------------------------------------------------------------------- */

static void fmt_fit(char *buf, size_t len, cli_fit f)
{
    if (isfinite(f.slope)) snprintf(buf, len, "%.3f", f.slope);
    else snprintf(buf, len, "n/a");
}

void cli_paper_report_md(FILE *fm, const cli_paper_report *p)
{
    const cli_paper_plan *plan = &p->plan;
    fprintf(fm, "# ogem paper: gradient EM on over-parameterized Gaussian mixtures\n\n");
    fprintf(fm, "Backend **%s**, precision **%s**, estimator **exact** (deterministic quadrature in the span of the "
            "mean differences; absolute error <= 1e-12 per expectation), %s sizes (scale %g), seed %llu, "
            "wall time %.1f s, ogem %s.\n\n", p->backend, p->precision, p->quick ? "quick" : "default", p->scale,
            (unsigned long long)p->seed, p->wall_seconds, OGEM_VERSION);
    fprintf(fm, "## (a), (b) Convergence rates\n\n");
    fprintf(fm, "Truth N(0, I_d); gradient EM with eta = 1 from %d random initializations mu_i ~ N(0, I) per series "
            "(fewer where the column inits says so: the d = 2 series with n > 2 cost more per step), "
            "%ld steps. Slopes are least-squares fits of log(median over inits) against log t over the last two "
            "decades, t in [%ld, %ld]. The theory predicts -2 for the loss and -1/2 for the distance.\n\n",
            plan->conv_inits, plan->conv_steps, plan->conv_steps / 100, plan->conv_steps);
    fprintf(fm, "| panel | series | n | d | weights | inits | slope of L | slope of max_i dist | R^2 (L) | time (s) |\n");
    fprintf(fm, "|---|---|---|---|---|---|---|---|---|---|\n");
    for (int j = 0; j < p->n_series; j++) {
        const cli_paper_series *s = &p->series[j];
        const cli_paper_conv *c = p->conv[j];
        char a[32], b[32];
        fmt_fit(a, sizeof a, c->loss_fit);
        fmt_fit(b, sizeof b, c->dist_fit);
        fprintf(fm, "| %c | %s | %d | %d | %s | %d | %s | %s | %.4f | %.1f |\n", s->panel, s->name, s->n, s->d,
                s->weights_text, cli_paper_series_inits(plan, s), a, b, c->loss_fit.r2, c->seconds);
    }
    fprintf(fm, "\nFinal median loss per series: ");
    for (int j = 0; j < p->n_series; j++)
        if (p->conv[j]->m)
            fprintf(fm, "%s%s = %.3g", j ? ", " : "", p->series[j].name, p->conv[j]->q[6 * (p->conv[j]->m - 1) + 1]);
    fprintf(fm, ".\n\n## (c) Escape from bad regions\n\n");
    fprintf(fm, "n = 2, equal weights, gradient EM with eta = 1; one component at mu*, the other at the given radius "
            "in a random direction; escape = first step with max_i |mu_i - mu*| <= 1; censored at %ld steps; %d "
            "initializations per point. In exact mode the initializations of one preset are rotations of each "
            "other, so their escape steps coincide (a check of rotation invariance); the quartiles show it.\n\n",
            plan->esc_max_steps, plan->esc_inits);
    const cli_fit *fr = &p->radius->fit, *fd = &p->dim->fit;
    fprintf(fm, "| fit | growth exponent | intercept | R^2 | points |\n|---|---|---|---|---|\n");
    fprintf(fm, "| log(median steps) vs radius^2 | %.4f | %.3f | %.5f | %d |\n", fr->slope, fr->intercept, fr->r2,
            fr->points);
    fprintf(fm, "| log(median steps) vs d (radius %.2f sqrt(d)) | %.4f | %.3f | %.5f | %d |\n\n", plan->c_sqrt_d,
            fd->slope, fd->intercept, fd->r2, fd->points);
    fprintf(fm, "For orientation, steps growing like exp(a^2/8) would give an exponent of 0.125 against a^2 and "
            "%.3f against d.\n\n", plan->c_sqrt_d * plan->c_sqrt_d / 8);
    fprintf(fm, "| radius | median escape step | censored fraction | time (s) |\n|---|---|---|---|\n");
    for (long g = 0; g < p->radius->res.done; g++)
        fprintf(fm, "| %.2f | %ld | %.2f | %.2f |\n", p->radius->e.points[g].radius, p->radius->stats[g].q[1],
                p->radius->stats[g].censored_fraction, p->radius->res.seconds[g]);
    fprintf(fm, "\n| d | radius | median escape step | censored fraction | time (s) |\n|---|---|---|---|---|\n");
    for (long g = 0; g < p->dim->res.done; g++)
        fprintf(fm, "| %d | %.3f | %ld | %.2f | %.2f |\n", p->dim->e.points[g].dim, p->dim->e.points[g].radius,
                p->dim->stats[g].q[1], p->dim->stats[g].censored_fraction, p->dim->res.seconds[g]);
    fprintf(fm, "\n## Figures\n\n(Made by tools/plot_paper.py when matplotlib is installed.)\n\n"
            "![convergence](fig_convergence.png)\n\n![weights](fig_weights.png)\n\n"
            "![escape](fig_escape.png)\n\nData behind every panel: convergence.csv, escape_radius.csv, "
            "escape_radius_inits.csv, escape_dim.csv, escape_dim_inits.csv, summary.json.\n");
}

void cli_paper_print_summary(const cli_paper_report *p, const char *out_dir, double seconds)
{
    printf("ogem paper: %s in %.1f s (%s, %s)\n", out_dir, seconds, p->backend, p->precision);
    for (int j = 0; j < p->n_series; j++)
        printf("  (%c) %-16s slope of L %7.3f, of distance %7.3f\n", p->series[j].panel, p->series[j].name,
               p->conv[j]->loss_fit.slope, p->conv[j]->dist_fit.slope);
    printf("  (c) escape growth: %.4f per unit radius^2 (R^2 %.4f), %.4f per dimension (R^2 %.4f)\n",
           p->radius->fit.slope, p->radius->fit.r2, p->dim->fit.slope, p->dim->fit.r2);
}
