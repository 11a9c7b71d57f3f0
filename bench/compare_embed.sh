#!/usr/bin/env bash
# MiniLM sentence-embedding speed: Graft (ONNX executor) next to ONNX Runtime Java, in one JVM,
# same thread count, same token ids. Batch 32 x 16 tokens (throughput), batch 1 x 16 (latency),
# batch 32 x 64; fp32 and int8; 1 and 2 threads. Not part of CI (slow, noisy machines).
# Usage: bench/compare_embed.sh [threads...]     (default: 1 2)
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
# shellcheck source=../.mvn/find-java25.sh
. .mvn/find-java25.sh
graft_find_java25 || exit 1
export JAVA_HOME
threads=("$@")
[ ${#threads[@]} -eq 0 ] && threads=(1 2)
./mvnw -q -B install -DskipTests >/dev/null
./mvnw -q -B test-compile -pl transfer >/dev/null
cp_file=$(mktemp)
./mvnw -q -B dependency:build-classpath -pl transfer -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
cp="transfer/target/test-classes:transfer/target/classes:$(cat "$cp_file")"
rm -f "$cp_file"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) vCPU, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); ONNX Runtime $(basename "$(grep -o '[^:]*onnxruntime-[0-9.]*\.jar' <<<"$cp" | head -1)" .jar | sed 's/onnxruntime-//')"
for t in "${threads[@]}"; do
  for variant in fp32 quantized; do
    "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g \
      -cp "$cp" dev.graft.transfer.embed.EmbedBenchmark "$t" "$variant" 2>/dev/null
  done
done
