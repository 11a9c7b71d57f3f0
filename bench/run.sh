#!/bin/sh
# Builds the JMH benchmarks and runs them; see bench/README.md.
#
#   bench/run.sh                  every benchmark, the settings in the annotations (about 10 minutes)
#   bench/run.sh --quick          every benchmark, 2 warmup iterations of 1 s + 2 measurement of 0.5 s (about 5)
#                                 (a -wi/-i/-w/-r given in ARGS wins over --quick's)
#   bench/run.sh [--quick] ARGS   ARGS go to JMH unchanged, e.g. 'MatmulBench -p n=512 -p threads=2'
#                                 (-h lists JMH's options; -l lists the benchmarks)
#
# Results: bench/results/<UTC date and time>.json (JMH JSON) and .md (tables with GFLOP/s and
# speedups), both ignored by git.
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
cd "$root"

# The same JDK 25 search as ./mvnw, so the benchmarks run on the JDK that built them.
. "$root/.mvn/find-java25.sh"
graft_find_java25 || exit 1

./mvnw -q -DskipTests package -pl bench -am

mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%dT%H%M%SZ).json"

# BenchMain is JMH's command line plus --quick and the Markdown summary. ContentionProfiler records
# how many cores other processes used during each iteration (this is often a shared machine). The
# flags also reach this JVM, not only the forks, so '-f 0' (run in-process) works too.
exec "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp bench/target/benchmarks.jar dev.graft.bench.BenchMain \
  -prof dev.graft.bench.ContentionProfiler -rf json -rff "$out" "$@"
