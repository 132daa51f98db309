"""tests/python/test_bitwise.py - ogem.run and ogem.escape give bitwise the
numbers the `ogem` binary writes for the same settings (mc, exact, data,
escape, a sweep): the arrays against the binary's CSV values, and the files
they save against the binary's files byte for byte."""
import csv
from pathlib import Path

import numpy as np
import pytest

import ogem


def read_csv(path: Path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def floats(rows, cols):
    """%.17g text read back: exactly the double that was printed."""
    return np.array([[float(r[c]) if r[c] != "" else np.nan for c in cols] for r in rows])


def assert_run_equal(res: ogem.RunResult, out: Path):
    head, rows = read_csv(out / "trajectory.csv")
    K = res.trajectory.shape[1]
    cli_traj = floats(rows, range(2, 6)).reshape(len(res.steps), K, 4)
    np.testing.assert_array_equal(np.array([int(r[0]) for r in rows[::K]]), res.steps)
    py_traj = np.stack([res.trajectory[m] for m in ogem.METRICS], axis=-1)
    assert np.array_equal(py_traj, cli_traj), "trajectory differs from trajectory.csv"
    head, rows = read_csv(out / "aggregate.csv")
    cli_agg = floats(rows, range(1, 21)).reshape(-1, 4, 5)
    assert np.array_equal(res.aggregate, cli_agg, equal_nan=True), "aggregate differs from aggregate.csv"
    head, rows = read_csv(out / "final.csv")
    R, n, d = res.final_means.shape
    assert np.array_equal(res.final_means.reshape(R * n, d), floats(rows, range(2, 2 + d)))


def assert_same_files(a: Path, b: Path, names):
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"


RUN_CASES = {
    "mc": dict(dim=3, components=3, inits=12, steps=40, estimator="mc:2048", seed=7, trace_inits=5),
    "exact": dict(dim=2, components=2, inits=16, steps=150, estimator="exact", weights=[0.3, 0.7],
                  init="far:1:4", log="every:25"),
    "em_qmc_subspace": dict(dim=4, components=3, inits=6, steps=15, algo="em", estimator="qmc:1024",
                            subspace=True, mu_star=[0.5, -1, 0, 2]),
}


def cli_args(kw):
    args = []
    for k, v in kw.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            args.append(flag)
        elif isinstance(v, list):
            args += [flag, ",".join(repr(float(x)) for x in v)]
        else:
            args += [flag, str(v)]
    return args


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_run_matches_binary(case, cli, tmp_path):
    kw = RUN_CASES[case]
    res = ogem.run(device="cpu", **kw)
    out = cli("run", "--device", "cpu", *cli_args(kw))
    assert_run_equal(res, out)
    res.save(tmp_path / "py")
    assert_same_files(tmp_path / "py", out, ["trajectory.csv", "aggregate.csv", "final.csv"])
    # run.json's settings are the command's: `ogem run --config` replays the Python run.
    replay = cli("run", "--config", str(tmp_path / "py" / "run.json"))
    assert_same_files(replay, out, ["trajectory.csv", "aggregate.csv", "final.csv"])


def test_data_estimator_matches_binary(cli, tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 2)) + [0.25, -0.5]
    path = tmp_path / "samples.csv"
    np.savetxt(path, x, delimiter=",", fmt="%.17g")
    kw = dict(dim=2, components=4, inits=10, steps=60, estimator=f"data:{path}", seed=2)
    res = ogem.run(device="cpu", **kw)
    out = cli("run", "--device", "cpu", *cli_args(kw))
    assert_run_equal(res, out)
    # The same data as an array: the same numbers (the file's values are the array's).
    arr = ogem.run(device="cpu", data=x, **{k: v for k, v in kw.items() if k != "estimator"})
    assert np.array_equal(arr.aggregate, res.aggregate) and np.array_equal(arr.final_means, res.final_means)


ESCAPE_CASES = {
    "single": dict(radius=5, inits=24),
    "sweep_radius": dict(sweep="radius=3:6:1", inits=16, max_steps=60),  # censored ones at radius 6
    "sweep_dim_loss": dict(sweep="dim=1,2,3", radius_per_sqrt_dim=2, inits=8, until="loss<=0.01", max_steps=2000,
                           estimator="mc:1024", algo="em"),
}


@pytest.mark.parametrize("case", sorted(ESCAPE_CASES))
def test_escape_matches_binary(case, cli, tmp_path):
    kw = ESCAPE_CASES[case]
    res = ogem.escape(device="cpu", **kw)
    out = cli("escape", "--device", "cpu", *cli_args(kw))
    head, rows = read_csv(out / "escapes.csv")
    off = 1 if "sweep" in kw else 0
    steps = np.array([int(r[off + 1]) if r[off + 1] else -1 for r in rows])
    assert np.array_equal(res.escape_steps.reshape(-1), steps)
    assert np.array_equal(res.censored.reshape(-1), np.array([r[off + 2] == "1" for r in rows]))
    assert np.array_equal(res.final_loss.reshape(-1), floats(rows, [off + 3])[:, 0], equal_nan=True)
    if "sweep" in kw:
        head, rows = read_csv(out / "sweep.csv")
        q = np.array([[int(r[c]) if r[c] else -1 for c in (5, 6, 7)] for r in rows])
        assert np.array_equal(res.quartiles, q)
        assert np.array_equal(res.censored_fraction, floats(rows, [4])[:, 0])
        assert np.array_equal(res.escaped, np.array([int(r[3]) for r in rows]))
    res.save(tmp_path / "py")
    names = ["escapes.csv"] + (["sweep.csv"] if "sweep" in kw else [])
    assert_same_files(tmp_path / "py", out, names)
    replay = cli("escape", "--config", str(tmp_path / "py" / "run.json"))
    assert_same_files(replay, out, names)
