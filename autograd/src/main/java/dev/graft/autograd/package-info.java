/**
 * Reverse-mode automatic differentiation, define-by-run (DESIGN.md decision 4).
 *
 * <p>The tensor core reports every op it runs to {@link dev.graft.autograd.Recorder} (found by
 * {@link java.util.ServiceLoader} through {@code dev.graft.tensor.spi.GradRecorder}); when grad mode
 * is on and an input requires grad, the recorder attaches a {@link dev.graft.autograd.Node} to the
 * output. {@link dev.graft.autograd.Engine} walks the nodes in reverse topological order and
 * accumulates gradients into leaves; the backward rule of every op lives in
 * {@link dev.graft.autograd.Rules}, one entry per op. Depends only on {@code graft-tensor}.
 */
package dev.graft.autograd;
