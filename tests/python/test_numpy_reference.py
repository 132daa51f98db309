"""tests/python/test_numpy_reference.py - one trajectory of the Solver
against an independent NumPy implementation of gradient EM and EM on a
fixed data set (the data estimator: every expectation is a plain average over
the data), to 1e-12."""
import numpy as np
import pytest

import ogem


def numpy_step(mu, x, w, eta, algo):
    """Metrics at mu (R, n, d) and the next means, by log-sum-exp in NumPy."""
    d = x.shape[1]
    diff = x[None, None, :, :] - mu[:, :, None, :]             # R, n, N, d
    logp = np.log(w)[None, :, None] - 0.5 * (diff ** 2).sum(-1) - 0.5 * d * np.log(2 * np.pi)
    top = logp.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))  # R, N
    psi = np.exp(logp - lse[:, None, :])                       # R, n, N
    loss = -lse.mean(axis=1)                                   # mean negative log-likelihood
    mass = psi.mean(axis=2)                                    # E[psi_i]
    first = np.einsum("rin,nd->rid", psi, x) / x.shape[0]      # E[psi_i x]
    if algo == "em":
        new = first / mass[..., None]
    else:
        new = mu + eta * (first - mass[..., None] * mu)
    dist = np.sqrt((mu ** 2).sum(-1))                          # mu* = 0
    metrics = np.stack([loss, dist.max(axis=1), (w[None, :] * dist ** 2).sum(1),
                        np.sqrt(((new - mu) ** 2).sum(axis=(1, 2)))], axis=-1)
    return metrics, new


@pytest.mark.parametrize("algo,eta", [("gem", 1.0), ("gem", 0.5), ("em", 1.0)])
def test_trajectory_matches_numpy(algo, eta):
    rng = np.random.default_rng(11)
    R, n, d, N, T = 5, 3, 2, 400, 60
    x = rng.normal(size=(N, d))
    w = np.array([0.2, 0.3, 0.5])
    mu0 = rng.normal(scale=2.0, size=(R, n, d))
    s = ogem.Solver(d, n, w, inits=R, data=x, init=mu0, algo=algo, eta=eta, device="cpu")
    mu = mu0.copy()
    worst = 0.0
    for t in range(T):
        m = s.step()
        ref, mu = numpy_step(mu, x, w, eta, algo)
        got = np.stack([m[k] for k in ogem.METRICS], axis=-1)
        worst = max(worst, np.abs(got - ref).max(), np.abs(s.means - mu).max())
    assert worst <= 1e-12, f"largest difference {worst:.3g}"
    # The run moved: a comparison of a standing still trajectory would prove little.
    assert np.abs(mu - mu0).max() > 0.1
