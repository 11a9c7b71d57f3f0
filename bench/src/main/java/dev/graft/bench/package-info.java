/**
 * JMH benchmarks for Graft's tensor kernels; packaged as {@code bench/target/benchmarks.jar} and
 * run with {@code bench/run.sh} (see {@code bench/README.md}). {@link dev.graft.bench.BenchMain} is
 * JMH's command line plus a Markdown summary, {@link dev.graft.bench.ContentionProfiler} records
 * the load other processes put on the machine. Nothing depends on this module.
 */
package dev.graft.bench;
