#!/usr/bin/env python3
"""tests/reference/make_mixture_refs.py - writes the reference fixtures of
tests/test_mixture_ref.c (issue 12: a mixture truth and learned weights),
computed here in NumPy/SciPy, independently of ogem's C code.

Rerun (deterministic: fixed seeds, the same files byte for byte on one NumPy
version) from the repository root after changing a case below, and commit the
CSVs it writes; the C tests read the committed files, so neither CI nor
tools/test.sh needs SciPy:

    python3 -m pip install numpy scipy    # if missing
    python3 tests/reference/make_mixture_refs.py

Every number is written with repr() (the shortest string that reads back as
the same double), so the C side gets exactly the data and starting points
used here. Files (lines starting with '#' are comments, skipped by the C
reader, src/util/csv_read.c):

  learned_truth.csv, quad1d_truth.csv
                      the truths: weight,x_1,...,x_d per component (the layout
                      of --truth file:PATH)
  mixture_data3.csv   case learned_*: the data set, one row x_1,...,x_d
  <case>_traj.csv     step,init,component,weight,mu_1,...,mu_d: the means and
                      weights before step `step` (step 0: the start)
  <case>_metrics.csv  step,init,loss,max_dist,mean_dist2,cover_dist,voronoi at
                      the means and weights before step `step` (ogem_metrics)

Cases (the C test sets the same algorithm, step size and estimator):
  learned_gem, learned_em  estimator data, learn_weights, 50 steps, d = 3,
      n = 3, R = 2 initializations, gem eta = 0.7 / em; 400 rows drawn from
      0.3 N(a, I) + 0.7 N(b, I). The update, from the responsibilities
      psi_i(x) = softmax_i(log pi_i - |x - mu_i|^2 / 2) at the old means and
      weights: gem mu_i += eta mean(psi_i (x - mu_i)), em mu_i = sum psi_i x /
      sum psi_i; then pi_i = mean psi_i (the same responsibilities).
  quad1d_gem, quad1d_em    estimator exact (the population update), d = 1,
      truth 0.4 N(-2, 1) + 0.6 N(1.5, 1), n = 3 with fixed weights, 30 steps,
      gem eta = 0.8 / em. The expectations E[psi_i], E[psi_i x] and the loss
      KL = E[log p*] - E[log p] under the truth by the composite trapezoid
      rule on [-40, 40] with 2^18 intervals (spectrally accurate for these
      analytic, Gaussian-decaying integrands), checked at step 0 against
      scipy.integrate.quad to 1e-12.
"""
import math
from pathlib import Path

import numpy as np
from scipy import integrate
from scipy.special import logsumexp

HERE = Path(__file__).resolve().parent
LOG_2PI = math.log(2.0 * math.pi)


def fmt(v):
    return repr(float(v))


def write_csv(name, header, rows):
    with open(HERE / name, "w") as f:
        f.write(f"# {name} - written by tests/reference/make_mixture_refs.py; do not edit\n")
        f.write(f"# {header}\n")
        for row in rows:
            f.write(",".join(fmt(v) if not isinstance(v, (int, np.integer)) else str(int(v)) for v in row) + "\n")


def write_truth(case, w, means):
    write_csv(f"{case}_truth.csv", "weight,x_1,...,x_d", [[wj, *mj] for wj, mj in zip(w, means)])


def metrics(loss, mu, pi, tw, tm):
    """ogem_metrics at means mu (n, d), weights pi (n) against the truth (tw, tm):
    loss, max_i min_j |mu_i - mu*_j|, sum_i pi_i min_j |..|^2,
    max_j min_i |mu_i - mu*_j| and the Voronoi loss of ogem_mixture_match."""
    dist = np.sqrt(((mu[:, None, :] - tm[None, :, :]) ** 2).sum(-1))  # n, m
    near = dist.min(axis=1)
    cell = dist.argmin(axis=1)  # argmin takes the lowest j on ties, as ogem does
    vor = 0.0
    for j in range(len(tw)):
        inj = cell == j
        vor += abs(pi[inj].sum() - tw[j])
    for i in range(len(pi)):
        vor += pi[i] * dist[i, cell[i]] ** 2
    return [loss, near.max(), (pi * near ** 2).sum(), dist.min(axis=0).max(), vor]


# ---- case learned_*: data estimator, learned weights ---------------------------------

def responsibilities(x, mu, pi):
    """psi (n, N) at the means mu (n, d) and weights pi, and log p(x) (N)."""
    d = x.shape[1]
    logp = np.log(pi)[:, None] - 0.5 * ((x[None, :, :] - mu[:, None, :]) ** 2).sum(-1) - 0.5 * d * LOG_2PI
    lse = logsumexp(logp, axis=0)
    return np.exp(logp - lse[None, :]), lse


def learned_step(x, mu, pi, algo, eta):
    psi, lse = responsibilities(x, mu, pi)
    mass = psi.mean(axis=1)                      # E[psi_i]
    first = psi @ x / x.shape[0]                 # E[psi_i x]
    if algo == "em":
        new = first / mass[:, None]
    else:
        new = mu + eta * (first - mass[:, None] * mu)
    return -lse.mean(), new, mass                # data loss: mean negative log-likelihood


