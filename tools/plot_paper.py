#!/usr/bin/env python3
"""Figures for `ogem paper`: reads the CSVs it wrote in DIR and writes
fig_convergence.png, fig_weights.png and fig_escape.png beside them.

Usage: plot_paper.py DIR
Exit status 0 with the figures written; 3 when matplotlib is missing (the
caller then says why there are no figures); 2 on unreadable input."""
import csv
import math
import os
import sys


def save(fig, path):
    """Writes the figure under a temporary name, then renames it into place,
    so a figure is either the old one, the new one, or absent: never torn."""
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp.png")
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, path)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(text):
    return float(text) if text not in ("", None) else math.nan


def series_of(rows, panel):
    out = {}
    for r in rows:
        if r["panel"] != panel:
            continue
        out.setdefault(r["series"], []).append(r)
    return out


def plot_convergence(plt, rows, panel, title, path, subtitle):
    groups = series_of(rows, panel)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for idx, (name, rs) in enumerate(groups.items()):
        rs = [r for r in rs if int(r["step"]) > 0]
        t = [int(r["step"]) for r in rs]
        c = colors[idx % len(colors)]
        for ax, key in ((axes[0], "loss"), (axes[1], "dist")):
            q1 = [num(r[key + "_q1"]) for r in rs]
            med = [num(r[key + "_median"]) for r in rs]
            q3 = [num(r[key + "_q3"]) for r in rs]
            ax.plot(t, med, color=c, lw=1.8, label=name + " (median)")
            ax.fill_between(t, q1, q3, color=c, alpha=0.2, lw=0)
    # reference slopes anchored at the last point of the first series
    first = next(iter(groups.values()))
    last = [r for r in first if int(r["step"]) > 0]
    t_end = int(last[-1]["step"])
    t_ref = [t_end / 100.0, float(t_end)]
    for ax, key, p, lab in ((axes[0], "loss", -2.0, r"$\propto t^{-2}$"),
                            (axes[1], "dist", -0.5, r"$\propto t^{-1/2}$")):
        y_end = num(last[-1][key + "_median"])
        if y_end > 0:
            ax.plot(t_ref, [y_end * 2.0 * (tt / t_end) ** p for tt in t_ref], "k--", lw=1.2, label=lab)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("gradient EM step t (iterations)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel(r"loss $L = \mathrm{KL}(p^* \| p_\mu)$ (nats)")
    axes[1].set_ylabel(r"distance $\max_i |\mu_i - \mu^*|$ (units of $\sigma$)")
    fig.suptitle(title + "\n" + subtitle, fontsize=10)
    fig.tight_layout()
    save(fig, path)
    plt.close(fig)


def plot_escape(plt, radius_rows, dim_rows, summary, path, subtitle):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, rows, xkey, xlab, fit in (
            (axes[0], radius_rows, "radius2", r"squared radius $a^2$ of the far component", summary.get("radius")),
            (axes[1], dim_rows, "dim", r"dimension $d$ (radius $c\sqrt{d}$)", summary.get("dim"))):
        x_ok, y_ok, e_lo, e_hi, x_cen = [], [], [], [], []
        for r in rows:
            x = num(r[xkey])
            med = num(r["median"])
            if math.isnan(med):
                x_cen.append(x)
                continue
            x_ok.append(x)
            y_ok.append(med)
            e_lo.append(med - num(r["q1"]) if r["q1"] else 0.0)
            e_hi.append(num(r["q3"]) - med if r["q3"] else 0.0)
        ax.errorbar(x_ok, y_ok, yerr=[e_lo, e_hi], fmt="o", capsize=3, label="median escape step (quartile bars)")
        cen_frac = [num(r["censored_fraction"]) for r in rows]
        partly = [(num(r[xkey]), num(r["median"])) for r, f in zip(rows, cen_frac) if f > 0 and not math.isnan(num(r["median"]))]
        if partly:
            ax.plot([p[0] for p in partly], [p[1] for p in partly], "rx", ms=10, label="some runs censored")
        if x_cen:
            top = max(y_ok) * 3 if y_ok else 1.0
            ax.plot(x_cen, [top] * len(x_cen), "r^", label="median censored (> max steps)")
        if fit and fit.get("slope") is not None and x_ok:
            xs = [min(x_ok), max(x_ok)]
            ax.plot(xs, [math.exp(fit["intercept"] + fit["slope"] * x) for x in xs], "k--",
                    label="fit: log steps = %.3g + %.3g x  (R$^2$=%.3f)" % (fit["intercept"], fit["slope"], fit["r2"]))
        ax.set_yscale("log")
        ax.set_xlabel(xlab)
        ax.set_ylabel("escape steps (iterations until max dist <= 1)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("(c) bad regions: a component placed far from the data is trapped\n" + subtitle, fontsize=10)
    fig.tight_layout()
    save(fig, path)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        print("usage: plot_paper.py DIR", file=sys.stderr)
        return 2
    d = sys.argv[1]
    try:
        import json
        conv = read_csv(os.path.join(d, "convergence.csv"))
        rad = read_csv(os.path.join(d, "escape_radius.csv"))
        dim = read_csv(os.path.join(d, "escape_dim.csv"))
        with open(os.path.join(d, "summary.json")) as f:
            summary = json.load(f)
    except (OSError, KeyError, ValueError) as e:
        print("plot_paper.py: cannot read the paper outputs in %s: %s" % (d, e), file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 3   # the caller (ogem paper) explains the missing figures
    notes = summary.get("notes", {})
    plot_convergence(plt, conv, "a", "(a) over-parameterized gradient EM converges sublinearly (equal weights, d = 2)",
                     os.path.join(d, "fig_convergence.png"), notes.get("a", ""))
    plot_convergence(plt, conv, "b", "(b) uneven mixing weights slow convergence (n = 5)",
                     os.path.join(d, "fig_weights.png"), notes.get("b", ""))
    plot_escape(plt, rad, dim, summary.get("escape", {}), os.path.join(d, "fig_escape.png"), notes.get("c", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
