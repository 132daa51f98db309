"""tests/python/test_interrupt.py - Ctrl-C: SIGINT sent to a process running
a long step loop (a Python loop over Solver.step, ogem.run, ogem.escape)
raises KeyboardInterrupt within a second, between two steps, and the solver
is still usable afterwards."""
import os
import select
import signal
import subprocess
import sys
import time

import pytest

CHILD = r"""
import sys
import numpy as np
import ogem
mode = sys.argv[1]
s = ogem.Solver(4, 3, inits=16, estimator="mc:16384", device="cpu")
s.step()
print("ready", flush=True)
try:
    if mode == "solver":
        while True:
            s.step()
    elif mode == "run":
        ogem.run(dim=4, components=3, inits=16, steps=10**9, estimator="mc:16384", device="cpu")
    else:
        ogem.escape(radius=12, inits=16, max_steps=10**9, device="cpu")
    print("not interrupted", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
t = s.t
m = s.step()
assert np.isfinite(m.loss).all() and s.t == t + 1 and np.isfinite(s.means).all()
r = ogem.run(dim=1, components=2, inits=2, steps=3, estimator="exact", device="cpu")
print("usable", int(r.steps[-1]), flush=True)
"""


def read_line(p, timeout):
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    return p.stdout.readline().strip() if ready else None


@pytest.mark.parametrize("mode", ["solver", "run", "escape"])
def test_sigint_interrupts_within_a_second(mode):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    try:
        assert read_line(p, 120) == "ready", p.stderr.read()
        time.sleep(0.5)  # well inside the loop
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        line = read_line(p, 10)
        latency = time.monotonic() - sent
        assert line == "interrupted", (line, p.stderr.read() if line is None else "")
        assert latency < 1.0, f"KeyboardInterrupt came {latency:.2f} s after SIGINT"
        assert read_line(p, 60) == "usable 3"
        assert p.wait(60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
