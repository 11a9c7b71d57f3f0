/**
 * Training checkpoints: model, optimizer, metadata and generator states in one atomically written
 * safetensors file whose model part PyTorch reads as a plain state dict. JDK-only.
 */
package dev.graft.checkpoint;
