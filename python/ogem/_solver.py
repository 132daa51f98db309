"""ogem._solver - the Solver: a batch of R initializations of an n-component
mixture in d dimensions, stepped together by the C library.

Arrays are NumPy arrays that the C library fills in place: ``step`` writes
the metrics straight into the array it returns, ``means`` is read into a fresh
array, and a C-contiguous float64 array given to ``means = ...`` is passed
to the library without a copy. The GIL is released while the library computes.
"""
from __future__ import annotations

from typing import Any, Dict, NamedTuple, Optional, Sequence, Union

import numpy as np

from . import _ogem
from ._flags import flag_texts

#: The per-initialization metrics of the CSV files and the aggregate, in the
#: order of the C struct ogem_metrics.
METRICS = ("loss", "max_dist", "mean_dist2", "update_norm")
#: Every field of ``ogem_metrics``, in its order: METRICS, then the metrics of
#: a mixture truth.
METRIC_FIELDS = METRICS + ("cover_dist", "voronoi")
if len(METRIC_FIELDS) != _ogem.metric_doubles:
    raise ImportError("ogem._ogem's ogem_metrics has %d fields, this package knows %d"
                      % (_ogem.metric_doubles, len(METRIC_FIELDS)))
#: A structured dtype with those float64 fields: the memory layout of
#: ``ogem_metrics``, so that the library writes into such arrays directly.
METRICS_DTYPE = np.dtype([(m, "<f8") for m in METRIC_FIELDS])

ArrayLike = Any


class Moments(NamedTuple):
    """The raw expectations at the current means (see Solver.moments)."""

    loss: np.ndarray       #: (R,) the loss estimate
    log_mass: np.ndarray   #: (R, n) log E[psi_i]
    cond_mean: np.ndarray  #: (R, n, d) E[psi_i x] / E[psi_i]


def metrics_view(raw: np.ndarray) -> np.recarray:
    """A (..., len(METRIC_FIELDS)) float64 array seen as records with
    METRIC_FIELDS fields (no copy)."""
    return raw.view(METRICS_DTYPE)[..., 0].view(np.recarray)


def as_means(value: ArrayLike, shape: tuple, what: str) -> np.ndarray:
    """value as a C-contiguous float64 array of the given shape; no copy when
    it already is one."""
    try:
        a = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: expected an array of numbers: {e}") from None
    if a.shape != shape:
        raise ValueError(f"{what}: expected shape {shape} (inits, components, dim), got {a.shape}")
    return a


