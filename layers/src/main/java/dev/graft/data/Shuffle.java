package dev.graft.data;

import dev.graft.tensor.Generator;

/** Seeded permutations shared by the loader and the splits, so one seed means one order everywhere. */
final class Shuffle {
    private Shuffle() {
    }

    /** A uniform random permutation of {@code 0..n-1} (Fisher–Yates). */
    static int[] permutation(int n, Generator g) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p, g);
        return p;
    }

    static void shuffle(int[] a, Generator g) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = (int) g.nextLong(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * A generator for one epoch of one seed. The pair is hashed (SplitMix64's finaliser) rather
     * than added, because {@link Generator} seeds its four state words from seed + k·γ: seeds that
     * differ by γ would share three state words.
     */
    static Generator forEpoch(long seed, long epoch) {
        return new Generator(mix(mix(seed) ^ (epoch * 0xD1B54A32D192ED03L + 0x632BE59BD9B4E019L)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
