"""ogem._commands - ``ogem.run`` and ``ogem.escape``: the two commands of the
``ogem`` binary from Python, computing what the binary computes through the
same C code (option checks, the stepping loop's rule, quartiles, Kaplan-Meier
statistics, file writers), with the results as NumPy arrays.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _ogem
from ._flags import argv_of, flag_texts
from ._solver import METRIC_FIELDS, METRICS, Solver, metrics_view

#: The statistics of each metric in ``RunResult.aggregate``, in order.
STATS = ("min", "q1", "median", "q3", "max")

Progress = Union[None, bool, Callable[..., Any]]


class _Bar:
    """progress=True: a tqdm bar when tqdm is installed, else a line on stderr."""

    def __init__(self, total: int, desc: str) -> None:
        self.n = 0
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
            self.desc, self.total, self.shown = desc, total, 0.0
        else:
            self.bar = tqdm(total=total, desc=desc, unit="step")

    def __call__(self, done: int, total: int, running: Optional[int] = None) -> None:
        if self.bar is not None:
            self.bar.update(done - self.n)
            if running is not None:
                self.bar.set_postfix(running=running, refresh=False)
        elif time.monotonic() - self.shown > 0.2 or done >= total:
            self.shown = time.monotonic()
            extra = f"  running {running}" if running is not None else ""
            sys.stderr.write(f"\r{self.desc}: step {done}/{total}{extra}   ")
            if done >= total:
                sys.stderr.write("\n")
        self.n = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress_fn(progress: Progress, total: int, desc: str) -> Optional[Callable[..., Any]]:
    if progress is None or progress is False:
        return None
    if progress is True:
        return _Bar(total, desc)
    if not callable(progress):
        raise TypeError(f"progress: expected None, a bool or a callable, got {type(progress).__name__}")
    return progress


def _close(fn: Any) -> None:
    if isinstance(fn, _Bar):
        fn.close()


# ---- run ----------------------------------------------------------------------------


class RunResult:
    """What ``ogem run`` writes, as arrays.

    Attributes:
        steps: (L,) int64, the logged steps.
        trajectory: (L, K) record array (fields ``loss``, ``max_dist``,
            ``mean_dist2``, ``update_norm``) of the first K = min(trace_inits, R)
            initializations at each logged step: trajectory.csv's numbers.
        aggregate: (L, 4, 5) float64: for each logged step, metric (METRICS
            order) and statistic (min, q1, median, q3, max over all R
            initializations): aggregate.csv's numbers.
        final_means: (R, n, d), the means after the last update: final.csv.
        final_metrics: (R,) record array, the metrics at the last step T.
        options: the validated settings; info: the backend;
        solve_seconds: time spent stepping.
    """

    def __init__(self, solver: Solver, steps: np.ndarray, traj: np.ndarray, agg: np.ndarray,
                 final_means: np.ndarray, final: np.ndarray, solve_seconds: float, wall_seconds: float,
                 argv: List[str]) -> None:
        self._solver = solver
        self.steps = steps
        self._traj = traj
        self.trajectory = metrics_view(traj)
        self.aggregate = agg
        self.final_means = final_means
        self.final_metrics = metrics_view(final)
        self.solve_seconds = solve_seconds
        self.wall_seconds = wall_seconds
        self.options = solver.options
        self.info = solver.info
        self._argv = argv

    def quantile(self, metric: str, stat: str = "median") -> np.ndarray:
        """One column of aggregate.csv, e.g. quantile("loss", "q1"): an (L,) view."""
        if metric not in METRICS or stat not in STATS:
            raise ValueError(f"expected a metric in {METRICS} and a statistic in {STATS}, got {metric!r}, {stat!r}")
        return self.aggregate[:, METRICS.index(metric), STATS.index(stat)]

    def save(self, directory: Union[str, os.PathLike]) -> None:
        """Writes trajectory.csv, aggregate.csv, final.csv and run.json into
        directory (created if missing) exactly as ``ogem run`` writes them, all
        or nothing; ``ogem run --config DIRECTORY`` replays the run (unless its
        initial means or data were arrays)."""
        self._solver._c.save_run(os.fspath(directory), self.steps, self._traj, self.aggregate, self.final_means,
                                 self.solve_seconds, self.wall_seconds, int(self.steps[-1]), self._argv)

    def to_pandas(self) -> Dict[str, Any]:
        """{"trajectory", "aggregate", "final"}: DataFrames with the columns of
        the CSV files (needs pandas)."""
        import pandas as pd

        L, K = self.trajectory.shape
        traj = pd.DataFrame({"step": np.repeat(self.steps, K), "init": np.tile(np.arange(K), L)})
        for m in METRICS:
            traj[m] = self.trajectory[m].reshape(-1)
        agg = pd.DataFrame({"step": self.steps})
        for k, m in enumerate(METRICS):
            for j, s in enumerate(STATS):
                agg[f"{m}_{s}"] = self.aggregate[:, k, j]
        R, n, d = self.final_means.shape
        fin = pd.DataFrame({"init": np.repeat(np.arange(R), n), "component": np.tile(np.arange(n), R)})
        for k in range(d):
            fin[f"mu_{k + 1}"] = self.final_means[:, :, k].reshape(-1)
        return {"trajectory": traj, "aggregate": agg, "final": fin}

    def __repr__(self) -> str:
        R, n, d = self.final_means.shape
        med = self.quantile("loss")[-1]
        return f"<ogem.RunResult R={R} n={n} d={d} steps={int(self.steps[-1])} median final loss={med:.6g}>"


def run(dim: int = 2, components: int = 5, weights: Union[None, str, Sequence[float]] = None, *,
        mu_star: Union[None, float, Sequence[float]] = None, inits: int = 256, steps: int = 1000, eta: float = 1.0,
        algo: str = "gem", estimator: str = "mc:8192", data: Optional[Any] = None, subspace: bool = False,
        init: Union[str, Any] = "random:3", seed: int = 1, log: str = "log", trace_inits: int = 16,
        device: str = "auto", precision: str = "double", gpu_path: str = "auto", threads: int = 0,
        progress: Progress = None) -> RunResult:
    """``ogem run`` from Python: the same settings (each argument is the flag
    of the same name, with the same default), the same numbers.

    Evaluates at t = 0..steps and updates after every t < steps; the logged
    steps (``log``: ``"log"``, ``"log:P"``, ``"every:K"``) give the rows of
    the trajectory and the aggregate. ``init`` may also be an (R, n, d) array
    and ``data`` an (N, d) array (then ``estimator`` is ignored).

    ``progress``: a callable progress(done, total), called at most every
    50 ms, or True for a tqdm bar (a line on stderr without tqdm).
    Ctrl-C raises KeyboardInterrupt between two steps.
    """
    t_start = time.perf_counter()
    values = dict(dim=dim, components=components, weights=weights, mu_star=mu_star, inits=inits, steps=steps,
                  eta=eta, algo=algo, estimator=estimator, seed=seed, log=log, trace_inits=trace_inits,
                  device=device, precision=precision, gpu_path=gpu_path, threads=threads)
    means = None
    if isinstance(init, str):
        values["init"] = init
    else:
        means = init
    if data is not None:
        values["estimator"] = "fixed:2"  # stands for the array (see Solver)
    flags = flag_texts(values, subspace)
    fn = _progress_fn(progress, 0, "ogem run")  # type-checked before anything runs
    solver = Solver._from_flags(flags, means, data)
    o = solver.options
    R, T, K = o["inits"], o["steps"], o["traced"]
    log_steps = np.array(o["log_steps"], dtype=np.int64)
    L = len(log_steps)
    traj = np.empty((L, K, len(METRIC_FIELDS)))
    agg = np.empty((L, 4, 5))
    m = np.empty((R, len(METRIC_FIELDS)))
    scratch = np.empty(R)
    if isinstance(fn, _Bar):
        fn = _Bar(T + 1, "ogem run")
    step, c = solver._c.step, solver._c
    j, last = 0, 0.0
    t0 = time.perf_counter()
    try:
        for t in range(T + 1):
            step(t < T, m)  # the GIL is released inside; Ctrl-C lands between two steps
            if j < L and log_steps[j] == t:
                traj[j] = m[:K]
                _ogem.aggregate_quantiles(R, m, scratch, agg[j])
                j += 1
            if fn is not None and (time.perf_counter() - last > 0.05 or t == T):
                last = time.perf_counter()
                fn(t + 1, T + 1)
    finally:
        _close(fn)
    solve = time.perf_counter() - t0
    final = np.empty((R, o["components"], o["dim"]))
    c.get_means(final)
    return RunResult(solver, log_steps, traj, agg, final, m, solve, time.perf_counter() - t_start,
                     argv_of("run", flags))


# ---- escape -------------------------------------------------------------------------


class EscapeResult:
    """What ``ogem escape`` writes, as arrays; G grid points (1 without a
    sweep) of R initializations each.

    Attributes:
        grid: (G,) the grid values (radius or dimension; the radius without a sweep).
        radius: (G,) distance of the far components; dims: (G,) the dimension.
        escape_steps: (G, R) int64, the escape step, -1 if censored.
        censored: (G, R) bool.
        final_loss: (G, R), the loss at the escape step (censored: at the last step).
        reached: (G,) steps each grid point's solver took.
        escaped: (G,) how many escaped; censored_fraction: (G,).
        quartiles: (G, 3) int64 Kaplan-Meier q1, median, q3 of the escape
            step, -1 where undefined (too many censored).
        km: G pairs (steps, survival) of the Kaplan-Meier curves.
        growth: the fit of log(median) against radius^2 or d (sweeps only):
            exponent, intercept, r2, points_used.
    """

    def __init__(self, c: Any, wall_seconds: float, argv: List[str]) -> None:
        self._c = c
        g = c.grid()
        self.sweep: str = g["sweep"]
        self.until: str = g["until"]
        self.max_steps: int = g["max_steps"]
        G, R = g["G"], g["R"]
        pts = np.array(g["points"], dtype=np.float64).reshape(G, 3)
        self.grid = pts[:, 0] if self.sweep != "dim" else pts[:, 2].astype(np.int64)
        self.radius = pts[:, 1]
        self.dims = pts[:, 2].astype(np.int64)
        self.escape_steps = np.empty((G, R), np.int64)
        self.final_loss = np.empty((G, R))
        self.reached = np.empty(G, np.int64)
        c.results(self.escape_steps, self.final_loss, self.reached)
        self.censored = self.escape_steps < 0
        stats = [c.stats(k) for k in range(G)]
        self.escaped = np.array([s["escaped"] for s in stats], dtype=np.int64)
        self.censored_fraction = np.array([s["censored_fraction"] for s in stats])
        self.quartiles = np.array([s["quartiles"] for s in stats], dtype=np.int64).reshape(G, 3)
        self.km = [(np.array(s["km_step"], dtype=np.int64), np.array(s["km_survival"])) for s in stats]
        self.growth: Optional[Dict[str, float]] = c.fit() if self.sweep != "none" else None
        self.info = c.info()
        self.wall_seconds = wall_seconds
        self._argv = argv

    @property
    def median(self) -> np.ndarray:
        """(G,) Kaplan-Meier median escape step, NaN where undefined."""
        q = self.quartiles[:, 1].astype(np.float64)
        q[self.quartiles[:, 1] < 0] = np.nan
        return q

    def save(self, directory: Union[str, os.PathLike]) -> None:
        """Writes escapes.csv, sweep.csv (with a sweep), summary.json and
        run.json into directory exactly as ``ogem escape`` writes them, all or
        nothing; ``ogem escape --config DIRECTORY`` replays the experiment."""
        self._c.save(os.fspath(directory), self.wall_seconds, self._argv)

    def to_pandas(self) -> Dict[str, Any]:
        """{"escapes", "sweep"}: DataFrames with the columns of escapes.csv and
        sweep.csv (NaN where the CSV is empty; needs pandas)."""
        import pandas as pd

        G, R = self.escape_steps.shape
        esc = pd.DataFrame({"grid": np.repeat(self.grid, R), "init": np.tile(np.arange(R), G)})
        steps = self.escape_steps.reshape(-1).astype(np.float64)
        steps[self.censored.reshape(-1)] = np.nan
        esc["escape_step"] = steps
        esc["censored"] = self.censored.reshape(-1).astype(np.int64)
        esc["final_loss"] = self.final_loss.reshape(-1)
        q = self.quartiles.astype(np.float64)
        q[self.quartiles < 0] = np.nan
        swp = pd.DataFrame({"grid": self.grid, "radius": self.radius, "inits": R, "escaped": self.escaped,
                            "censored_fraction": self.censored_fraction, "q1": q[:, 0], "median": q[:, 1],
                            "q3": q[:, 2]})
        return {"escapes": esc, "sweep": swp}

    def __repr__(self) -> str:
        G, R = self.escape_steps.shape
        return f"<ogem.EscapeResult G={G} R={R} sweep={self.sweep} median={self.median.tolist()}>"


def escape(dim: Optional[int] = None, components: int = 2, weights: Union[None, str, Sequence[float]] = None, *,
           mu_star: Union[None, float, Sequence[float]] = None, inits: int = 64, radius: Optional[float] = None,
           init: Optional[str] = None, until: str = "dist<=1", max_steps: int = 100000, eta: float = 1.0,
           algo: str = "gem", estimator: str = "exact", subspace: bool = False, sweep: Optional[str] = None,
           radius_per_sqrt_dim: Optional[float] = None, seed: int = 1, device: str = "auto",
           precision: str = "double", gpu_path: str = "auto", threads: int = 0,
           progress: Progress = None) -> EscapeResult:
    """``ogem escape`` from Python: each argument is the flag of the same name
    (None: the command's default; dim 2, radius 4 with init far:1:radius).

    R initializations start with K components far from mu_star and each is
    stepped until it escapes (``until``: ``"dist<=r"`` or ``"loss<=x"``) or
    reaches ``max_steps`` (censored); ``sweep`` (``"radius=A:B:STEP"`` or
    ``"dim=D1,D2,..."``) repeats it over a grid and fits the growth.

    ``progress``: a callable progress(grid_point, done, total, running),
    called at most every 50 ms, or True for a tqdm bar. Ctrl-C raises
    KeyboardInterrupt between two steps.
    """
    t_start = time.perf_counter()
    values = dict(dim=dim, components=components, weights=weights, mu_star=mu_star, inits=inits, radius=radius,
                  init=init, until=until, max_steps=max_steps, eta=eta, algo=algo, estimator=estimator,
                  sweep=sweep, radius_per_sqrt_dim=radius_per_sqrt_dim, seed=seed, device=device,
                  precision=precision, gpu_path=gpu_path, threads=threads)
    flags = flag_texts(values, subspace)
    user_fn = _progress_fn(progress, 0, "ogem escape")
    c = _ogem.Escape(flags)
    G = c.grid()["G"]
    for g in range(G):
        fn = user_fn
        if isinstance(fn, _Bar):
            fn = _Bar(c.grid()["max_steps"], f"ogem escape {g + 1}/{G}")
            bar: Any = fn
        elif fn is not None:
            bar = (lambda f, k: (lambda done, total, running: f(k, done, total, running)))(fn, g)
        else:
            bar = None
        try:
            c.run_point(g, bar)
        finally:
            _close(fn)
    return EscapeResult(c, time.perf_counter() - t_start, argv_of("escape", flags))
