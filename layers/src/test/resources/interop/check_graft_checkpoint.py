#!/usr/bin/env python3
"""Reads a Graft checkpoint with PyTorch (Debian python3-torch) and checks that the same CNN gives
the same outputs. Usage: check_graft_checkpoint.py CHECKPOINT IO_FILE
CHECKPOINT: a Graft checkpoint (model state dict under plain names, optimizer state under
"_optimizer."). IO_FILE: safetensors with "x" (input) and "out" (Graft's output).
A tiny safetensors reader is used on purpose, so the check does not depend on Graft's or HF's code.
Prints OK and exits 0 when every output matches within 1e-4."""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_,
          "F16": np.float16}


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        arr = np.frombuffer(blob[base + b:base + end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


ckpt, meta = read(sys.argv[1])
io, _ = read(sys.argv[2])
weights = {k: v for k, v in ckpt.items() if not k.startswith("_optimizer.")}
model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 4 * 4, 10))
model.load_state_dict(weights, strict=True)
model.eval()
with torch.no_grad():
    out = model(io["x"])
diff = (out - io["out"]).abs().max().item()
optimizer_keys = [k for k in ckpt if k.startswith("_optimizer.")]
assert meta.get("graft.checkpoint") == "1", meta
assert optimizer_keys, "no optimizer state in the checkpoint"
if diff > 1e-4:
    print(f"MISMATCH: max |torch - graft| = {diff}")
    sys.exit(1)
print(f"OK max |torch - graft| = {diff:.2e}, {len(weights)} weights, {len(optimizer_keys)} optimizer tensors")
