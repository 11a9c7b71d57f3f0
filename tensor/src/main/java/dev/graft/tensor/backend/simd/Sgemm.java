package dev.graft.tensor.backend.simd;

import dev.graft.tensor.backend.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, C = A * B, on the Vector API: both operands are packed into panels
 * (A in MR-row slivers, B in NR-column slivers, KC deep) and a register-tiled MR x NR micro-kernel
 * of fused multiply-adds runs over them. Any strides are accepted for A and B, so transposed
 * views never need to be materialised; C is row-major with leading dimension ldc.
 *
 * <p>Parallel over a grid of (MC rows x NCB columns) tiles of C; every element of C is summed by
 * one task in the same k order, so the result does not depend on the thread count. Block sizes
 * are fixed here and tuned in the fast-kernels work.
 */
final class Sgemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    static final int MR = 6;
    static final int NR = 2 * VL;
    static final int KC = 256;
    static final int MC = 16 * MR;
    static final int NCB = 8 * NR;
    static final int NC = 64 * NR;

    private Sgemm() {
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
        float[] ap = new float[mPanels * MR * Math.min(k, KC)];
        float[] bp = new float[((Math.min(n, NC) + NR - 1) / NR) * NR * Math.min(k, KC)];
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int nPanels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean accumulate = pc > 0;
                packB(b, bo + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
                packA(a, ao + pc * acs, ars, acs, m, kc, ap);
                int mTiles = (m + MC - 1) / MC;
                int nTiles = (nPanels * NR + NCB - 1) / NCB;
                int tiles = mTiles * nTiles;
                int jcf = jc;
                Parallel.RangeBody body = (from, to) -> {
                    for (int t = from; t < to; t++) {
                        int mt = t / nTiles;
                        int nt = t % nTiles;
                        int iEnd = Math.min(m, (mt + 1) * MC);
                        int jEnd = Math.min(nc, (nt + 1) * NCB);
                        for (int j0 = nt * NCB; j0 < jEnd; j0 += NR) {
                            int nr = Math.min(NR, nc - j0);
                            int bpo = (j0 / NR) * kc * NR;
                            for (int i0 = mt * MC; i0 < iEnd; i0 += MR) {
                                int mr = Math.min(MR, m - i0);
                                kernel(kc, ap, (i0 / MR) * kc * MR, bp, bpo, c, co + i0 * ldc + jcf + j0, ldc, mr, nr, accumulate);
                            }
                        }
                    }
                };
                long flops = 2L * m * nc * kc;
                if (parallel && flops > 1 << 18) {
                    Parallel.forRange(tiles, 1, body);
                } else {
                    body.run(0, tiles);
                }
            }
        }
    }

    /** ap[panel][p][r] = A(panel*MR + r, p), zero beyond m. */
    private static void packA(float[] a, int ao, int ars, int acs, int m, int kc, float[] ap) {
        int mPanels = (m + MR - 1) / MR;
        for (int panel = 0; panel < mPanels; panel++) {
            int i0 = panel * MR;
            int mr = Math.min(MR, m - i0);
            int dst = panel * kc * MR;
            for (int p = 0; p < kc; p++) {
                int src = ao + i0 * ars + p * acs;
                int r = 0;
                for (; r < mr; r++) {
                    ap[dst + p * MR + r] = a[src + r * ars];
                }
                for (; r < MR; r++) {
                    ap[dst + p * MR + r] = 0f;
                }
            }
        }
    }

    /** bp[panel][p][c] = B(p, panel*NR + c), zero beyond nc. */
    private static void packB(float[] b, int bo, int brs, int bcs, int kc, int nc, float[] bp) {
        int nPanels = (nc + NR - 1) / NR;
        for (int panel = 0; panel < nPanels; panel++) {
            int j0 = panel * NR;
            int nr = Math.min(NR, nc - j0);
            int dst = panel * kc * NR;
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
    }

    private static void kernel(int kc, float[] ap, int apo, float[] bp, int bpo, float[] c, int co, int ldc,
                               int mr, int nr, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int pa = apo;
        int pb = bpo;
        for (int p = 0; p < kc; p++, pa += MR, pb += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, pb);
            FloatVector b1 = FloatVector.fromArray(S, bp, pb + VL);
            FloatVector a = FloatVector.broadcast(S, ap[pa]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[pa + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[pa + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[pa + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[pa + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[pa + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        // Stores are written out here rather than in a helper taking vectors: a call that is not
        // inlined would box all twelve accumulators.
        if (nr == NR) {
            int o = co;
            if (accumulate) {
                c00 = c00.add(FloatVector.fromArray(S, c, o));
                c01 = c01.add(FloatVector.fromArray(S, c, o + VL));
            }
            c00.intoArray(c, o);
            c01.intoArray(c, o + VL);
            if (mr > 1) {
                o += ldc;
                if (accumulate) {
                    c10 = c10.add(FloatVector.fromArray(S, c, o));
                    c11 = c11.add(FloatVector.fromArray(S, c, o + VL));
                }
                c10.intoArray(c, o);
                c11.intoArray(c, o + VL);
            }
            if (mr > 2) {
                o += ldc;
                if (accumulate) {
                    c20 = c20.add(FloatVector.fromArray(S, c, o));
                    c21 = c21.add(FloatVector.fromArray(S, c, o + VL));
                }
                c20.intoArray(c, o);
                c21.intoArray(c, o + VL);
            }
            if (mr > 3) {
                o += ldc;
                if (accumulate) {
                    c30 = c30.add(FloatVector.fromArray(S, c, o));
                    c31 = c31.add(FloatVector.fromArray(S, c, o + VL));
                }
                c30.intoArray(c, o);
                c31.intoArray(c, o + VL);
            }
            if (mr > 4) {
                o += ldc;
                if (accumulate) {
                    c40 = c40.add(FloatVector.fromArray(S, c, o));
                    c41 = c41.add(FloatVector.fromArray(S, c, o + VL));
                }
                c40.intoArray(c, o);
                c41.intoArray(c, o + VL);
            }
            if (mr > 5) {
                o += ldc;
                if (accumulate) {
                    c50 = c50.add(FloatVector.fromArray(S, c, o));
                    c51 = c51.add(FloatVector.fromArray(S, c, o + VL));
                }
                c50.intoArray(c, o);
                c51.intoArray(c, o + VL);
            }
            return;
        }
        // a partial panel at the right edge: spill the tile, then copy the valid columns
        float[] tile = new float[MR * NR];
        c00.intoArray(tile, 0);
        c01.intoArray(tile, VL);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + VL);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + VL);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + VL);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + VL);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + VL);
        for (int r = 0; r < mr; r++) {
            int o = co + r * ldc;
            for (int q = 0; q < nr; q++) {
                c[o + q] = accumulate ? c[o + q] + tile[r * NR + q] : tile[r * NR + q];
            }
        }
    }
}
