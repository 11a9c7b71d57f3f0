#!/usr/bin/env python3
"""Generates torch_golden.safetensors: inputs, forward outputs and gradients of a set of
expressions, computed by PyTorch in float32 (Debian's python3-torch, 1.13). The Java test
GoldenTorchTest rebuilds every expression with Graft from the same inputs and compares.

Run from this folder:  /usr/bin/python3 make_golden.py
Each case: inputs x0, x1, ... (float32 unless noted), out = f(inputs), loss = sum(out * r) where r is
a fixed random tensor stored as <case>.r, and the gradient of loss for every float input.
"""
import json
import struct

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(20261126)


def t(*shape, lo=-2.0, hi=2.0):
    return torch.tensor(rng.uniform(lo, hi, size=shape).astype(np.float32), requires_grad=True)


def idx(values):
    return torch.tensor(values, dtype=torch.int64)


CASES = {}


def case(name, inputs, fn):
    CASES[name] = (inputs, fn)


case("linear_gelu", [t(4, 5), t(3, 5), t(3)], lambda x, w, b: F.gelu(x @ w.t() + b))
case("linear_gelu_tanh", [t(4, 5), t(3, 5)], lambda x, w: F.gelu(x @ w.t(), approximate="tanh"))
case("log_softmax_nll", [t(4, 7), idx([1, 0, 6, 3])],
     lambda x, y: F.log_softmax(x, dim=1).gather(1, y.unsqueeze(1)).neg())
case("softmax_dim0", [t(5, 3)], lambda x: torch.softmax(x * 3, dim=0))
case("conv_relu_pool", [t(2, 3, 8, 8), t(4, 3, 3, 3, lo=-0.5, hi=0.5), t(4)],
     lambda x, w, b: F.max_pool2d(F.relu(F.conv2d(x, w, b, stride=1, padding=1)), 2))
case("conv_groups_dilation", [t(1, 4, 9, 9), t(4, 2, 3, 3)],
     lambda x, w: torch.tanh(F.conv2d(x, w, None, stride=2, padding=2, dilation=2, groups=2)))
case("conv_depthwise_stride", [t(2, 3, 7, 6), t(3, 1, 3, 2), t(3)],
     lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), groups=3))
case("conv1d", [t(2, 3, 10), t(4, 3, 3), t(4)], lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1))
case("layer_norm_manual", [t(3, 6), t(6), t(6)],
     lambda x, g, b: (x - x.mean(dim=1, keepdim=True)) / torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + 1e-5) * g + b)
case("broadcast_mix", [t(3, 1, 4), t(2, 4)],
     lambda a, b: torch.sigmoid(a * b + a.exp() / (1 + b.abs())))
case("reductions", [t(3, 4, 5)],
     lambda x: torch.logsumexp(x, dim=(1, 2)) + x.amax(dim=1).sum(dim=1) + x.std(dim=2, unbiased=True).mean(dim=1)
     + x.sum(dim=(0, 2)).prod().reshape(1) * 0.01)
case("max_dim_indices", [t(4, 6)], lambda x: x.max(dim=1).values * 2 + x.min(dim=0, keepdim=True).values.sum())
case("batched_matmul_broadcast", [t(2, 1, 3, 4), t(5, 4, 6)], lambda a, b: F.silu(a @ b))
case("matmul_vectors", [t(4), t(4, 3), t(3)], lambda v, m, u: ((v @ m) * (m @ u).sum()) + v @ v)
case("indexing", [t(5, 4), idx([4, 0, 2, 2]), idx([[0, 3], [1, 1], [2, 0], [3, 3], [0, 0]])],
     lambda x, i, j: torch.cat([x.index_select(0, i) * 2, x.gather(1, j).repeat(1, 2), x.cumsum(dim=0)], dim=0))
case("pad_avgpool", [t(2, 2, 5, 6)],
     lambda x: F.avg_pool2d(F.pad(x, (1, 2, 2, 1), mode="reflect"), kernel_size=3, stride=2, padding=1, count_include_pad=False))
case("pad_constant_replicate", [t(2, 3, 4)],
     lambda x: F.pad(x, (2, -1), mode="constant", value=0.5) * 2 + F.pad(x, (1, 1), mode="replicate").sum(dim=2, keepdim=True))
case("where_clamp_pow", [t(4, 5)],
     lambda x: torch.where(x > 0, x.pow(3), x.clamp(-0.5, 0.5)) + F.leaky_relu(x, 0.1))
case("unary_zoo", [t(3, 4), t(3, 4, lo=0.1, hi=3.0)],
     lambda x, y: torch.erf(x) + torch.log1p(y) + torch.rsqrt(y) + torch.sin(x) * torch.cos(x) + torch.sqrt(y)
     + torch.log(y) + 1 / y + x.abs() + torch.tanh(x) + y.pow(x))
case("views", [t(2, 3, 4)],
     lambda x: x.permute(2, 0, 1)[1:, :, ::2].reshape(3, -1).t().unsqueeze(0).expand(2, 4, 3) * torch.stack([x[0, 0, :3], x[1, 2, 1:]]).unsqueeze(1))
case("topk_sort", [t(3, 7)], lambda x: x.topk(3, dim=1).values + x.sort(dim=1, descending=True).values[:, 1:4])
case("max_min_pair", [t(3, 4), t(4)], lambda a, b: torch.maximum(a, b) * 2 + torch.minimum(a, b))


def to_bytes(a):
    return np.ascontiguousarray(a).tobytes()


tensors = {}
for name, (inputs, fn) in CASES.items():
    out = fn(*inputs)
    r = torch.tensor(rng.uniform(0.5, 1.5, size=tuple(out.shape)).astype(np.float32))
    loss = (out * r).sum()
    loss.backward()
    for i, x in enumerate(inputs):
        tensors[f"{name}.x{i}"] = x.detach().numpy()
        if x.dtype == torch.float32:
            tensors[f"{name}.grad{i}"] = x.grad.detach().numpy()
    tensors[f"{name}.out"] = out.detach().numpy()
    tensors[f"{name}.r"] = r.numpy()

# safetensors: u64 little-endian header length, JSON header, raw little-endian data
header = {"__metadata__": {"generator": "make_golden.py", "torch": torch.__version__, "cases": ",".join(CASES)}}
blob = b""
for key in sorted(tensors):
    a = tensors[key]
    dtype = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}[a.dtype]
    data = to_bytes(a)
    header[key] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [len(blob), len(blob) + len(data)]}
    blob += data
hjson = json.dumps(header, separators=(",", ":")).encode()
hjson += b" " * ((8 - len(hjson) % 8) % 8)
with open("torch_golden.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(hjson)))
    f.write(hjson)
    f.write(blob)
print(f"wrote {len(tensors)} tensors for {len(CASES)} cases, torch {torch.__version__}")
