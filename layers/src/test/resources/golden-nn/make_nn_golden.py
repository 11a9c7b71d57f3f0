#!/usr/bin/env python3
"""Generates nn_golden.safetensors with PyTorch 1.13 (Debian python3-torch): for each case a torch
module's state_dict (<case>.state.<name>), an input (<case>.x, plus <case>.mask where used), the
output (<case>.out), and the gradients of loss = sum(out * <case>.r) for the input (<case>.grad.x)
and every parameter (<case>.grad.<name>). The Java test LayersGoldenTest builds the same layer,
loads the state dict with strict=True (which also checks that Graft's parameter names are PyTorch's)
and compares.  Run from this folder: /usr/bin/python3 make_nn_golden.py
"""
import json
import struct

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(7)
rng = np.random.default_rng(11)
CASES = {}


def inp(*shape):
    return torch.tensor(rng.uniform(-2, 2, size=shape).astype(np.float32), requires_grad=True)


def case(name, module, x, call=None, train=False, extra=None):
    module.train(train)
    CASES[name] = (module, x, call or (lambda m, x: m(x)), extra or {})


case("linear", nn.Linear(5, 3), inp(4, 5))
case("linear_nobias_3d", nn.Linear(4, 6, bias=False), inp(2, 3, 4))
case("conv2d_stride_pad", nn.Conv2d(3, 4, 3, stride=2, padding=1), inp(2, 3, 7, 6))
case("conv2d_same_even", nn.Conv2d(2, 3, 4, padding="same", dilation=2), inp(1, 2, 9, 8))
case("conv2d_depthwise", nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), inp(2, 4, 5, 5))
case("conv1d_same", nn.Conv1d(3, 2, 5, padding="same"), inp(2, 3, 11))
case("convtranspose2d", nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), inp(2, 4, 4, 5))
case("convtranspose2d_groups", nn.ConvTranspose2d(4, 6, (2, 3), stride=(1, 2), groups=2, bias=False), inp(1, 4, 3, 3))
case("batchnorm2d_train", nn.BatchNorm2d(3), inp(4, 3, 3, 2), train=True)
bn_eval = nn.BatchNorm2d(3)
with torch.no_grad():
    bn_eval.running_mean.copy_(torch.tensor([0.5, -0.2, 0.1]))
    bn_eval.running_var.copy_(torch.tensor([1.5, 0.7, 2.0]))
    bn_eval.weight.copy_(torch.tensor([1.2, 0.8, -0.5]))
    bn_eval.bias.copy_(torch.tensor([0.1, 0.2, 0.3]))
case("batchnorm2d_eval", bn_eval, inp(2, 3, 2, 2))
case("batchnorm1d_train", nn.BatchNorm1d(5, momentum=0.3), inp(6, 5), train=True)
ln = nn.LayerNorm([3, 4])
with torch.no_grad():
    ln.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, size=(3, 4)).astype(np.float32)))
    ln.bias.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=(3, 4)).astype(np.float32)))
case("layernorm", ln, inp(2, 3, 4))
case("groupnorm", nn.GroupNorm(2, 6), inp(2, 6, 3, 2))
case("embedding_padding", nn.Embedding(7, 3, padding_idx=2), torch.tensor([[1, 2, 6], [2, 0, 1]]))
case("hardswish_hardsigmoid", nn.Sequential(nn.Linear(4, 4), nn.Hardswish(), nn.Linear(4, 4), nn.Hardsigmoid()), inp(3, 4))
case("adaptive_avgpool", nn.AdaptiveAvgPool2d((3, 2)), inp(1, 2, 7, 5))
case("cnn_sequential", nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1),
                                     nn.GELU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8 * 2 * 2, 5)), inp(2, 1, 8, 8))
mha = nn.MultiheadAttention(8, 2, batch_first=True)
mask = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
case("mha_key_padding", mha, inp(2, 5, 8), call=lambda m, x: m(x, x, x, key_padding_mask=mask)[0], extra={"mask": mask})
case("encoder_post_norm", nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), inp(2, 4, 8),
     call=lambda m, x: m(x, src_key_padding_mask=torch.tensor([[False, False, True, True], [False, False, False, False]])))
case("encoder_pre_norm_gelu", nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True),
     inp(2, 3, 8))

tensors = {}
for name, (module, x, call, extra) in CASES.items():
    for k, v in module.state_dict().items():
        tensors[f"{name}.state.{k}"] = v.detach().clone()
    out = call(module, x)
    r = torch.tensor(rng.uniform(0.5, 1.5, size=tuple(out.shape)).astype(np.float32))
    (out * r).sum().backward()
    tensors[f"{name}.x"] = x.detach()
    tensors[f"{name}.out"] = out.detach()
    tensors[f"{name}.r"] = r
    if x.grad is not None:
        tensors[f"{name}.grad.x"] = x.grad
    for k, p in module.named_parameters():
        if p.grad is not None:
            tensors[f"{name}.grad.{k}"] = p.grad
    for k, v in module.state_dict().items():
        if "running" in k:
            tensors[f"{name}.after.{k}"] = v.detach().clone()
    for k, v in extra.items():
        tensors[f"{name}.{k}"] = v

CODES = {torch.float32: "F32", torch.int64: "I64", torch.bool: "BOOL"}
header = {"__metadata__": {"generator": "make_nn_golden.py", "torch": torch.__version__}}
blob = b""
for key in sorted(tensors):
    t = tensors[key].contiguous()
    data = t.numpy().tobytes() if t.dtype != torch.bool else t.to(torch.uint8).numpy().tobytes()
    header[key] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [len(blob), len(blob) + len(data)]}
    blob += data
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open("nn_golden.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + blob)
print(f"wrote {len(tensors)} tensors for {len(CASES)} cases")
