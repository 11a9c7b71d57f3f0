package dev.graft.data;

/** A training part and a validation part of one dataset, disjoint and together covering it. */
public record Split<T>(Subset<T> train, Subset<T> validation) {
}
