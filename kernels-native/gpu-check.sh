#!/usr/bin/env bash
# GPU check for Graft's CUDA bindings (kernels-native), runnable on a machine with an NVIDIA GPU
# and neither Maven nor internet.
#
#   kernels-native/gpu-check.sh bundle [DIR] [--without-openblas]
#       Here, in a checkout: builds the jars, makes a trimmed JDK with jlink (java.base,
#       jdk.incubator.vector and what jdeps says the jars need) and writes
#       DIR/graft-gpu-check/ and DIR/graft-gpu-check.tar.gz (DIR defaults to kernels-native/target).
#       Fails if the archive is 60 MB or more. The OpenBLAS jar (about 20 MB) goes in too, so the
#       GPU machine's CPU BLAS is timed next to cuBLAS; --without-openblas leaves it out.
#
#   ./gpu-check.sh run [--size N] [--no-perf]     (inside the unpacked bundle)
#   kernels-native/gpu-check.sh run [...]         (in a built checkout, with a JDK 25)
#       Runs dev.graft.nativeblas.cuda.GpuCheck: cuBLAS SGEMM vs Graft's Java backend on many
#       shapes (normwise relative error < 1e-5 for FP32, < 5e-3 for TF32), a strided batch,
#       alpha/beta; device tensors on cuda:0 (PASS/FAIL per check: round trips, matmul of views,
#       DeviceScope, use after release ..., then the NVRTC-compiled elementwise kernels: every
#       unary/binary op, where, fill, copy, reduce vs the Java reference, a model chain and an MLP
#       step with no host fallback, add bandwidth); then GFLOP/s of an N^3 SGEMM (default 4096) on every
#       path, then the same product in PyTorch when `python3 -c "import torch"` sees the GPU.
#
# Exit status of run: 0 pass, 1 a check failed, 2 no usable CUDA here (the reason is printed).
set -euo pipefail

here=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
flags=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 64
}

newest_jar() { # newest main jar matching $1 (a glob), or nothing
  local f best=""
  for f in $1; do
    [[ -f $f ]] || continue
    case $f in *-sources.jar | *-javadoc.jar | *-tests.jar) continue ;; esac
    if [[ -z $best || $f -nt $best ]]; then best=$f; fi
  done
  echo "$best"
}

bundle() {
  local root dest="" with_openblas=1
  root=$(CDPATH='' cd -- "$here/.." && pwd -P)
  for a in "$@"; do
    case $a in
      --without-openblas) with_openblas=0 ;;
      -*) usage ;;
      *) dest=$a ;;
    esac
  done
  dest=${dest:-$root/kernels-native/target}
  # shellcheck source=../.mvn/find-java25.sh
  . "$root/.mvn/find-java25.sh"
  graft_find_java25 || exit 1
  (cd "$root" && ./mvnw -q -DskipTests package -pl kernels-native,bench -am)
  local tensor_jar native_jar
  tensor_jar=$(newest_jar "$root/tensor/target/graft-tensor-*.jar")
  native_jar=$(newest_jar "$root/kernels-native/target/graft-kernels-native-*.jar")
  [[ -n $tensor_jar && -n $native_jar ]] || { echo "gpu-check: jars missing after the build" >&2; exit 1; }

  local b="$dest/graft-gpu-check"
  rm -rf "$b" "$dest/graft-gpu-check.tar.gz"
  mkdir -p "$b/lib"
  cp "$tensor_jar" "$native_jar" "$b/lib/"
  # the training-step check (dev.graft.bench.DeviceTrainStep) needs autograd, layers, the reference
  # models in transfer and the bench classes; none of their third-party dependencies
  local m j
  for m in autograd layers transfer bench; do
    j=$(newest_jar "$root/$m/target/graft-$m-*.jar")
    [[ -n $j ]] || { echo "gpu-check: graft-$m jar missing after the build" >&2; exit 1; }
    cp "$j" "$b/lib/"
  done
  if ((with_openblas)); then
    cp "$root"/kernels-native/target/lib/openblas-*.jar "$b/lib/"
  fi
  local mods
  # modules of the code the checks run (layers' PNG charts would pull in java.desktop, 15 MB, unused here)
  mods=$("$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
    --add-modules jdk.incubator.vector "$b"/lib/graft-tensor-*.jar "$b"/lib/graft-kernels-native-*.jar "$b"/lib/graft-autograd-*.jar)
  mods="$mods,jdk.incubator.vector"
  "$JAVA_HOME/bin/jlink" --add-modules "$mods" --strip-debug --no-header-files --no-man-pages \
    --compress=zip-9 --output "$b/jdk"
  cp "$here/gpu-check.sh" "$b/gpu-check.sh"
  chmod +x "$b/gpu-check.sh"
  (cd "$dest" && tar -czf graft-gpu-check.tar.gz graft-gpu-check)
  local size
  size=$(stat -c %s "$dest/graft-gpu-check.tar.gz")
  echo "gpu-check: bundle $b (JDK modules: $mods)"
  echo "gpu-check: archive $dest/graft-gpu-check.tar.gz, $((size / 1024 / 1024)) MB ($size bytes); unpacked $(du -sh "$b" | cut -f1)"
  if ((size >= 60 * 1024 * 1024)); then
    echo "gpu-check: the archive is over the 60 MB budget" >&2
    exit 1
  fi
  echo "gpu-check: on the GPU machine: tar xzf graft-gpu-check.tar.gz && graft-gpu-check/gpu-check.sh run"
}