class Solver:
    """Gradient EM (or EM) on R initializations of sum_i pi_i N(mu_i, I_d)
    against the truth N(mu_star, I_d), stepped together.

    Every setting means what the ``ogem run`` flag of the same name means and
    is checked by the same code: a bad value raises :class:`ogem.InvalidArgument`
    (a ValueError) with the command line's one-line message, and a value of
    the wrong type raises TypeError, before anything is allocated.

    Args:
        dim: dimension d >= 1.
        components: components n >= 1.
        weights: None (uniform), a sequence of n positive weights summing to 1
            within 1e-9, or a spec ``"uniform"`` / ``"geometric:r"``.
        inits: R, the initializations stepped together.
        mu_star: the truth mean: None (the origin), one number, or d numbers.
        estimator: ``"mc:N"``, ``"fixed:N"``, ``"qmc:N"``, ``"data:PATH"`` or
            ``"exact"``; ignored when ``data`` is given.
        data: an (N, d) array of samples to run on (the ``data`` estimator;
            the library keeps its own centred copy).
        subspace: mc/qmc: sample in span{mu_i - mu_1}.
        init: the initial means: ``"random:S"``, ``"far:K:RADIUS"``,
            ``"file:PATH"``, or an (R, n, d) array.
        algo: ``"gem"`` (gradient EM) or ``"em"``.
        eta: the gradient EM step, > 0.
        seed: seed of every random draw.
        device: ``"auto"``, ``"cpu"`` or ``"gpu"``.
        precision: ``"double"``, or ``"float"`` (GPU only).
        gpu_path: ``"auto"``, ``"fused"`` or ``"gemm"``.
        threads: CPU threads, 0 = all.
    """

    def __init__(self, dim: int, components: int, weights: Union[None, str, Sequence[float]] = None, *,
                 inits: int = 256, mu_star: Union[None, float, Sequence[float]] = None,
                 estimator: str = "mc:8192", data: Optional[ArrayLike] = None, subspace: bool = False,
                 init: Union[str, ArrayLike] = "random:3", algo: str = "gem", eta: float = 1.0, seed: int = 1,
                 device: str = "auto", precision: str = "double", gpu_path: str = "auto",
                 threads: int = 0) -> None:
        values = dict(dim=dim, components=components, weights=weights, inits=inits, mu_star=mu_star,
                      estimator=estimator, algo=algo, eta=eta, seed=seed, device=device, precision=precision,
                      gpu_path=gpu_path, threads=threads, steps=0)
        means = None
        if not isinstance(init, str):
            means, init = init, None
        values["init"] = init
        if data is not None:
            values["estimator"] = "fixed:2"  # stands for the array: the option set needs an estimator
        self._open(flag_texts(values, subspace), means, data)

    @classmethod
    def _from_flags(cls, flags: Dict[str, str], means: Optional[ArrayLike] = None,
                    data: Optional[ArrayLike] = None) -> "Solver":
        self = cls.__new__(cls)
        self._open(flags, means, data)
        return self

    def _open(self, flags: Dict[str, str], means: Optional[ArrayLike], data: Optional[ArrayLike]) -> None:
        self._flags = flags
        dim = int(flags["--dim"])
        rows = 0
        if data is not None:
            try:
                data = np.ascontiguousarray(data, dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise TypeError(f"data: expected an array of numbers: {e}") from None
            if data.ndim == 1 and dim == 1:
                data = data.reshape(-1, 1)
            if data.ndim != 2 or data.shape[1] != dim:
                raise ValueError(f"data: expected shape (N, {dim}), got {data.shape}")
            rows = data.shape[0]
        if means is not None:
            R, n = int(flags.get("--inits", "256")), int(flags["--components"])
            means = as_means(means, (R, n, dim), "init")
        self._c = _ogem.Solver(flags, means, data, rows)
        self._options = self._c.options()
        o = self._options
        self._shape = (o["inits"], o["components"], o["dim"])

    # ---- shape and settings -------------------------------------------------------

    @property
    def shape(self) -> tuple:
        """(R, n, d): initializations, components, dimension."""
        return self._shape

    @property
    def weights(self) -> np.ndarray:
        """The n mixture weights pi_i."""
        return np.array(self._options["weights"])

    @property
    def mu_star(self) -> np.ndarray:
        """The truth mean (d,)."""
        return np.array(self._options["mu_star"])

    @property
    def options(self) -> Dict[str, Any]:
        """The validated settings (as ``ogem run`` resolves them)."""
        return dict(self._options)

    @property
    def info(self) -> Dict[str, Any]:
        """The backend: name, precision, GPU path, threads, peak device bytes,
        largest subspace dimension seen."""
        return self._c.info()

    # ---- state --------------------------------------------------------------------

    @property
    def means(self) -> np.ndarray:
        """The means, an (R, n, d) array in absolute coordinates (a fresh array
        the library writes into). Settable with any (R, n, d) array; a
        C-contiguous float64 one is passed without a copy."""
        out = np.empty(self._shape)
        self._c.get_means(out)
        return out

    @means.setter
    def means(self, value: ArrayLike) -> None:
        self._c.set_means(as_means(value, self._shape, "means"))

    @property
    def active(self) -> np.ndarray:
        """Which initializations take part in the next steps, an (R,) bool
        array; frozen ones cost no work and their metrics are left as they were.
        Settable."""
        out = np.empty(self._shape[0], np.uint8)
        self._c.get_active(out)
        return out.astype(bool)

    @active.setter
    def active(self, value: ArrayLike) -> None:
        a = np.asarray(value)
        if a.shape != (self._shape[0],):
            raise ValueError(f"active: expected shape ({self._shape[0]},), got {a.shape}")
        if a.dtype != bool and not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"active: expected bools, got {a.dtype}")
        self._c.set_active(np.ascontiguousarray(a != 0, dtype=np.uint8))

    @property
    def t(self) -> int:
        """The step counter: which step's samples the next step draws."""
        return self._c.step_index()

    def seek(self, t: int) -> None:
        """Makes step t's samples the next ones drawn (the means are unchanged)."""
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
            raise TypeError(f"t: expected an int, got {type(t).__name__}")
        self._c.seek(int(t))

    # ---- computing ------------------------------------------------------------------

    def step(self, apply: bool = True, out: Optional[np.ndarray] = None) -> np.recarray:
        """Evaluates the metrics at the current means with step t's samples,
        applies the update if ``apply``, and advances t.

        Returns an (R,) record array with fields ``loss``, ``max_dist``,
        ``mean_dist2``, ``update_norm``, ``cover_dist``, ``voronoi`` (each an
        (R,) float64 view), written by the library in place; frozen
        initializations read NaN (or keep what ``out``, an
        (R, len(METRIC_FIELDS)) float64 array to reuse, held). Raises
        :class:`ogem.NumericError` (before changing anything) if a value comes
        out NaN or Inf.
        """
        if out is None:
            out = np.full((self._shape[0], len(METRIC_FIELDS)), np.nan)
        self._c.step(bool(apply), out)
        return metrics_view(out)

    def moments(self) -> Moments:
        """log E[psi_i], E[psi_i x] / E[psi_i] and the loss at the current means
        for step t's samples (t is not advanced)."""
        R, n, d = self._shape
        m = Moments(np.empty(R), np.empty((R, n)), np.empty((R, n, d)))
        self._c.moments(m.loss, m.log_mass, m.cond_mean)
        return m

    def close(self) -> None:
        """Frees the solver's memory (also when the object is collected)."""
        self._c.close()

    def __enter__(self) -> "Solver":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        R, n, d = self._shape
        return f"<ogem.Solver R={R} n={n} d={d} estimator={self._options['estimator']!r} t={self.t}>"
