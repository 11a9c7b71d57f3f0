package dev.graft.onnx.ops;

import dev.graft.tensor.Tensor;

/**
 * The random numbers of a seeded training-mode Dropout: the 32-bit Mersenne Twister (MT19937)
 * seeded as {@code numpy.random.seed(seed)} seeds it, and uniform doubles made from two 32-bit
 * draws as {@code numpy.random.random_sample} makes them. ONNX's reference implementation draws
 * its dropout mask this way, so a node with a {@code seed} attribute gives the reference's mask;
 * the algorithm is the published MT19937 (Matsumoto and Nishimura, 1998).
 */
final class ShapeOpsRandom {
    private static final int N = 624;
    private static final int M = 397;

    private final int[] mt = new int[N];
    private int index = N;

    private ShapeOpsRandom(long seed) {
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
    }

    /** float64 values uniform in [0, 1), in row-major order of {@code shape}. */
    static Tensor uniform(long seed, int[] shape) {
        ShapeOpsRandom g = new ShapeOpsRandom(seed);
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = g.nextDouble();
        }
        return Tensor.fromArray(v).reshape(shape);
    }

    private double nextDouble() {
        long a = Integer.toUnsignedLong(nextInt()) >>> 5;
        long b = Integer.toUnsignedLong(nextInt()) >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    private int nextInt() {
        if (index >= N) {
            for (int i = 0; i < N; i++) {
                int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
                mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            index = 0;
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }
}
