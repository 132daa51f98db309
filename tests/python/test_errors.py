"""tests/python/test_errors.py - every error path of the package: wrong types
raise TypeError and bad values ogem.InvalidArgument (a ValueError) with the
command line's one-line message, before anything runs; failures of the
library raise the ogem.Error subclass of their status, and leave the solver
usable."""
import numpy as np
import pytest

import ogem

CPU = dict(device="cpu")

# (call, exception type, words the one-line message must hold)
BAD_ARGUMENTS = {
    "dim type": (lambda: ogem.Solver(2.0, 2), TypeError, "dim: expected an int"),
    "inits bool": (lambda: ogem.Solver(2, 2, inits=True), TypeError, "inits: expected an int"),
    "device type": (lambda: ogem.Solver(2, 2, device=1), TypeError, "device: expected a str"),
    "eta type": (lambda: ogem.run(eta="1"), TypeError, "eta: expected a number"),
    "weights type": (lambda: ogem.Solver(2, 2, weights=object()), TypeError, "weights"),
    "subspace type": (lambda: ogem.Solver(2, 2, subspace=1), TypeError, "subspace: expected a bool"),
    "progress type": (lambda: ogem.run(progress=3), TypeError, "progress"),
    "unknown keyword": (lambda: ogem.run(dimension=2), TypeError, "dimension"),
    "dim 0": (lambda: ogem.Solver(0, 2), ogem.InvalidArgument, "dim: expected an integer >= 1, got '0'"),
    "components 0": (lambda: ogem.Solver(2, 0), ogem.InvalidArgument, "components"),
    "inits too many": (lambda: ogem.Solver(2, 2, inits=10 ** 12), ogem.InvalidArgument, "inits"),
    "weights sum": (lambda: ogem.Solver(2, 2, [0.5, 0.6]), ogem.InvalidArgument, "weights sum to"),
    "weights count": (lambda: ogem.Solver(2, 3, [0.5, 0.5]), ogem.InvalidArgument, "weights"),
    "weights negative": (lambda: ogem.Solver(2, 2, [-0.5, 1.5]), ogem.InvalidArgument, "weights"),
    "weights empty": (lambda: ogem.Solver(2, 2, []), ValueError, "weights: the list is empty"),
    "mu_star count": (lambda: ogem.Solver(2, 2, mu_star=[1, 2, 3]), ogem.InvalidArgument, "mu_star"),
    "eta nan": (lambda: ogem.Solver(2, 2, eta=float("nan")), ogem.InvalidArgument, "eta"),
    "eta negative": (lambda: ogem.run(eta=-1), ogem.InvalidArgument, "eta: expected a positive"),
    "algo": (lambda: ogem.Solver(2, 2, algo="sgd"), ogem.InvalidArgument, "algo"),
    "estimator odd": (lambda: ogem.Solver(2, 2, estimator="mc:7"), ogem.InvalidArgument, "mc:N needs an even"),
    "estimator spec": (lambda: ogem.Solver(2, 2, estimator="mcmc"), ogem.InvalidArgument, "estimator"),
    "data file": (lambda: ogem.Solver(2, 2, estimator="data:/nonexistent/x.csv"), ogem.InvalidArgument,
                  "cannot open"),
    "init spec": (lambda: ogem.Solver(2, 2, init="far:3:1"), ogem.InvalidArgument, "init"),
    "init shape": (lambda: ogem.Solver(2, 2, inits=2, init=np.zeros((3, 2, 2))), ValueError, "init: expected shape"),
    "init nan": (lambda: ogem.Solver(2, 2, inits=1, init=np.full((1, 2, 2), np.nan)), ogem.InvalidArgument,
                 "finite"),
    "data shape": (lambda: ogem.Solver(2, 2, data=np.zeros((5, 3))), ValueError, "data: expected shape"),
    "data empty": (lambda: ogem.Solver(2, 2, data=np.zeros((0, 2))), ogem.InvalidArgument, "empty"),
    "data inf": (lambda: ogem.Solver(2, 2, data=np.full((4, 2), np.inf), **CPU), ogem.InvalidArgument,
                 "non-finite"),
    "subspace fixed": (lambda: ogem.Solver(2, 2, estimator="fixed:10", subspace=True), ogem.InvalidArgument,
                       "subspace"),
    "seed negative": (lambda: ogem.Solver(2, 2, seed=-1), ogem.InvalidArgument, "seed"),
    "threads": (lambda: ogem.Solver(2, 2, threads=-1), ogem.InvalidArgument, "threads"),
    "log spec": (lambda: ogem.run(log="every:0"), ogem.InvalidArgument, "log: every:K needs"),
    "steps negative": (lambda: ogem.run(steps=-1), ogem.InvalidArgument, "steps"),
    "samples memory": (lambda: ogem.Solver(2, 2, estimator="mc:1000000000000000000", **CPU), ogem.InvalidArgument,
                       "samples:"),
    "escape radius and init": (lambda: ogem.escape(radius=3, init="far:1:3"), ogem.InvalidArgument, "radius"),
    "escape sweep": (lambda: ogem.escape(sweep="radius=4:2:1"), ogem.InvalidArgument, "sweep: radius=A:B:STEP"),
    "escape dim with sweep": (lambda: ogem.escape(dim=3, sweep="dim=1,2"), ogem.InvalidArgument, "dim"),
    "escape until": (lambda: ogem.escape(until="dist>1"), ogem.InvalidArgument, "until"),
    "escape max_steps": (lambda: ogem.escape(max_steps=0), ogem.InvalidArgument, "max_steps"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_argument(case):
    call, kind, words = BAD_ARGUMENTS[case]
    with pytest.raises(kind) as e:
        call()
    msg = str(e.value)
    assert words in msg and "\n" not in msg, msg
    if isinstance(e.value, ogem.Error):
        assert isinstance(e.value, ValueError) and e.value.status == 1
        assert not msg.startswith("ogem ")  # the line without the command's prefix


def test_library_failures_raise_their_subclass():
    # A NaN/Inf update: NumericError, nothing changed, the solver still works.
    s = ogem.Solver(1, 2, inits=2, estimator="exact", init="far:1:5", eta=1e200, **CPU)
    before = s.means
    with pytest.raises(ogem.NumericError, match="initialization 0: the update of component 0 is inf") as e:
        s.step()
    assert e.value.status == 9 and isinstance(e.value, ArithmeticError)
    assert np.array_equal(s.means, before) and s.t == 0
    s.means = np.zeros((2, 2, 1))  # at mu*, the update is 0 whatever eta
    assert np.all(s.step().update_norm == 0) and s.t == 1
    # exact with more than 2 directions of difference: Unsupported.
    with pytest.raises(ogem.Unsupported, match="at most 2 directions"):
        ogem.Solver(3, 4, inits=2, estimator="exact", **CPU).step()
    # float on the CPU: Unsupported.
    with pytest.raises(ogem.Unsupported, match="precision"):
        ogem.Solver(2, 2, inits=2, precision="float", **CPU)
    # Means out of range for set_means.
    s = ogem.Solver(2, 2, inits=2, **CPU)
    with pytest.raises(ogem.InvalidArgument, match="too far"):
        s.means = np.full((2, 2, 2), 1e200)
    with pytest.raises(ogem.InvalidArgument, match="step index"):
        s.seek(-1)


@pytest.mark.skipif(ogem.gpu_count() > 0, reason="a GPU is present")
def test_gpu_without_device():
    with pytest.raises(ogem.NoDevice) as e:
        ogem.Solver(2, 2, inits=2, device="gpu")
    assert e.value.status == 5 and "\n" not in str(e.value)


def test_solver_misuse():
    s = ogem.Solver(2, 2, inits=3, **CPU)
    with pytest.raises(ValueError, match=r"means: expected shape \(3, 2, 2\)"):
        s.means = np.zeros((3, 2))
    with pytest.raises(TypeError, match="means"):
        s.means = "abc"
    with pytest.raises(ValueError, match="active"):
        s.active = [True, False]
    with pytest.raises(TypeError):
        s.seek(1.5)
    with pytest.raises(TypeError, match="out"):
        s.step(out=np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="out"):
        s.step(out=np.zeros((2, 4)))
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.step()


def test_save_failure_is_one_oserror(tmp_path):
    res = ogem.run(dim=1, components=2, inits=2, steps=3, estimator="exact", **CPU)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError) as e:
        res.save(blocker / "sub")
    assert "\n" not in str(e.value)
    esc = ogem.escape(radius=2, inits=2, **CPU)
    with pytest.raises(OSError):
        esc.save(blocker)
    assert blocker.read_text() == "x"
