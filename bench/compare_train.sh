#!/usr/bin/env bash
# One training step of the MLP and the CNN (see TrainStepBench), Graft next to PyTorch, same
# machine, same thread counts, in one run. Prints a table of median/mean ms per step and the
# ratio Graft / PyTorch. Not part of .ci/run: it takes minutes and the machines are noisy.
#
# PyTorch is Debian's python3-torch (1.13). Its BLAS is whatever libblas.so.3 points to; Debian's
# default is the reference BLAS, so this script installs libopenblas0-pthread (which takes over
# libblas.so.3) when it can. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for the PyTorch
# command only, so OpenBLAS picks its own kernels; the core it picked is printed. OPENBLAS_NUM_THREADS
# is set to the thread count of each row (torch.set_num_threads alone leaves OpenBLAS on all cores).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
THREADS=${THREADS:-"1 2"}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch python3-numpy libopenblas0-pthread >/dev/null
    fi
fi

./mvnw -q -DskipTests package -pl bench -am 2>/dev/null || ./mvnw -q -DskipTests package -pl bench -am
. .mvn/find-java25.sh
graft_find_java25 || exit 1
JAVA="$JAVA_HOME/bin/java"

out=$(mktemp)
params=$(printf -- "-p threads=%s," $THREADS | sed 's/,$//; s/,-p threads=/,/g')
"$JAVA" -jar bench/target/benchmarks.jar TrainStepBench $params -wi 4 -w 2 -i 5 -r 2 -f 1 -rf csv -rff "$out.csv" >/dev/null
: > "$out.torch"
for t in $THREADS; do
    # one process per thread count: OpenBLAS reads its thread count from the environment at load
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" \
        /usr/bin/python3 bench/compare_pytorch.py "$t" >> "$out.torch"
done
core=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 -c "import ctypes
try:
    l = ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())
except OSError:
    print('not OpenBLAS')")

echo "# $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$JAVA" -version 2>&1 | head -1)"
echo "# PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), BLAS core: $core"
printf "%-6s %-8s %12s %14s %8s\n" model threads graft_ms pytorch_ms ratio
for t in $THREADS; do
    for m in mlp cnn; do
        g=$(awk -F, -v m="$m" -v t="$t" '{ sub(/\r$/, "") } $1 ~ /trainStep/ && $8 == m && $9 == t {print $5}' "$out.csv")
        p=$(grep "model=$m threads=$t " "$out.torch" | sed 's/.*ms_per_step=//')
        r=$(awk -v g="$g" -v p="$p" 'BEGIN { if (p > 0) printf "%.2f", g / p; else print "n/a" }')
        printf "%-6s %-8s %12.2f %14.2f %8s\n" "$m" "$t" "$g" "$p" "$r"
    done
done
rm -f "$out" "$out.csv" "$out.torch"
