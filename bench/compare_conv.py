"""PyTorch peer of ConvBench and AdamStepBench: the same shapes, float32, one thread.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/compare_conv.py
Prints the median time of each case over 5 rounds of about one second (after a warm-up round),
in the units JMH prints for the matching benchmark (ms for convolutions, us for Adam steps).
"""
import statistics
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)


def timed(fn, seconds=1.0, rounds=5):
    fn()
    times = []
    for _ in range(rounds + 1):  # the first round is a warm-up
        n = 0
        t0 = time.perf_counter()
        while True:
            fn()
            n += 1
            t = time.perf_counter() - t0
            if t >= seconds:
                break
        times.append(t / n)
    return statistics.median(times[1:])


x = torch.randn(8, 64, 56, 56)
xg = x.clone().requires_grad_(True)
w_depth = torch.randn(64, 1, 3, 3, requires_grad=True)
w_point = torch.randn(128, 64, 1, 1, requires_grad=True)
g_depth = torch.randn(8, 64, 56, 56)
g_point = torch.randn(8, 128, 56, 56)


def depthwise(inp):
    return F.conv2d(inp, w_depth, None, 1, 1, 1, 64)


def pointwise(inp):
    return F.conv2d(inp, w_point, None, 1, 0, 1, 1)


def fwd(f):
    def run():
        with torch.no_grad():
            f(x)
    return run


def fwd_bwd(f, w, g):
    def run():
        xg.grad = None
        w.grad = None
        f(xg).backward(g)
    return run


print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
for name, fn in [("depthwise3x3Forward", fwd(depthwise)),
                 ("depthwise3x3ForwardBackward", fwd_bwd(depthwise, w_depth, g_depth)),
                 ("pointwise1x1Forward", fwd(pointwise)),
                 ("pointwise1x1ForwardBackward", fwd_bwd(pointwise, w_point, g_point))]:
    print(f"{name:32s} {timed(fn) * 1e3:9.3f} ms")

for opt_name, cls in [("Adam", torch.optim.Adam), ("AdamW", torch.optim.AdamW)]:
    for variant, kwargs in [("default", {}), ("foreach", {"foreach": True}), ("fused", {"fused": True})]:
        p = torch.randn(1024, 1024, requires_grad=True)
        p.grad = torch.randn(1024, 1024) * 1e-3
        try:
            opt = cls([p], lr=1e-4, weight_decay=1e-2, **kwargs)
            opt.step()
        except (RuntimeError, TypeError) as e:
            print(f"{opt_name} step ({variant}): not available here ({str(e).splitlines()[0]})")
            continue
        print(f"{opt_name + ' step (' + variant + ')':32s} {timed(opt.step) * 1e6:9.1f} us")