torch_peer() {
  local size=$1
  command -v python3 >/dev/null 2>&1 || { echo "gpu-check: no python3; PyTorch comparison skipped"; return 0; }
  if ! python3 -c "import torch; assert torch.cuda.is_available()" >/dev/null 2>&1; then
    echo "gpu-check: PyTorch with CUDA not importable here; comparison skipped"
    return 0
  fi
  python3 - "$size" <<'PY'
import sys, time, torch
n = int(sys.argv[1])
a = torch.randn(n, n, device="cuda")
b = torch.randn(n, n, device="cuda")
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        a @ b
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    s = sorted(times)[len(times) // 2]
    print(f"| PyTorch {torch.__version__} {'TF32' if tf32 else 'FP32'}, device-resident | {s:.5f} | {2 * n**3 / s / 1e9:.0f} |")
PY
}

torch_train_peer() { # the same training steps in PyTorch on the GPU
  python3 -c "import torch; assert torch.cuda.is_available()" >/dev/null 2>&1 || return 0
  python3 - <<'PY'
import statistics, time, torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
for name in ("mlp", "cnn"):
    if name == "mlp":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        x = torch.randn(128, 784)
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 10))
        x = torch.randn(64, 1, 28, 28)
    net = net.cuda()
    x = x.cuda()
    y = torch.randint(0, 10, (x.shape[0],), device="cuda")
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    times = []
    for i in range(40):
        t0 = time.perf_counter()
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= 10:
            times.append((time.perf_counter() - t0) * 1000)
    print(f"| PyTorch {torch.__version__} {name.upper()} training step on cuda:0 (median of 30) | {statistics.median(times):.3f} ms |")
PY
}

run() {
  local java cp size=4096 args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    [[ ${args[i]} == --size ]] && size=${args[i + 1]}
  done
  if [[ -x $here/jdk/bin/java ]]; then # inside the bundle
    java=$here/jdk/bin/java
    cp="$here/lib/*"
  else # in a checkout: the built jars
    local root
    root=$(CDPATH='' cd -- "$here/.." && pwd -P)
    # shellcheck source=../.mvn/find-java25.sh
    . "$root/.mvn/find-java25.sh"
    graft_find_java25 || exit 1
    java=$JAVA_HOME/bin/java
    local t n
    t=$(newest_jar "$root/tensor/target/graft-tensor-*.jar")
    n=$(newest_jar "$root/kernels-native/target/graft-kernels-native-*.jar")
    [[ -n $t && -n $n ]] || { echo "gpu-check: build first: ./mvnw -DskipTests package -pl kernels-native -am" >&2; exit 1; }
    cp="$t:$n:$root/kernels-native/target/lib/*"
  fi
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi -L || true
  fi
  local rc=0
  "$java" "${flags[@]}" -cp "$cp" dev.graft.nativeblas.cuda.GpuCheck "$@" || rc=$?
  if ((rc == 2)); then
    echo "gpu-check: no CUDA here; nothing was checked (see the reason above)"
    exit 2
  fi
  if ((rc == 0)) && [[ " $* " != *" --no-perf "* ]]; then
    torch_peer "$size"
    if compgen -G "$here/lib/graft-bench-*.jar" >/dev/null; then # in the bundle: the training step on the GPU
      "$java" "${flags[@]}" -cp "$cp" dev.graft.bench.DeviceTrainStep cuda:0 || rc=$?
      torch_train_peer
    fi
  fi
  exit "$rc"
}

case ${1:-} in
  bundle) shift; bundle "$@" ;;
  run) shift; run "$@" ;;
  *) usage ;;
esac
