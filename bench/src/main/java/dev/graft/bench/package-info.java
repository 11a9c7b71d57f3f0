/** JMH benchmarks for Graft's tensor kernels; packaged as {@code bench/target/benchmarks.jar}. */
package dev.graft.bench;
