#!/usr/bin/env python3
"""torch_step.py - the PyTorch baseline of bench_gpu: the same batched step
(N fresh antithetic samples, R initializations of n components in d
dimensions) written the way one would in PyTorch:

    X   = [Z; -Z],  Z ~ N(0, I_d), N/2 rows          (torch.randn)
    S   = X @ C^T + a                 (N x R n)     GEMM
    lse = logsumexp(S.view(N, R, n), 2)              softmax
    Psi = exp(S - lse)                (N x R n)
    sums = Psi^T @ [X, 1]             (R n x (d+1))  GEMM
    mean_lse = lse.mean(0)

Timed with CUDA events after a warm-up, in float32 and float64 (TF32 off:
plain FP32 like ogem's float path). Prints one line per row:

    RESULT,torch,NAME,PREC,torch,n,d,R,N,sec_per_step,sci_per_s,0

with the row names of bench_gpu.c, so gpu_check.sh can pair them.

usage: torch_step.py [--quick] [--only NAME]
"""
import argparse
import math
import sys

ROWS = [
    # name, dtype, n, d, R, N   (the same sizes as bench_gpu.c's table)
    ("small-float", "float", 5, 10, 1024, 65536),
    ("small-double", "double", 5, 10, 1024, 65536),
    ("d256-float", "float", 5, 256, 1024, 65536),
    ("d256-double", "double", 5, 256, 1024, 65536),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--only", default=None)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("torch_step: PyTorch is not installed; no baseline")
        return 0
    if not torch.cuda.is_available():
        print("torch_step: PyTorch sees no CUDA device; no baseline")
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    print("torch %s, device %s" % (torch.__version__, torch.cuda.get_device_name(0)))
    for name, prec, n, d, R, N in ROWS:
        if args.only and args.only != name:
            continue
        if args.quick:
            R, N = min(R, 64), 8192
        dt = torch.float32 if prec == "float" else torch.float64
        g = torch.Generator(device=dev)
        g.manual_seed(1)
        C = torch.randn(R * n, d, device=dev, dtype=dt, generator=g) * (2.0 / math.sqrt(d))
        a = math.log(1.0 / n) - 0.5 * (C * C).sum(1)

        def step():
            Z = torch.randn(N // 2, d, device=dev, dtype=dt, generator=g)
            X = torch.cat([Z, -Z], 0)
            S = torch.addmm(a, X, C.t())                       # N x Rn
            S3 = S.view(N, R, n)
            lse = torch.logsumexp(S3, 2)                       # N x R
            psi = torch.exp(S3 - lse.unsqueeze(2)).view(N, R * n)
            Xa = torch.cat([X, torch.ones(N, 1, device=dev, dtype=dt)], 1)
            sums = psi.t().mm(Xa)                              # Rn x (d+1)
            return sums, lse.mean(0)

        step()
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        steps, total = 0, 0.0
        while steps < 3 or total < args.min_seconds:
            start.record()
            out = step()
            end.record()
            end.synchronize()
            total += start.elapsed_time(end) / 1e3
            steps += 1
            del out
        sec = total / steps
        sci = N * n * R / sec
        print("%-14s %-6s n=%-2d d=%-4d R=%-5d N=%-6d  %9.3f ms/step  %9.3e SCI/s  peak mem %.1f MiB"
              % (name, prec, n, d, R, N, 1e3 * sec, sci, torch.cuda.max_memory_allocated() / 2**20))
        print("RESULT,torch,%s,%s,torch,%d,%d,%d,%d,%.6e,%.6e,0" % (name, prec, n, d, R, N, sec, sci))
        sys.stdout.flush()
        torch.cuda.reset_peak_memory_stats()
    return 0


if __name__ == "__main__":
    sys.exit(main())
