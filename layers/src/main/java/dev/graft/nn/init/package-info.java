/** Weight initialisers (PyTorch's definitions), deterministic under a seeded generator. JDK-only. */
package dev.graft.nn.init;
