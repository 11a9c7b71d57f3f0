/** Model definitions shared by the command line and the benchmarks (the reference MLP and CNN). */
package dev.graft.transfer.models;
