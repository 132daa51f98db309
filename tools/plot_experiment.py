#!/usr/bin/env python3
"""Figures for `ogem experiment`: reads the CSVs and summary.json it wrote in
DIR and writes, for the experiments that were run, fig_floor.png,
fig_separation.png and fig_recovery.png beside them.

Usage: plot_experiment.py DIR
Exit status 0 with the figures written; 3 when matplotlib is missing (the
caller then says why there are no figures); 2 on unreadable input."""
import csv
import json
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


def groups(rows, key):
    out = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


def plot_floor(plt, rows, summary, path):
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    fits = {s["weights"]: s for s in summary.get("series", [])}
    for weights, rs in groups(rows, "weights").items():
        n = [float(r["N"]) for r in rs]
        med = [float(r["dist_median"]) for r in rs]
        lo = [m - float(r["dist_q1"]) for m, r in zip(med, rs)]
        hi = [float(r["dist_q3"]) - m for m, r in zip(med, rs)]
        fit = fits.get(weights, {}).get("dist_loglog", {})
        label = "weights %s" % weights
        if fit.get("slope") is not None:
            label += ": slope %.3f (published %.2f)" % (fit["slope"], fits[weights]["published_slope"])
        line = ax.errorbar(n, med, yerr=[lo, hi], fmt="o", capsize=3, label=label)
        if fit.get("slope") is not None:
            ax.plot([n[0], n[-1]], [math.exp(fit["intercept"] + fit["slope"] * math.log(x)) for x in (n[0], n[-1])],
                    "--", color=line[0].get_color(), lw=1.2)
    # published rates, anchored at the first point
    if rows:
        n0, y0 = float(rows[0]["N"]), float(rows[0]["dist_median"])
        n_end = max(float(r["N"]) for r in rows)
        for p, lab in ((-0.25, r"$\propto N^{-1/4}$"), (-0.5, r"$\propto N^{-1/2}$")):
            ax.plot([n0, n_end], [y0 * 1.6, y0 * 1.6 * (n_end / n0) ** p], ":", color="gray", lw=1)
            ax.annotate(lab, (n_end, y0 * 1.6 * (n_end / n0) ** p), fontsize=8, color="gray")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sample size N (points of fixed:N)")
    ax.set_ylabel(r"final distance $\max_i |\mu_i - \mu^*|$ (median over samples)")
    ax.set_title("finite-sample floor: n = 2 EM fitted to N(0, I_%d)" % summary.get("d", 2), fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)
    plt.close(fig)


def plot_separation(plt, runs, traj, path):
    """One panel per run label: every component's path in the projection
    x = mu_i1, y = |mu_i,2..d| (seeds overlaid), its end marked with a size
    proportional to its weight; the truth means at (+-s/2, 0)."""
    labels = list(groups(runs, "label").keys())
    by_label = groups(traj, "label")
    fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 4.2), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, label in zip(axes[0], labels):
        rs = [r for r in runs if r["label"] == label]
        for si, (seed, pts) in enumerate(groups(by_label.get(label, []), "seed").items()):
            for comp, cp in groups(pts, "component").items():
                xs = [float(p["x"]) for p in cp]
                ys = [float(p["y"]) for p in cp]
                c = colors[si % len(colors)]
                ax.plot(xs, ys, "-", color=c, lw=0.8, alpha=0.7)
                ax.scatter([xs[-1]], [ys[-1]], s=10 + 200 * float(cp[-1]["weight"]), color=c, alpha=0.8)
        s = float(rs[0]["separation"])
        ax.scatter([s / 2, -s / 2], [0, 0], marker="*", s=160, color="k", zorder=5, label="truth means (0.3, 0.7)")
        verdict = ", ".join("seed %s: %s" % (r["seed"], "fits" if r["fits"] == "1" else
                                            ("underfits" if r["underfits"] == "1" else "neither")) for r in rs)
        ax.set_title("%s\n%s" % (label, verdict), fontsize=8)
        ax.set_xlabel(r"$x = \mu_{i,1}$")
        ax.set_ylabel(r"$y = |\mu_{i,2..d}|$")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle("separation: n = 10, learned weights (dot size: final weight), colours: seeds", fontsize=10)
    fig.tight_layout()
    save(fig, path)
    plt.close(fig)


def plot_recovery(plt, rows, path):
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for m, rs in groups(rows, "m").items():
        c = [float(r["c"]) for r in rs]
        line = ax.plot(c, [float(r["recovered"]) for r in rs], "o-", label="m = %s: recovered" % m)
        ax.plot(c, [float(r["coupon"]) for r in rs], ":", color=line[0].get_color(), label="m = %s: coupon P" % m)
    ax.set_xlabel(r"c  (n = ceil(c m ln m) model components)")
    ax.set_ylabel("fraction of inits recovering every truth component")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("random-init recovery (inits at truth draws, EM, learned weights)", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        print("usage: plot_experiment.py DIR", file=sys.stderr)
        return 2
    d = sys.argv[1]
    try:
        with open(os.path.join(d, "summary.json")) as f:
            summary = json.load(f)
        data = {}
        if "floor" in summary:
            data["floor"] = read_csv(os.path.join(d, "floor.csv"))
        if "separation" in summary:
            data["separation"] = (read_csv(os.path.join(d, "separation.csv")),
                                  read_csv(os.path.join(d, "separation_traj.csv")))
        if "recovery" in summary:
            data["recovery"] = read_csv(os.path.join(d, "recovery.csv"))
    except (OSError, KeyError, ValueError) as e:
        print("plot_experiment.py: cannot read the experiment outputs in %s: %s" % (d, e), file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 3   # the caller (ogem experiment) explains the missing figures
    if "floor" in data:
        plot_floor(plt, data["floor"], dict(summary["floor"], d=summary["floor"].get("d", 2)),
                   os.path.join(d, "fig_floor.png"))
    if "separation" in data:
        plot_separation(plt, data["separation"][0], data["separation"][1], os.path.join(d, "fig_separation.png"))
    if "recovery" in data:
        plot_recovery(plt, data["recovery"], os.path.join(d, "fig_recovery.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
