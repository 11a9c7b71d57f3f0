#!/usr/bin/env python3
"""The PyTorch side of TrainStepBench: the same two models, batch sizes, loss and SGD step, timed
as the median of N steps after warm-up, with torch.set_num_threads(T). Prints one line per
(model, threads): "pytorch model=M threads=T ms_per_step=X".

Run with Debian's interpreter and OpenBLAS's core detection left alone for this command only:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/compare_pytorch.py
"""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 10))


def bench(name, threads, steps=60, warmup=20):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = mlp() if name == "mlp" else cnn()
    x = torch.randn(128, 784) if name == "mlp" else torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (x.shape[0],))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    print(f"# torch {torch.__version__}; {torch.__config__.parallel_info().splitlines()[0] if hasattr(torch.__config__, 'parallel_info') else ''}")
    # thread counts from the command line (default 1 2). The caller also sets OPENBLAS_NUM_THREADS
    # (and OMP_NUM_THREADS) to the same count: torch.set_num_threads does not reach the OpenBLAS
    # behind Debian's torch, which otherwise runs its GEMMs on every core (measured: MLP "1 thread"
    # 3.5 ms with OpenBLAS on 2 threads, 5.0 ms with OPENBLAS_NUM_THREADS=1).
    for threads in [int(a) for a in sys.argv[1:]] or (1, 2):
        for name in ("mlp", "cnn"):
            print(f"pytorch model={name} threads={threads} ms_per_step={bench(name, threads):.2f}")
    sys.stdout.flush()
