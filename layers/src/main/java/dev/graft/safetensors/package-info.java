/**
 * The safetensors format: a validating, memory-mapped reader ({@link dev.graft.safetensors.SafeTensorsFile}),
 * an atomic writer and sharded-checkpoint loading ({@link dev.graft.safetensors.SafeTensors}). JDK-only,
 * including the small JSON parser for headers, so checkpoints need no extra dependency.
 */
package dev.graft.safetensors;
