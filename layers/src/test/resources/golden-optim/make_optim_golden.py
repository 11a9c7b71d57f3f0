#!/usr/bin/env python3
"""Generates the PyTorch references for the dev.graft.loss and dev.graft.optim tests.

Run from this folder with Debian's PyTorch (python3-torch, 1.13):  /usr/bin/python3 make_optim_golden.py

Writes two safetensors files (u64 LE header length, JSON header, raw LE data), read by the Java tests
LossGoldenTest, OptimizerGoldenTest, GradClipGoldenTest and SchedulerGoldenTest:

loss_golden.safetensors   <case>.input (and <case>.input2), <case>.target, optional <case>.weight /
                          <case>.pos_weight, <case>.out (the loss), <case>.r and <case>.grad (and
                          <case>.grad2): the gradient of sum(out * r) with respect to the input(s).
optim_golden.safetensors  the fixed problem (data.x, data.y, init.<p>), for every optimizer
                          configuration and dtype <cfg>.<dtype>.<p> of shape [STEPS, ...]: the parameter
                          after each step, and <cfg>.<dtype>.loss [STEPS]; clipping results clip.*; and
                          learning rates of every scheduler sched.<name>.lr [SCHED_STEPS + 1, groups]
                          (row 0: after construction, row k: after k calls of step()).
The Java tests rebuild every configuration by name, so keep the names in step with them.
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(20260401)
F64 = torch.float64
F32 = torch.float32


def write_safetensors(path, tensors, note):
    header = {"__metadata__": {"generator": "make_optim_golden.py", "torch": torch.__version__, "content": note}}
    blob = b""
    for key in sorted(tensors):
        a = np.array(tensors[key], order="C")  # np.ascontiguousarray would turn 0-d into 1-d
        dtype = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}[a.dtype]
        data = a.tobytes()
        header[key] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        f.write(blob)
    print(f"wrote {path}: {len(tensors)} tensors")


def npy(t):
    return t.detach().numpy().copy()


# --------------------------------------------------------------------------------------------- losses

LOSS = {}


def uni(*shape, lo=-2.0, hi=2.0, dtype=F64):
    return torch.tensor(rng.uniform(lo, hi, size=shape), dtype=dtype)


def loss_case(name, fn, inputs, target, extras=None):
    """inputs: list of 1 or 2 float tensors that get gradients; extras: named tensors passed as they are."""
    extras = extras or {}
    xs = [x.clone().requires_grad_(True) for x in inputs]
    out = fn(*xs, target, **extras)
    r = torch.tensor(rng.uniform(0.5, 1.5, size=tuple(out.shape)), dtype=out.dtype)
    (out * r).sum().backward()
    LOSS[f"{name}.input"] = npy(inputs[0])
    LOSS[f"{name}.grad"] = npy(xs[0].grad)
    if len(inputs) > 1:
        LOSS[f"{name}.input2"] = npy(inputs[1])
        LOSS[f"{name}.grad2"] = npy(xs[1].grad)
    LOSS[f"{name}.target"] = npy(target)
    for k, v in extras.items():
        if v is not None:
            LOSS[f"{name}.{k}"] = npy(v)
    LOSS[f"{name}.out"] = npy(out)
    LOSS[f"{name}.r"] = npy(r)


def ce(x, t, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    return F.cross_entropy(x, t, weight=weight, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)


def idx(v):
    return torch.tensor(v, dtype=torch.int64)


logits = uni(6, 4)
tgt = idx([0, 3, 1, 1, 2, 3])
tgt_ign = idx([0, 3, -100, 1, 2, -100])
w4 = torch.tensor([0.5, 2.0, 1.0, 1.5], dtype=F64)
for red in ["mean", "sum", "none"]:
    loss_case(f"ce_{red}", lambda x, t: ce(x, t, reduction=red), [logits], tgt)
    loss_case(f"ce_weight_ignore_{red}", lambda x, t, weight: ce(x, t, weight, ignore_index=1, reduction=red),
              [logits], tgt, {"weight": w4})
    loss_case(f"ce_smooth_{red}", lambda x, t: ce(x, t, reduction=red, label_smoothing=0.2), [logits], tgt)
    loss_case(f"ce_smooth_weight_ignore_{red}",
              lambda x, t, weight: ce(x, t, weight, reduction=red, label_smoothing=0.1), [logits], tgt_ign,
              {"weight": w4})
    probs = torch.softmax(uni(6, 4), dim=1)
    loss_case(f"ce_probs_{red}", lambda x, t: ce(x, t, reduction=red), [logits], probs)
    loss_case(f"ce_probs_weight_smooth_{red}", lambda x, t, weight: ce(x, t, weight, reduction=red, label_smoothing=0.3),
              [logits], probs, {"weight": w4})
# N, C, d1, d2 with weights, ignored targets and smoothing
nd_t = idx(rng.integers(0, 3, size=(2, 4, 2)).tolist())
nd_t[0, 1, 1] = -100
nd_t[1, 3, 0] = -100
loss_case("ce_nd_mean", lambda x, t, weight: ce(x, t, weight, label_smoothing=0.15), [uni(2, 3, 4, 2)], nd_t,
          {"weight": torch.tensor([1.0, 0.25, 3.0], dtype=F64)})
loss_case("ce_nd_none", lambda x, t: ce(x, t, reduction="none"), [uni(2, 3, 4, 2)], nd_t)
loss_case("ce_unbatched", lambda x, t: ce(x, t, label_smoothing=0.05), [uni(5)], idx(3))
loss_case("ce_float32", lambda x, t: ce(x, t, label_smoothing=0.1), [uni(6, 4, dtype=F32)], tgt)
loss_case("ce_large_logits", lambda x, t: ce(x, t), [uni(3, 4, lo=-300, hi=300)], idx([2, 0, 1]))

logp = torch.log_softmax(uni(6, 4), dim=1)
loss_case("nll_mean", lambda x, t: F.nll_loss(x, t), [logp], tgt)
loss_case("nll_weight_ignore_mean", lambda x, t, weight: F.nll_loss(x, t, weight, ignore_index=-100),
          [logp], tgt_ign, {"weight": w4})
loss_case("nll_weight_sum", lambda x, t, weight: F.nll_loss(x, t, weight, reduction="sum"), [logp], tgt, {"weight": w4})
loss_case("nll_nd_none", lambda x, t: F.nll_loss(x, t, reduction="none"), [uni(2, 3, 4, 2)], nd_t)

bce_x = uni(4, 3, lo=-4, hi=4)
bce_x[0, 0] = 0.0
bce_x[1, 1] = 60.0
bce_x[2, 2] = -70.0
bce_t = uni(4, 3, lo=0, hi=1)
bce_t[3] = torch.tensor([0.0, 1.0, 1.0], dtype=F64)
pw = torch.tensor([0.5, 2.0, 3.0], dtype=F64)
bw = uni(4, 3, lo=0.2, hi=2.0)
for red in ["mean", "sum", "none"]:
    loss_case(f"bce_{red}", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=red), [bce_x], bce_t)
    loss_case(f"bce_weight_posweight_{red}",
              lambda x, t, weight, pos_weight: F.binary_cross_entropy_with_logits(
                  x, t, weight=weight, pos_weight=pos_weight, reduction=red),
              [bce_x], bce_t, {"weight": bw, "pos_weight": pw})
loss_case("bce_float32", lambda x, t: F.binary_cross_entropy_with_logits(x, t), [bce_x.float()], bce_t.float())

ra = uni(4, 5)
rb = uni(4, 5)
rb[0, 0] = ra[0, 0]  # a zero difference: l1's gradient there is 0 in both
for red in ["mean", "sum", "none"]:
    loss_case(f"mse_{red}", lambda x, t: F.mse_loss(x, t, reduction=red), [ra], rb)
    loss_case(f"l1_{red}", lambda x, t: F.l1_loss(x, t, reduction=red), [ra], rb)
    loss_case(f"smooth_l1_{red}", lambda x, t: F.smooth_l1_loss(x, t, reduction=red, beta=0.7), [ra], rb)
    loss_case(f"huber_{red}", lambda x, t: F.huber_loss(x, t, reduction=red, delta=1.3), [ra], rb)
loss_case("smooth_l1_beta0", lambda x, t: F.smooth_l1_loss(x, t, beta=0.0), [ra], rb)
loss_case("smooth_l1_default", lambda x, t: F.smooth_l1_loss(x, t), [ra], rb)
loss_case("huber_default", lambda x, t: F.huber_loss(x, t), [ra], rb)
loss_case("mse_float32", lambda x, t: F.mse_loss(x, t), [ra.float()], rb.float())

kl_in = torch.log_softmax(uni(3, 5), dim=1)
kl_t = torch.softmax(uni(3, 5) * 2, dim=1)
kl_t[1, 2] = 0.0
for red in ["mean", "sum", "none", "batchmean"]:
    loss_case(f"kl_{red}", lambda x, t: F.kl_div(x, t, reduction=red), [kl_in], kl_t)
    loss_case(f"kl_logtarget_{red}", lambda x, t: F.kl_div(x, t, reduction=red, log_target=True), [kl_in],
              torch.log_softmax(uni(3, 5), dim=1))

c1 = uni(4, 5)
c2 = uni(4, 5)
c2[1] = -c1[1] * 0.5 + 0.05  # a dissimilar pair below the margin: clamped to 0
cos_t = idx([1, -1, -1, 1])
for red in ["mean", "sum", "none"]:
    loss_case(f"cosine_{red}", lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin=0.2, reduction=red),
              [c1, c2], cos_t)
loss_case("cosine_unbatched", lambda a, b, t: F.cosine_embedding_loss(a, b, t), [uni(5), uni(5)], idx(-1))

write_safetensors("loss_golden.safetensors", LOSS, "loss values and input gradients")

# ------------------------------------------------------------------------------------------ optimizers

OPT = {}
STEPS = 5
X = rng.uniform(-1, 1, size=(6, 4))
Y = rng.uniform(-1, 1, size=(6, 2))
INIT = {"w1": rng.uniform(-0.5, 0.5, size=(3, 4)), "b1": rng.uniform(-0.5, 0.5, size=(3,)),
        "w2": rng.uniform(-0.5, 0.5, size=(2, 3)), "b2": rng.uniform(-0.5, 0.5, size=(2,))}
OPT["data.x"] = X
OPT["data.y"] = Y
for k, v in INIT.items():
    OPT[f"init.{k}"] = v


def model(dtype):
    ps = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in INIT.items()}
    return ps


def forward(ps, dtype):
    x = torch.tensor(X, dtype=dtype)
    y = torch.tensor(Y, dtype=dtype)
    h = torch.tanh(x @ ps["w1"].t() + ps["b1"])
    out = h @ ps["w2"].t() + ps["b2"]
    return ((out - y) ** 2).mean()


# group 0: the "backbone" w1, b1; group 1: the "head" w2, b2. Each entry: (class, defaults, group0, group1)
CONFIGS = {
    "sgd": (torch.optim.SGD, dict(lr=0.1), dict(lr=0.05), dict()),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1),
                     dict(weight_decay=0.01), dict(lr=0.2)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05),
                     dict(), dict(lr=0.02, weight_decay=0.0)),
    "sgd_maximize": (torch.optim.SGD, dict(lr=0.01, momentum=0.5, maximize=True), dict(), dict()),
    "adam": (torch.optim.Adam, dict(lr=0.01), dict(weight_decay=0.1), dict(lr=0.03, betas=(0.8, 0.99))),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.02, amsgrad=True, eps=1e-6), dict(), dict(weight_decay=0.01)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01), dict(weight_decay=0.1), dict(lr=0.05)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.01, amsgrad=True, betas=(0.5, 0.9)), dict(lr=0.002), dict()),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01), dict(), dict(lr=0.003, alpha=0.9)),
    "rmsprop_centered_momentum": (torch.optim.RMSprop, dict(lr=0.01, momentum=0.7, centered=True, weight_decay=0.02),
                                  dict(eps=1e-4), dict(centered=False)),
}

for cfg, (cls, defaults, g0, g1) in CONFIGS.items():
    for dname, dtype in [("f64", F64), ("f32", F32)]:
        ps = model(dtype)
        opt = cls([dict(params=[ps["w1"], ps["b1"]], **g0), dict(params=[ps["w2"], ps["b2"]], **g1)], **defaults)
        traj = {k: [] for k in ps}
        losses = []
        for step in range(STEPS):
            opt.zero_grad()
            loss = forward(ps, dtype)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            for k in ps:
                traj[k].append(npy(ps[k]))
        for k in ps:
            OPT[f"{cfg}.{dname}.{k}"] = np.stack(traj[k])
        OPT[f"{cfg}.{dname}.loss"] = np.array(losses, dtype=np.float64)

# gradient clipping on the problem's gradients (float32 and float64)
for dname, dtype in [("f64", F64), ("f32", F32)]:
    for label, max_norm, norm_type in [("l2", 0.05, 2.0), ("l1", 0.1, 1.0), ("inf", 0.02, math.inf),
                                       ("l3", 0.04, 3.0), ("big", 100.0, 2.0)]:
        ps = model(dtype)
        forward(ps, dtype).backward()
        total = torch.nn.utils.clip_grad_norm_(list(ps.values()), max_norm, norm_type)
        OPT[f"clip.{dname}.{label}.total"] = np.array([float(total)], dtype=np.float64)
        for k in ps:
            OPT[f"clip.{dname}.{label}.{k}"] = npy(ps[k].grad)
    ps = model(dtype)
    forward(ps, dtype).backward()
    torch.nn.utils.clip_grad_value_(list(ps.values()), 0.03)
    for k in ps:
        OPT[f"clip.{dname}.value.{k}"] = npy(ps[k].grad)

# ------------------------------------------------------------------------------------------ schedulers

SCHED_STEPS = 30


def hf_linear(num_warmup_steps, num_training_steps):
    # transformers.get_linear_schedule_with_warmup's lambda, verbatim
    def lr_lambda(current_step: int):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))
    return lr_lambda


def hf_cosine(num_warmup_steps, num_training_steps, num_cycles=0.5):
    # transformers.get_cosine_schedule_with_warmup's lambda, verbatim
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return lr_lambda


S = torch.optim.lr_scheduler


def sgd_two_groups(momentum=0.0):
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    return torch.optim.SGD([dict(params=[a], lr=0.1), dict(params=[b], lr=0.004)], lr=1.0, momentum=momentum)


def adam_two_groups():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    return torch.optim.Adam([dict(params=[a], lr=0.1), dict(params=[b], lr=0.004)], lr=1.0)


SCHEDS = {
    "step": (sgd_two_groups, lambda o: S.StepLR(o, step_size=4, gamma=0.5)),
    "multistep": (sgd_two_groups, lambda o: S.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3)),
    "exponential": (sgd_two_groups, lambda o: S.ExponentialLR(o, gamma=0.9)),
    "cosine": (sgd_two_groups, lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    "cosine_zero": (sgd_two_groups, lambda o: S.CosineAnnealingLR(o, T_max=30)),
    "warmup_linear": (sgd_two_groups, lambda o: S.LambdaLR(o, hf_linear(5, 25))),
    "warmup_cosine": (sgd_two_groups, lambda o: S.LambdaLR(o, hf_cosine(6, 30))),
    "warmup_cosine_cycles": (sgd_two_groups, lambda o: S.LambdaLR(o, hf_cosine(3, 24, 1.5))),
    "onecycle": (lambda: sgd_two_groups(0.9), lambda o: S.OneCycleLR(o, max_lr=[0.1, 0.004], total_steps=SCHED_STEPS)),
    "onecycle_linear_adam": (adam_two_groups, lambda o: S.OneCycleLR(
        o, max_lr=[0.1, 0.004], total_steps=SCHED_STEPS, pct_start=0.25, anneal_strategy="linear",
        div_factor=10.0, final_div_factor=100.0)),
    "onecycle_three_phase": (lambda: sgd_two_groups(0.9), lambda o: S.OneCycleLR(
        o, max_lr=0.05, total_steps=SCHED_STEPS, three_phase=True, cycle_momentum=False)),
}
for name, (make_opt, make_sched) in SCHEDS.items():
    opt = make_opt()
    sched = make_sched(opt)
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [[g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]]
    for _ in range(SCHED_STEPS):
        opt.step()
        sched.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
    OPT[f"sched.{name}.lr"] = np.array(lrs, dtype=np.float64)
    OPT[f"sched.{name}.momentum"] = np.array(moms, dtype=np.float64)

# ReduceLROnPlateau, fed a fixed metric sequence; rows after each step(metric)
METRICS = np.array([1.0, 0.9, 0.91, 0.905, 0.95, 0.96, 0.97, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79995, 0.7, 0.71,
                    0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
OPT["plateau.metrics"] = METRICS
PLATEAUS = {
    "plateau_min_rel": dict(mode="min", factor=0.5, patience=2, threshold=1e-3, cooldown=1, min_lr=[0.01, 0.0001]),
    "plateau_max_abs": dict(mode="max", factor=0.2, patience=1, threshold=0.05, threshold_mode="abs"),
    "plateau_default": dict(),
}
for name, kw in PLATEAUS.items():
    opt = sgd_two_groups()
    sched = S.ReduceLROnPlateau(opt, **kw)
    lrs = []
    for m in METRICS:
        opt.step()
        sched.step(float(m))
        lrs.append([g["lr"] for g in opt.param_groups])
    OPT[f"sched.{name}.lr"] = np.array(lrs, dtype=np.float64)

write_safetensors("optim_golden.safetensors", {k: np.asarray(v) for k, v in OPT.items()},
                  "optimizer trajectories, clipping, scheduler learning rates")
