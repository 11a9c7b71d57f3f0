#!/bin/sh
# SGEMM, Graft's pure-Java kernel vs OpenBLAS (FFM, the bundled libopenblas.so.0), same JVM, same run:
#
#   bench/gemm-compare.sh [JMH ARGS]     e.g. -p threads=1 -p shape=256x256x256,1024x1024x1024
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment of this command only, so
# OpenBLAS chooses its kernels from the CPU (these machines set Haswell for safety; tests and CI
# never change that). Prints GFLOP/s and Graft time / OpenBLAS time per shape and thread count;
# JMH's JSON goes to bench/results/gemm-<UTC time>.json.
set -eu
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
cd "$root"
. "$root/.mvn/find-java25.sh"
graft_find_java25 || exit 1
./mvnw -q -DskipTests package -pl bench -am
mkdir -p bench/results
out="bench/results/gemm-$(date -u +%Y-%m-%dT%H%M%SZ).json"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector \
  --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar org.openjdk.jmh.Main SgemmBench \
  -prof dev.graft.bench.ContentionProfiler -rf json -rff "$out" "$@"
python3 "$root/bench/tools/gemm_ratios.py" "$out"
