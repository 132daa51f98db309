/*
 * cli_truth.h - `--truth SPEC` (cli_truth.c): the truth as a mixture
 * sum_j w_j N(mu*_j, I_d) of m identity-covariance Gaussians, given as
 *
 *   file:PATH           a CSV, one row per component: weight,x_1,...,x_d
 *                       ('#' lines and blank lines ignored)
 *   W:X1,...,XD;W:...   inline, components separated by ';'
 *
 * The weights must be positive and sum to 1 within 1e-9; they are never
 * normalized (a silently changed truth would be another experiment). Each
 * problem is one line naming the flag, and for a file the file and line.
 */
#ifndef OGEM_CLI_TRUTH_H
#define OGEM_CLI_TRUTH_H

typedef struct cli_truth {
    int m;            /* components; 0: no --truth                          */
    double *weights;  /* m                                                   */
    double *means;    /* m x d, row-major                                    */
    char *text;       /* canonical: "file:ABSOLUTE-PATH", or the inline list  */
                      /* with every number printed with %.17g                 */
    int from_file;    /* the values come from a file (fingerprinted: the     */
                      /* text alone does not determine them)                 */
} cli_truth;

/* The PATH of a file:PATH spec, or NULL for an inline spec. */
const char *cli_truth_file(const char *spec);

/* Parses spec for dimension d into t (zeroed first; an inline spec now, a
 * file spec by reading the file). 0, or -1 after printing the one line
 * "ogem CMD: LABEL: ..." with t left empty. */
int cli_truth_parse(const char *cmd, const char *label, const char *spec, int d, cli_truth *t);
void cli_truth_free(cli_truth *t);

#endif /* OGEM_CLI_TRUTH_H */
