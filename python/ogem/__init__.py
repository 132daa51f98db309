"""ogem - gradient EM on over-parameterized Gaussian mixtures, from Python.

A package over ogem's C library (not over the ``ogem`` binary): NumPy arrays
in and out, the GIL released while the library computes, Ctrl-C raising
KeyboardInterrupt between two steps.

    >>> import ogem
    >>> s = ogem.Solver(dim=2, components=2, inits=8, estimator="exact", device="cpu")
    >>> m = s.step()            # metrics at mu_0, then the update
    >>> m.loss.shape, s.means.shape
    ((8,), (8, 2, 2))

``ogem.run`` and ``ogem.escape`` mirror the commands of the same names and
give what they write (trajectory, aggregate, final means, escape steps) as
arrays, with ``.save(dir)`` writing the very files. Errors raise subclasses
of :class:`ogem.Error` with the library's one-line message; bad arguments
raise :class:`ogem.InvalidArgument` (a ValueError) or TypeError before
anything runs.
"""
from ._ogem import (  # noqa: F401  (re-exported)
    CudaError,
    CurandError,
    Error,
    FileError,
    InvalidArgument,
    NoDevice,
    NumericError,
    OutOfMemory,
    ParseError,
    Unsupported,
    __version__,
    cuda_built,
    gpu_count,
    gpu_describe,
)
from ._commands import STATS, EscapeResult, RunResult, escape, run  # noqa: F401
from ._solver import METRIC_FIELDS, METRICS, METRICS_DTYPE, Moments, Solver  # noqa: F401

__all__ = [
    "Solver", "Moments", "run", "RunResult", "escape", "EscapeResult", "METRICS", "METRIC_FIELDS", "METRICS_DTYPE",
    "STATS",
    "Error", "InvalidArgument", "FileError", "ParseError", "OutOfMemory", "NoDevice", "CudaError",
    "CurandError", "Unsupported", "NumericError", "gpu_count", "gpu_describe", "cuda_built", "__version__",
]
