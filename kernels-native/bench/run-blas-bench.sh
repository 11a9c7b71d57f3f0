#!/usr/bin/env bash
# SGEMM through Graft -> FFM -> OpenBLAS next to the same OpenBLAS called from C, plus the matmul
# crossover between the blas and java-simd backends. See bench/RESULTS.md for recorded numbers.
#
#   kernels-native/bench/run-blas-bench.sh [--quick] [--no-crossover]
#
# Both sides use the one libopenblas.so.0 Graft extracts from org.bytedeco:openblas
# (-Dgraft.blas.library=bundled; the C program is linked against that file) and the same thread
# count (GRAFT_THREADS, default: all processors). Everything runs twice: with OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE removed from the environment (OpenBLAS picks its kernels from the CPU), and with
# OPENBLAS_CORETYPE=Haswell (the AVX2 kernels these machines' environment selects). Only the
# commands below see the change; tests and CI never touch these variables.
#
# Output: the C lines, JMH's tables, and JMH JSON in kernels-native/target/blas-bench/.
set -euo pipefail

root=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$root"
. "$root/.mvn/find-java25.sh"
graft_find_java25 || exit 1

quick=0
crossover=1
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --no-crossover) crossover=0 ;;
    *) echo "usage: $0 [--quick] [--no-crossover]" >&2; exit 64 ;;
  esac
done

threads=${GRAFT_THREADS:-$(nproc)}
out=kernels-native/target/blas-bench
mkdir -p "$out"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)

if [[ -z ${GRAFT_BLAS_BENCH_LOCKED:-} ]]; then
  ./mvnw -q -DskipTests package -pl bench -am
  # This is often a shared machine. Hold JMH's own lock (/tmp/jmh.lock, the one every JMH run takes)
  # for the whole run, C program included, waiting while another JMH run holds it; our JMH runs are
  # told to ignore the lock we hold. Another JMH started meanwhile refuses to run instead of skewing
  # both measurements.
  mkdir -p kernels-native/target/blas-bench
  holder=kernels-native/target/blas-bench/HoldJmhLock.java
  cat >"$holder" <<'JAVA'
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

public class HoldJmhLock {
    public static void main(String[] cmd) throws Exception {
        Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "jmh.lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock;
            for (int s = 0; (lock = ch.tryLock()) == null; s++) {
                if (s % 60 == 0) {
                    System.err.println("run-blas-bench: waiting for another JMH run to finish (" + lockFile + ")");
                }
                Thread.sleep(1000);
            }
            int rc = new ProcessBuilder(cmd).inheritIO().start().waitFor();
            lock.release();
            System.exit(rc);
        }
    }
}
JAVA
  exec "$JAVA_HOME/bin/java" "$holder" env GRAFT_BLAS_BENCH_LOCKED=1 "$root/kernels-native/bench/run-blas-bench.sh" "$@"
fi
jar=bench/target/benchmarks.jar
flags=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
jvm_args="${flags[*]} -Dgraft.threads=$threads -Dgraft.blas.library=bundled"
nolock=-Djmh.ignoreLock=true # we hold the lock (see above)

lib=$("$JAVA_HOME/bin/java" "${flags[@]}" -Dgraft.blas.library=bundled -cp "$jar" dev.graft.nativeblas.Cblas 2>/dev/null | head -1)
[[ -f $lib ]] || { echo "run-blas-bench: Graft found no bundled OpenBLAS (got '$lib')" >&2; exit 1; }
libdir=$(dirname "$lib")
gcc -O2 -o "$out/sgemm" kernels-native/bench/sgemm.c -L"$libdir" -l:libopenblas.so.0 -Wl,-rpath,"$libdir"

# other-cpu (ContentionProfiler) = cores other processes used meanwhile: this is often a shared machine
jmh_time=(-wi 3 -w 1 -i 5 -r 1 -prof dev.graft.bench.ContentionProfiler)
if ((quick)); then jmh_time=(-wi 2 -w 1 -i 3 -r 1 -prof dev.graft.bench.ContentionProfiler); fi

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) CPUs; threads $threads; $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
echo "library: $lib"

for mode in auto Haswell; do
  if [[ $mode == auto ]]; then
    envc=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads")
    label="OPENBLAS_CORETYPE unset"
  else
    envc=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS="$threads")
    label="OPENBLAS_CORETYPE=Haswell"
  fi
  echo
  echo "=== $label: C (cblas_sgemm called directly) ==="
  "${envc[@]}" "$out/sgemm" 1 2 4 8 64 256 1024 2048
  echo
  echo "=== $label: Java (BlasBench.sgemmFfm, downcallOnly) ==="
  "${envc[@]}" "$JAVA_HOME/bin/java" "${flags[@]}" -Dgraft.blas.library=bundled -cp "$jar" dev.graft.nativeblas.Cblas 2>/dev/null | sed -n 's/^core:/core (Java side):/p'
  "${envc[@]}" "$JAVA_HOME/bin/java" "$nolock" -jar "$jar" 'BlasBench\.(sgemmFfm|downcallOnly)' "${jmh_time[@]}" \
    -jvmArgsAppend "$jvm_args" -rf json -rff "$out/$stamp-$mode-ffm.json"
  if ((crossover)) && [[ $mode == auto ]]; then
    echo
    echo "=== $label: crossover (BlasBench.matmulBlas vs matmulJava, Tensor.matmul) ==="
    "${envc[@]}" "$JAVA_HOME/bin/java" "$nolock" -jar "$jar" 'BlasBench\.matmul(Blas|Java)' "${jmh_time[@]}" \
      -jvmArgsAppend "$jvm_args" -rf json -rff "$out/$stamp-crossover.json"
  fi
done
