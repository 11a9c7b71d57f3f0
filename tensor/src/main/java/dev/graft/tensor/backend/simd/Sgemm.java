package dev.graft.tensor.backend.simd;

import dev.graft.tensor.backend.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, C = A * B, on the Vector API. A is packed into MR-row slivers, KC deep;
 * B is packed into NR-column panels unless its rows are unit-stride, in which case full panels
 * are read in place and only the ragged right edge is packed. A register-tiled MR x NR
 * micro-kernel of fused multiply-adds (MR = 8, NR = two vectors: 8 x 32 with AVX-512) runs over
 * them. Any strides are accepted for A and B, so transposed views never need to be materialised;
 * C is row-major with leading dimension ldc.
 *
 * <p>Parallel over a grid of (MC rows x NCB columns) tiles of C; every element of C is summed by
 * one task in the same k order, so the result does not depend on the thread count. Packing
 * buffers are per thread and reused between calls.
 *
 * <p>The micro-kernel (kernel) is generated code in effect: the accumulators must be separate
 * local variables, not an array, and the stores must be written inline rather than in a helper
 * taking vectors, or the JIT boxes every vector (measured: 4x slower).
 */
final class Sgemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    static final int MR = 8;
    static final int NR = 2 * VL;
    static final int KC = 256;
    static final int MC = 12 * MR;
    static final int NCB = 8 * NR;
    static final int NC = 64 * NR;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    private Sgemm() {
    }

    private static float[] buffer(int which, int size) {
        float[][] b = BUFFERS.get();
        if (b[which].length < size) {
            b[which] = new float[Math.max(size, b[which].length * 3 / 2)];
        }
        return b[which];
    }

    /** C(i,j) = sum_p A(i,p) B(p,j), with A(i,p) = a[ao + i*ars + p*acs] and B(p,j) = b[bo + p*brs + j*bcs]. */
    static void gemm(int m, int n, int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int brs, int bcs,
                     float[] c, int co, int ldc, boolean parallel) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                java.util.Arrays.fill(c, co + i * ldc, co + i * ldc + n, 0f);
            }
            return;
        }
        int mPanels = (m + MR - 1) / MR;
        boolean directB = bcs == 1;
        float[] ap = buffer(0, mPanels * MR * Math.min(k, KC));
        float[] bp = buffer(1, ((Math.min(n, NC) + NR - 1) / NR) * NR * Math.min(k, KC));
        boolean par = parallel && Parallel.threads() > 1 && 2L * m * n * k > 1L << 20;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int nPanels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean accumulate = pc > 0;
                int bBase = bo + pc * brs + jc * bcs;
                int aBase = ao + pc * acs;
                // pack what the kernel cannot read in place
                if (par && mPanels + nPanels > 8) {
                    Parallel.forRange(mPanels + nPanels, 4, (from, to) -> {
                        for (int t = from; t < to; t++) {
                            if (t < mPanels) {
                                packA(a, aBase, ars, acs, m, kc, t, ap);
                            } else if (!directB || (t - mPanels + 1) * NR > nc) {
                                packB(b, bBase, brs, bcs, kc, nc, t - mPanels, bp);
                            }
                        }
                    });
                } else {
                    for (int t = 0; t < mPanels; t++) {
                        packA(a, aBase, ars, acs, m, kc, t, ap);
                    }
                    for (int t = 0; t < nPanels; t++) {
                        if (!directB || (t + 1) * NR > nc) {
                            packB(b, bBase, brs, bcs, kc, nc, t, bp);
                        }
                    }
                }
                // tiles of about MC x NCB, sized evenly (in whole panels) so threads get equal shares;
                // column-major tile order, so contiguous task ranges split the columns first
                int mTiles = (m + MC - 1) / MC;
                int mcEff = ((mPanels + mTiles - 1) / mTiles) * MR;
                int nTiles = (nPanels * NR + NCB - 1) / NCB;
                int ncEff = ((nPanels + nTiles - 1) / nTiles) * NR;
                int tiles = mTiles * nTiles;
                int jcf = jc;
                Parallel.RangeBody body = (from, to) -> {
                    for (int t = from; t < to; t++) {
                        int nt = t / mTiles;
                        int mt = t % mTiles;
                        int iEnd = Math.min(m, (mt + 1) * mcEff);
                        int jEnd = Math.min(nc, (nt + 1) * ncEff);
                        for (int j0 = nt * ncEff; j0 < jEnd; j0 += NR) {
                            int nr = Math.min(NR, nc - j0);
                            boolean inPlace = directB && nr == NR;
                            float[] bArr = inPlace ? b : bp;
                            int bOff = inPlace ? bBase + j0 : (j0 / NR) * kc * NR;
                            int bStride = inPlace ? brs : NR;
                            for (int i0 = mt * mcEff; i0 < iEnd; i0 += MR) {
                                int mr = Math.min(MR, m - i0);
                                kernel(kc, ap, (i0 / MR) * kc * MR, bArr, bOff, bStride, c, co + i0 * ldc + jcf + j0, ldc, mr, nr,
                                        accumulate);
                            }
                        }
                    }
                };
                if (par) {
                    Parallel.forRange(tiles, 1, body);
                } else {
                    body.run(0, tiles);
                }
            }
        }
    }

    /** ap[panel][p][r] = A(panel*MR + r, p), zero beyond m. */
    private static void packA(float[] a, int ao, int ars, int acs, int m, int kc, int panel, float[] ap) {
        int i0 = panel * MR;
        int mr = Math.min(MR, m - i0);
        int dst = panel * kc * MR;
        if (ars == 1 && acs != 1 && mr == MR) {
            // A is a transposed view: its panel rows are contiguous runs of MR elements
            for (int p = 0; p < kc; p++) {
                System.arraycopy(a, ao + i0 + p * acs, ap, dst + p * MR, MR);
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            int src = ao + i0 * ars + p * acs;
            int d = dst + p * MR;
            int r = 0;
            for (; r < mr; r++) {
                ap[d + r] = a[src + r * ars];
            }
            for (; r < MR; r++) {
                ap[d + r] = 0f;
            }
        }
    }

    /** bp[panel][p][c] = B(p, panel*NR + c), zero beyond nc. */
    private static void packB(float[] b, int bo, int brs, int bcs, int kc, int nc, int panel, float[] bp) {
        int j0 = panel * NR;
        int nr = Math.min(NR, nc - j0);
        int dst = panel * kc * NR;
        if (brs == 1 && bcs != 1) {
            // B is a transposed view (a weight used as W^T): read each column's run along p
            // sequentially and scatter it into the panel, instead of striding through memory per element
            for (int q = 0; q < nr; q++) {
                int src = bo + (j0 + q) * bcs;
                for (int p = 0; p < kc; p++) {
                    bp[dst + p * NR + q] = b[src + p];
                }
            }
            for (int p = 0; p < kc; p++) {
                for (int q = nr; q < NR; q++) {
                    bp[dst + p * NR + q] = 0f;
                }
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            int src = bo + p * brs + j0 * bcs;
            int d = dst + p * NR;
            if (bcs == 1) {
                System.arraycopy(b, src, bp, d, nr);
            } else {
                for (int q = 0; q < nr; q++) {
                    bp[d + q] = b[src + q * bcs];
                }
            }
            for (int q = nr; q < NR; q++) {
                bp[d + q] = 0f;
            }
        }
    }

    /** An MR x NR tile of C from kc steps of packed A and B rows {@code bStride} apart. */
    private static void kernel(int kc, float[] ap, int apo, float[] b, int bo, int bStride, float[] c, int co, int ldc,
                               int mr, int nr, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        int pa = apo;
        int pb = bo;
        for (int p = 0; p < kc; p++, pa += MR, pb += bStride) {
            FloatVector b0 = FloatVector.fromArray(S, b, pb);
            FloatVector b1 = FloatVector.fromArray(S, b, pb + VL);
            FloatVector a0 = FloatVector.broadcast(S, ap[pa + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[pa + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[pa + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[pa + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[pa + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[pa + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[pa + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[pa + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        if (nr == NR) {
            int o0 = co + 0 * ldc;
            if (accumulate) {
                c00 = c00.add(FloatVector.fromArray(S, c, o0));
                c01 = c01.add(FloatVector.fromArray(S, c, o0 + VL));
            }
            c00.intoArray(c, o0);
            c01.intoArray(c, o0 + VL);
            if (mr > 1) {
                int o1 = co + 1 * ldc;
                if (accumulate) {
                    c10 = c10.add(FloatVector.fromArray(S, c, o1));
                    c11 = c11.add(FloatVector.fromArray(S, c, o1 + VL));
                }
                c10.intoArray(c, o1);
                c11.intoArray(c, o1 + VL);
            }
            if (mr > 2) {
                int o2 = co + 2 * ldc;
                if (accumulate) {
                    c20 = c20.add(FloatVector.fromArray(S, c, o2));
                    c21 = c21.add(FloatVector.fromArray(S, c, o2 + VL));
                }
                c20.intoArray(c, o2);
                c21.intoArray(c, o2 + VL);
            }
            if (mr > 3) {
                int o3 = co + 3 * ldc;
                if (accumulate) {
                    c30 = c30.add(FloatVector.fromArray(S, c, o3));
                    c31 = c31.add(FloatVector.fromArray(S, c, o3 + VL));
                }
                c30.intoArray(c, o3);
                c31.intoArray(c, o3 + VL);
            }
            if (mr > 4) {
                int o4 = co + 4 * ldc;
                if (accumulate) {
                    c40 = c40.add(FloatVector.fromArray(S, c, o4));
                    c41 = c41.add(FloatVector.fromArray(S, c, o4 + VL));
                }
                c40.intoArray(c, o4);
                c41.intoArray(c, o4 + VL);
            }
            if (mr > 5) {
                int o5 = co + 5 * ldc;
                if (accumulate) {
                    c50 = c50.add(FloatVector.fromArray(S, c, o5));
                    c51 = c51.add(FloatVector.fromArray(S, c, o5 + VL));
                }
                c50.intoArray(c, o5);
                c51.intoArray(c, o5 + VL);
            }
            if (mr > 6) {
                int o6 = co + 6 * ldc;
                if (accumulate) {
                    c60 = c60.add(FloatVector.fromArray(S, c, o6));
                    c61 = c61.add(FloatVector.fromArray(S, c, o6 + VL));
                }
                c60.intoArray(c, o6);
                c61.intoArray(c, o6 + VL);
            }
            if (mr > 7) {
                int o7 = co + 7 * ldc;
                if (accumulate) {
                    c70 = c70.add(FloatVector.fromArray(S, c, o7));
                    c71 = c71.add(FloatVector.fromArray(S, c, o7 + VL));
                }
                c70.intoArray(c, o7);
                c71.intoArray(c, o7 + VL);
            }
            return;
        }
        // a partial panel at the right edge: spill the tile, then copy the valid columns
        float[] tile = new float[MR * NR];
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + VL);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + VL);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + VL);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + VL);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + VL);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + VL);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + VL);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + VL);
        for (int r = 0; r < mr; r++) {
            int o = co + r * ldc;
            for (int q = 0; q < nr; q++) {
                c[o + q] = accumulate ? c[o + q] + tile[r * NR + q] : tile[r * NR + q];
            }
        }
    }
}
