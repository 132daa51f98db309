"""tests/python/conftest.py - fixtures of the Python package's tests: the
`ogem` binary the results are compared with (OGEM_BIN, else build/ogem of
this checkout), and a runner for it."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ogem_bin() -> str:
    path = os.environ.get("OGEM_BIN") or str(ROOT / "build" / "ogem")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no ogem binary at {path}: build it, or set OGEM_BIN")
    return path


@pytest.fixture
def cli(ogem_bin, tmp_path):
    """cli("run", "--dim", "2", ...) runs the binary into a fresh directory
    and returns that directory."""
    count = [0]

    def run(*args: str) -> Path:
        count[0] += 1
        out = tmp_path / f"cli{count[0]}"
        p = subprocess.run([ogem_bin, *args, "--quiet", "--out", str(out)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return out

    return run
