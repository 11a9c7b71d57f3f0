package dev.graft.tensor;

/**
 * A seeded pseudo-random generator: xoshiro256** whose state is four SplitMix64 outputs
 * started from the hashed seed, so the same seed
 * gives the same numbers on every machine and JDK (unlike {@link java.util.Random}'s unspecified
 * successors). Not thread-safe: use one per thread or synchronise.
 */
public final class Generator {
    private long s0;
    private long s1;
    private long s2;
    private long s3;
    private double spareGaussian = Double.NaN;

    public Generator(long seed) {
        // The seed is hashed before the SplitMix64 sequence starts, so seeds that differ by the
        // sequence's increment (seed and seed + 0x9E37...) do not share three of four state words.
        long x = mix(seed ^ 0x6A09E667F3BCC909L);
        x += 0x9E3779B97F4A7C15L;
        s0 = mix(x);
        x += 0x9E3779B97F4A7C15L;
        s1 = mix(x);
        x += 0x9E3779B97F4A7C15L;
        s2 = mix(x);
        x += 0x9E3779B97F4A7C15L;
        s3 = mix(x);
    }

    /** The complete state (four words and the cached Gaussian), for checkpoints. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3, Double.doubleToRawLongBits(spareGaussian)};
    }

    /** Restores a state captured by {@link #state()}; the generator then continues exactly where that one was. */
    public void restore(long[] state) {
        if (state.length != 5 || (state[0] | state[1] | state[2] | state[3]) == 0) {
            throw new IllegalArgumentException("Generator.restore: expected the 5 words of state(), got " + state.length
                    + " words" + (state.length == 5 ? " that are all zero" : ""));
        }
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
        spareGaussian = Double.longBitsToDouble(state[4]);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, bound) without modulo bias. */
    public long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
        while (true) {
            long r = nextLong() >>> 1;
            if (r < limit) {
                return r % bound;
            }
        }
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Standard normal by the Box–Muller transform (both values are used). */
    public double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) {
            double g = spareGaussian;
            spareGaussian = Double.NaN;
            return g;
        }
        double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        spareGaussian = r * Math.sin(2 * Math.PI * u2);
        return r * Math.cos(2 * Math.PI * u2);
    }
}
