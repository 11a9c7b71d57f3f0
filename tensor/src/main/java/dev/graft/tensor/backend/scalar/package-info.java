/** The reference backend: obvious element-at-a-time code that defines what every primitive computes. */
package dev.graft.tensor.backend.scalar;