def learned_cases():
    rng = np.random.default_rng(20261201)
    d, n, R, rows, steps = 3, 3, 2, 400, 50
    tw = np.array([0.3, 0.7])
    tm = np.array([[2.0, 0.5, 0.0], [-1.0, -0.5, 1.0]])
    labels = rng.random(rows) < tw[0]
    x = np.where(labels[:, None], tm[0], tm[1]) + rng.normal(size=(rows, d))
    mu0 = rng.normal(scale=1.5, size=(R, n, d))
    pi0 = np.array([[0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    # What the C side reads back must be these doubles exactly.
    write_truth("learned", tw, tm)
    write_csv("mixture_data3.csv", "x_1,x_2,x_3: 400 rows from 0.3 N(a, I) + 0.7 N(b, I) (learned_truth.csv)", x)
    for algo, eta in (("gem", 0.7), ("em", 1.0)):
        traj, mets = [], []
        for r in range(R):
            mu, pi = mu0[r].copy(), pi0[r].copy()
            for t in range(steps + 1):
                traj += [[t, r, i, pi[i], *mu[i]] for i in range(n)]
                if t == steps:
                    break
                loss, mu_new, pi_new = learned_step(x, mu, pi, algo, eta)
                mets.append([t, r, *metrics(loss, mu, pi, tw, tm)])
                mu, pi = mu_new, pi_new
            assert abs(pi.sum() - 1.0) < 1e-14
        write_csv(f"learned_{algo}_traj.csv", "step,init,component,weight,mu_1,...,mu_d", traj)
        write_csv(f"learned_{algo}_metrics.csv", "step,init,loss,max_dist,mean_dist2,cover_dist,voronoi", mets)


# ---- case quad1d_*: exact estimator, d = 1, fixed weights, by fine quadrature -------

NODES = np.linspace(-40.0, 40.0, 2 ** 18 + 1)
TRAP = np.full(NODES.size, NODES[1] - NODES[0])
TRAP[0] *= 0.5
TRAP[-1] *= 0.5


def log_mix(x, w, m):
    """log of sum_j w_j N(x; m_j, 1) for x (N,), d = 1."""
    return logsumexp(np.log(w)[:, None] - 0.5 * (x[None, :] - m[:, None]) ** 2, axis=0) - 0.5 * LOG_2PI


def population(mu, pi, tw, tm, x=NODES, q=TRAP):
    """E[psi_i], E[psi_i x] and KL(truth || model) under the truth, by the rule (x, q)."""
    logt = log_mix(x, tw, tm)
    logp = np.log(pi)[:, None] - 0.5 * (x[None, :] - mu[:, None]) ** 2 - 0.5 * LOG_2PI
    lse = logsumexp(logp, axis=0)
    psi = np.exp(logp - lse[None, :])
    dens = q * np.exp(logt)
    return psi @ dens, psi @ (dens * x), np.dot(dens, logt - lse)


def check_against_quad(mu, pi, tw, tm):
    """The trapezoid rule's expectations against scipy.integrate.quad."""
    mass, first, kl = population(mu, pi, tw, tm)

    def at(f):
        return integrate.quad(lambda v: f(np.array([v])), -np.inf, np.inf, epsabs=1e-14, epsrel=1e-13, limit=500)[0]

    def psi_at(v, i):
        logp = np.log(pi) - 0.5 * (v - mu) ** 2
        return math.exp(logp[i] - logsumexp(logp))

    truth = lambda v: math.exp(log_mix(v, tw, tm)[0])
    for i in range(len(pi)):
        assert abs(at(lambda v: psi_at(v[0], i) * truth(v)) - mass[i]) < 1e-12
        assert abs(at(lambda v: psi_at(v[0], i) * v[0] * truth(v)) - first[i]) < 1e-12
    def kl_density(v):
        logp = np.log(pi)[:, None] - 0.5 * (v[None, :] - mu[:, None]) ** 2 - 0.5 * LOG_2PI
        lt = log_mix(v, tw, tm)
        return math.exp(lt[0]) * (lt[0] - logsumexp(logp, axis=0)[0])
    assert abs(at(kl_density) - kl) < 1e-12


def quad1d_cases():
    tw, tm = np.array([0.4, 0.6]), np.array([-2.0, 1.5])
    pi = np.array([0.2, 0.3, 0.5])
    mu0 = np.array([-3.0, 0.25, 2.5])
    steps = 30
    write_truth("quad1d", tw, tm[:, None])
    check_against_quad(mu0, pi, tw, tm)
    for algo, eta in (("gem", 0.8), ("em", 1.0)):
        mu, traj, mets = mu0.copy(), [], []
        for t in range(steps + 1):
            traj += [[t, 0, i, pi[i], mu[i]] for i in range(len(pi))]
            if t == steps:
                break
            mass, first, kl = population(mu, pi, tw, tm)
            mets.append([t, 0, *metrics(kl, mu[:, None], pi, tw, tm[:, None])])
            mu = first / mass if algo == "em" else mu + eta * (first - mass * mu)
        write_csv(f"quad1d_{algo}_traj.csv", "step,init,component,weight,mu_1", traj)
        write_csv(f"quad1d_{algo}_metrics.csv", "step,init,loss,max_dist,mean_dist2,cover_dist,voronoi", mets)


if __name__ == "__main__":
    learned_cases()
    quad1d_cases()
