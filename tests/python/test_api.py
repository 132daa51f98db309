"""tests/python/test_api.py - the Solver's state and methods (means, active,
seek, moments, info), run's and escape's results (progress callbacks,
pandas), the GIL released while stepping, and the version."""
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import ogem

CPU = dict(device="cpu")


def test_version_is_cmake_project_version():
    cmake = (Path(__file__).resolve().parents[2] / "CMakeLists.txt").read_text()
    assert ogem.__version__ == re.search(r"project\(ogem VERSION ([0-9.]+)", cmake).group(1)


def test_means_active_seek_moments():
    s = ogem.Solver(3, 2, inits=4, estimator="mc:1024", seed=5, **CPU)
    assert s.shape == (4, 2, 3) and s.t == 0
    mu0 = s.means
    m0 = s.step()
    assert m0.loss.shape == (4,) and np.all(np.isfinite(m0.loss)) and s.t == 1
    # seek + means back: step 0 again gives the same numbers, bit for bit
    s.means = mu0
    s.seek(0)
    again = s.step()
    assert np.array_equal(np.asarray(again), np.asarray(m0))
    # moments at the current means for step t: the loss the next step reports
    mo = s.moments()
    assert mo.log_mass.shape == (4, 2) and mo.cond_mean.shape == (4, 2, 3)
    assert np.array_equal(mo.loss, s.step(apply=False).loss)
    # frozen initializations keep their means and report NaN
    s.active = [True, False, True, False]
    assert s.active.tolist() == [True, False, True, False]
    before = s.means
    m = s.step()
    after = s.means
    assert np.array_equal(after[1], before[1]) and np.array_equal(after[3], before[3])
    assert not np.array_equal(after[0], before[0])
    assert np.isnan(m.loss[1]) and np.isfinite(m.loss[0])
    # a non-contiguous, non-float64 array is accepted (converted once)
    s.means = np.asfortranarray(np.ones((4, 2, 3), dtype=np.float32))
    assert np.array_equal(s.means, np.ones((4, 2, 3)))
    info = s.info
    assert info["backend"] == "cpu" and info["precision"] == "double"
    assert np.allclose(s.weights, [0.5, 0.5]) and np.array_equal(s.mu_star, np.zeros(3))


def test_step_out_is_written_in_place():
    s = ogem.Solver(2, 2, inits=3, estimator="exact", **CPU)
    out = np.zeros((3, len(ogem.METRIC_FIELDS)))  # one row of ogem_metrics per init
    m = s.step(out=out)
    assert np.shares_memory(np.asarray(m.loss), out) and np.array_equal(out[:, 0], m.loss)


def test_run_results_and_progress():
    calls = []
    res = ogem.run(dim=2, components=3, inits=10, steps=50, estimator="exact", trace_inits=4, log="every:10",
                   progress=lambda done, total: calls.append((done, total)), **CPU)
    assert res.steps.tolist() == [0, 10, 20, 30, 40, 50]
    assert res.trajectory.shape == (6, 4) and res.aggregate.shape == (6, 4, 5)
    assert res.final_means.shape == (10, 3, 2) and res.final_metrics.loss.shape == (10,)
    assert calls and calls[-1] == (51, 51)
    # the aggregate's max over all inits bounds the traced ones
    assert np.all(res.quantile("loss", "max") >= res.trajectory.loss.max(axis=1))
    # the final row's median is the median of the final metrics
    assert res.quantile("max_dist", "median")[-1] == np.median(res.final_metrics.max_dist)
    with pytest.raises(ValueError):
        res.quantile("losses")


def test_escape_results_and_progress():
    calls = []
    res = ogem.escape(sweep="radius=2:4:1", inits=8, progress=lambda g, done, total, running: calls.append(g),
                      **CPU)
    assert res.grid.tolist() == [2.0, 3.0, 4.0] and res.escape_steps.shape == (3, 8)
    assert res.escaped.tolist() == [8, 8, 8] and not res.censored.any()
    # the exact escape steps of a component at 2 and 4 (README: 5, ..., 19 for a = 2, 4)
    assert res.median[0] == 5 and res.median[2] == 19
    assert res.growth["points_used"] == 3 and res.growth["exponent"] > 0
    steps, surv = res.km[0]
    assert surv[-1] == 0.0 and steps[-1] == res.escape_steps[0].max()


def test_to_pandas():
    pd = pytest.importorskip("pandas")
    res = ogem.run(dim=2, components=2, inits=5, steps=5, estimator="exact", trace_inits=3, **CPU)
    frames = res.to_pandas()
    assert list(frames["trajectory"].columns) == ["step", "init", *ogem.METRICS]
    assert len(frames["trajectory"]) == len(res.steps) * 3 and len(frames["final"]) == 10
    assert frames["aggregate"]["loss_median"].tolist() == res.quantile("loss").tolist()
    esc = ogem.escape(radius=3, inits=4, **CPU).to_pandas()
    assert isinstance(esc["escapes"], pd.DataFrame) and len(esc["escapes"]) == 4


def test_tqdm_bar():
    pytest.importorskip("tqdm")
    res = ogem.run(dim=1, components=2, inits=2, steps=20, estimator="exact", progress=True, **CPU)
    assert res.steps[-1] == 20


def test_gil_is_released_while_stepping():
    """The main thread runs Python code while another thread is inside a step.
    Were the GIL held through the step, the main thread could not run before
    the step ended; released, it wakes right after its short sleep."""
    s = ogem.Solver(8, 5, inits=64, estimator="mc:131072", threads=1, **CPU)
    times = {}

    def worker():
        times["start"] = time.perf_counter()
        s.step()
        times["end"] = time.perf_counter()

    th = threading.Thread(target=worker)
    th.start()
    while "start" not in times:
        time.sleep(0.001)
    time.sleep(0.01)
    woke = time.perf_counter()  # Python code: needs the GIL
    th.join()
    step = times["end"] - times["start"]
    assert woke - times["start"] < 0.9 * step, f"woke after {woke - times['start']:.3f} s of a {step:.3f} s step"
