package dev.graft.tensor;

/** How {@link Tensor#pad} fills the border. */
public enum PadMode {
    /** a fixed value */
    CONSTANT,
    /** mirror without repeating the edge: [a b c] -> b [a b c] b */
    REFLECT,
    /** repeat the edge: [a b c] -> a [a b c] c */
    REPLICATE
}
