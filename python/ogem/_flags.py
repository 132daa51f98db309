"""ogem._flags - Python arguments to the command line's flag texts.

The C extension validates settings with the same option builders the ``ogem``
command uses, from flag texts; this module checks the Python types (raising
TypeError before anything runs) and spells each value as the command line
would: integers in decimal, floats with ``repr`` (which round-trips every
double exactly), lists joined by commas.
"""
from __future__ import annotations

import numbers
from typing import Any, Dict, List, Optional, Sequence, Union

Number = Union[int, float]


def _int_text(name: str, v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(v).__name__}")
    return str(int(v))


def _float_text(name: str, v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(v).__name__}")
    return repr(float(v))


def _str_text(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"{name}: expected a str, got {type(v).__name__}")
    return v


def _list_text(name: str, v: Any) -> str:
    """A number or a sequence of numbers as 'a,b,c'."""
    if isinstance(v, str):
        return v
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        return _float_text(name, v)
    try:
        items = list(v)
    except TypeError:
        raise TypeError(f"{name}: expected a str, a number or a sequence of numbers, "
                        f"got {type(v).__name__}") from None
    if not items:
        raise ValueError(f"{name}: the list is empty")
    return ",".join(_float_text(name, x) for x in items)


# Python name -> (flag, converter). The flags of `ogem run` and `ogem escape`.
_CONVERT = {
    "dim": ("--dim", _int_text),
    "components": ("--components", _int_text),
    "weights": ("--weights", _list_text),
    "mu_star": ("--mu-star", _list_text),
    "inits": ("--inits", _int_text),
    "steps": ("--steps", _int_text),
    "eta": ("--eta", _float_text),
    "algo": ("--algo", _str_text),
    "estimator": ("--estimator", _str_text),
    "init": ("--init", _str_text),
    "seed": ("--seed", _int_text),
    "log": ("--log", _str_text),
    "trace_inits": ("--trace-inits", _int_text),
    "device": ("--device", _str_text),
    "precision": ("--precision", _str_text),
    "gpu_path": ("--gpu-path", _str_text),
    "threads": ("--threads", _int_text),
    "radius": ("--radius", _float_text),
    "until": ("--until", _str_text),
    "max_steps": ("--max-steps", _int_text),
    "sweep": ("--sweep", _str_text),
    "radius_per_sqrt_dim": ("--radius-per-sqrt-dim", _float_text),
}


def flag_texts(values: Dict[str, Any], subspace: bool = False) -> Dict[str, str]:
    """{"--flag": "text"} for the values that are not None."""
    out: Dict[str, str] = {}
    for name, v in values.items():
        if v is None:
            continue
        flag, conv = _CONVERT[name]
        out[flag] = conv(name, v)
    if not isinstance(subspace, bool):
        raise TypeError(f"subspace: expected a bool, got {type(subspace).__name__}")
    if subspace:
        out["--subspace"] = "1"
    out["--quiet"] = "1"
    return out


def argv_of(command: str, flags: Dict[str, str]) -> List[str]:
    """The equivalent command line, for run.json's provenance."""
    argv = [command]
    for flag, text in flags.items():
        if flag == "--quiet":
            continue
        argv += [flag] if flag == "--subspace" else [flag, text]
    return argv
