#!/usr/bin/env python3
"""The peer for bench_cpu: the same batched gradient EM step in NumPy, written
the natural way with two GEMMs (scores = X M^T, sums = Psi^T X), float64.
Prints one line: "numpy n=.. d=.. R=.. N=.. sci_per_s=..". Needs numpy."""
import sys, time
import numpy as np

def main():
    n, d, R, N, steps = (int(a) for a in (sys.argv[1:6] + ["5", "10", "64", "8192", "10"][len(sys.argv[1:6]):]))
    rng = np.random.default_rng(1)
    M = rng.standard_normal((R, n, d))
    logpi = np.log(np.full(n, 1.0 / n))
    eta = 1.0

    def step(M):
        X = rng.standard_normal((N, d))                    # fresh samples, like mc
        Mf = M.reshape(R * n, d)
        S = X @ Mf.T + (logpi[None, :] - 0.5 * (M ** 2).sum(-1)).reshape(1, R * n)
        S = S.reshape(N, R, n)
        mx = S.max(-1, keepdims=True)
        E = np.exp(S - mx)
        Z = E.sum(-1, keepdims=True)
        P = (E / Z).reshape(N, R * n)
        S1 = P.T @ X
        S0 = P.sum(0)
        return M + eta * ((S1 - S0[:, None] * Mf) / N).reshape(R, n, d)

    M = step(M)                                            # warm-up
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            M = step(M)
        best = max(best, steps * N * n * R / (time.perf_counter() - t0))
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:                                      # older NumPy: no dict form
        blas = "unknown"
    print(f"numpy n={n} d={d} R={R} N={N} blas={blas} precision=double sci_per_s={best:.4g}")

if __name__ == "__main__":
    main()
