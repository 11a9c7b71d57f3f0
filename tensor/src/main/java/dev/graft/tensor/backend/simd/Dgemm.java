package dev.graft.tensor.backend.simd;

import dev.graft.tensor.backend.CpuCaches;
import dev.graft.tensor.backend.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Double-precision GEMM, C = alpha * A B + beta * C, on the Vector API, for any element strides of
 * A and B (every transpose combination is read in place or packed, never materialised); C is
 * row-major with leading dimension ldc. The float64 counterpart of {@link Sgemm}'s two main paths:
 * <ul>
 *   <li>N <= {@link #DOT_MAX_N} (matrix times vector): dot products along K, A's rows and B's
 *       columns copied to unit stride along K first where they are not;</li>
 *   <li>M < MR: the skinny path, 4 x 2-, 2 x 4- and 1 x 8-vector kernels reading A in place, over
 *       the whole K at once, B read in place when its rows are unit-stride (else packed a strip at a
 *       time);</li>
 *   <li>otherwise the blocked path (Goto/BLIS): NC columns of C at a time, KC steps of K, B packed
 *       into KC x NR panels, MC rows of A packed into KC x MR slivers, and the MR x NR register tile
 *       ({@link DgemmKernels}, 8 x 2 vectors: 8 x 16 doubles with 512-bit vectors) with the B panel
 *       outer. Right-edge panels of one vector or less use the 8 x 1-vector kernel. As in SGEMM,
 *       B with unit-stride rows is read in place for M <= {@link #DIRECT_B_MAX_M} and A in place for
 *       N <= {@link #DIRECT_A_MAX_N}, with limits measured for float64.</li>
 * </ul>
 * The blocking comes from {@link CpuCaches} with 8-byte elements (half as many elements per cache
 * as SGEMM). Parallel from {@link #PARALLEL_MIN_FLOPS} over a static grid of blocks of C, one per
 * thread (the larger of M and N split in whole panels), each task running the sequential algorithm
 * with its own packing buffers. Each element of C is one FMA chain over p, in KC blocks added to C
 * one after another, whichever task and tile covers it, so results are identical for every thread
 * count.
 */
final class Dgemm {
    static final VectorSpecies<Double> S = DgemmKernels.S;
    static final int VL = DgemmKernels.VL;
    static final int MR = 8;
    static final int NR = 2 * VL;
    /** Inner-dimension block: a KC x NR panel of B is 1/16 of L2, as for SGEMM (512 with 1 MiB and 512-bit vectors). */
    static final int KC = Sgemm.prop("graft.dgemm.kc", clamp(CpuCaches.l2() / (16L * NR * Double.BYTES), 64, 512) / 8 * 8);
    /** Row block: an MC x KC block of packed A fills about half of L2. */
    static final int MC = Sgemm.prop("graft.dgemm.mc", clamp(CpuCaches.l2() / (2L * KC * Double.BYTES), MR, 1024) / MR * MR);
    /** Column block: a KC x NC block of packed B, at most a quarter of L3 (shared) or 4 MiB. */
    static final int NC = Sgemm.prop("graft.dgemm.nc",
            clamp(Math.min(CpuCaches.l3() / 4, 4 << 20) / ((long) KC * Double.BYTES), 4 * NR, 1 << 16) / NR * NR);
    /**
     * Up to this many rows, B with unit-stride rows is read in place rather than packed. Higher than
     * SGEMM's 32: measured on 1 thread, Graft/OpenBLAS with the limit at 32 vs 256: 64x384x1536 0.64 vs
     * 0.83, 128x384x1536 0.83 vs 0.91, 256^3 0.98 vs 1.03, 256x384x1536 0.82 both; B in place at every M
     * lost at 512^3 (0.88 vs 0.95 packed) and 1024^3 (0.80 vs 0.90): packed B pays once many row slivers reuse it.
     */
    static final int DIRECT_B_MAX_M = Sgemm.prop("graft.dgemm.directBMaxM", 32 * MR);
    /** Up to this many columns, A is read in place rather than packed (broadcasts from MR rows), as SGEMM. */
    static final int DIRECT_A_MAX_N = Sgemm.prop("graft.dgemm.directAMaxN", 8 * NR);
    /**
     * Up to this many columns, C is computed as dot products along K (matrix times vector and other very
     * narrow products). Measured on 1 thread, dot vs 8 x 1-vector kernels (GFLOP/s, M x K x N): 1024x1024x1
     * 12.8 vs 4.6, 500x500x4 31.7 vs 18.6, 256x256x5 20-21 both, 256x256x6 28.7 vs 25.4 but 64x64x6 10.1 vs
     * 17.9 (B copied to unit stride along K), 256x256x8 28.6 vs 37.3 (the 8 x 1 kernel's lanes are all used).
     */
    static final int DOT_MAX_N = Sgemm.prop("graft.dgemm.dotMaxN", 4);
    /** Column strip of the skinny path (M < MR): the width of its widest kernel, 1 row x 8 vectors. */
    static final int SKINNY_W = 8 * VL;
    /**
     * Below this many flops (2 m n k) a product stays on the calling thread: the same cut-off as SGEMM's
     * (about 160 us of float64 work on one core). Measured on 2 threads, both cores idle, always vs never
     * parallel (GemmRatio -Dfloat64, 26 Nov 2026): 128^3 (4.2 MFLOP) 38-44 vs 46-50 GFLOP/s, 144^3 42 vs 50,
     * 160^3 (8.2 MFLOP) 47-54 vs 46-51, 200^3 60 vs 46, 256^3 73 vs 51.
     */
    static final long PARALLEL_MIN_FLOPS = Sgemm.prop("graft.dgemm.parallelMinFlops", 1 << 23);
    /** The cut-off in use: PARALLEL_MIN_FLOPS, lowered by tests so that small products take the parallel paths too. */
    static volatile long parallelMinFlops = PARALLEL_MIN_FLOPS;

    private static final ThreadLocal<double[][]> BUFFERS = ThreadLocal.withInitial(() -> new double[3][0]);

    private Dgemm() {
    }

    private static int clamp(long v, int lo, int hi) {
        return (int) Math.max(lo, Math.min(hi, v));
    }

    private static double[] buffer(int which, int size) {
        double[][] b = BUFFERS.get();
        if (b[which].length < size) {
            b[which] = new double[Math.max(size, b[which].length * 3 / 2)];
        }
        return b[which];
    }

    /** One line for diagnostics: the blocking in use. */
    static String describe() {
        return "DGEMM " + MR + "x" + NR + " micro-tile, KC=" + KC + " MC=" + MC + " NC=" + NC + " (" + CpuCaches.describe() + ")";
    }

    /**
     * C(i,j) = alpha * sum_p A(i,p) B(p,j) + beta * C(i,j), with A(i,p) = a[ao + i*ars + p*acs],
     * B(p,j) = b[bo + p*brs + j*bcs] and C(i,j) = c[co + i*ldc + j]. With beta 0, C is not read
     * (NaNs in it do not propagate), as in BLAS.
     */
    static void gemm(int m, int n, int k, double alpha, double[] a, int ao, int ars, int acs, double[] b, int bo, int brs,
                     int bcs, double beta, double[] c, int co, int ldc, boolean parallel) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k == 0 || alpha == 0.0) {
            scaleC(m, n, beta, c, co, ldc);
            return;
        }
        boolean par = parallel && Parallel.threads() > 1 && 2L * m * n * k >= parallelMinFlops;
        if (n <= DOT_MAX_N) {
            dotPath(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, par);
            return;
        }
        if (m < MR) {
            int strips = (n + SKINNY_W - 1) / SKINNY_W;
            int tasks = par ? Math.min(Parallel.threads(), strips) : 1;
            run(tasks, t -> {
                int j0 = (int) ((long) strips * t / tasks) * SKINNY_W;
                int j1 = Math.min(n, (int) ((long) strips * (t + 1) / tasks) * SKINNY_W);
                skinny(m, j0, j1, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc);
            });
            return;
        }
        boolean packA = n > DIRECT_A_MAX_N;
        boolean packB = bcs != 1 || m > DIRECT_B_MAX_M;
        int mPanels = (m + MR - 1) / MR;
        int nPanels = (n + NR - 1) / NR;
        int threads = par ? Parallel.threads() : 1;
        // split the larger dimension (in panels) into one block per thread
        int tm = 1;
        int tn = 1;
        if (threads > 1) {
            if (nPanels >= mPanels * 2 || mPanels < threads) {
                tn = Math.min(threads, nPanels);
            } else {
                tm = Math.min(threads, mPanels);
            }
        }
        int tmf = tm;
        int tnf = tn;
        run(tm * tn, t -> {
            int bi = t / tnf;
            int bj = t % tnf;
            int i0 = (int) ((long) mPanels * bi / tmf) * MR;
            int i1 = Math.min(m, (int) ((long) mPanels * (bi + 1) / tmf) * MR);
            int j0 = (int) ((long) nPanels * bj / tnf) * NR;
            int j1 = Math.min(n, (int) ((long) nPanels * (bj + 1) / tnf) * NR);
            blocked(i0, i1, j0, j1, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, packA, packB);
        });
    }

    private interface Task {
        void run(int t);
    }

    /** Tasks 0 .. tasks-1, on this thread when there is one, else one per pool chunk. */
    private static void run(int tasks, Task task) {
        if (tasks <= 1) {
            task.run(0);
            return;
        }
        Parallel.forRange(tasks, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                task.run(t);
            }
        });
    }

    private static void scaleC(int m, int n, double beta, double[] c, int co, int ldc) {
        for (int i = 0; i < m; i++) {
            int o = co + i * ldc;
            if (beta == 0.0) {
                java.util.Arrays.fill(c, o, o + n, 0.0);
            } else if (beta != 1.0) {
                for (int j = 0; j < n; j++) {
                    c[o + j] *= beta;
                }
            }
        }
    }

    /**
     * The five-loop algorithm on rows [i0, i1) and columns [j0, j1) of C, on this thread. Packing is
     * skipped where it does not pay: B with unit-stride rows is read in place when few row slivers
     * reuse it (!packB), and A is read in place, broadcast from MR rows, when few B panels reuse it
     * (!packA); a B panel is read in place only when whole vectors of its rows are in range.
     */
    private static void blocked(int i0, int i1, int j0, int j1, int k, double alpha, double[] a, int ao, int ars, int acs,
                                double[] b, int bo, int brs, int bcs, double beta, double[] c, int co, int ldc,
                                boolean packA, boolean packB) {
        int kcMax = Math.min(k, KC);
        double[] ap = packA ? buffer(0, ((Math.min(i1 - i0, MC) + MR - 1) / MR) * MR * kcMax) : null;
        double[] bp = buffer(1, ((Math.min(j1 - j0, NC) + NR - 1) / NR) * NR * kcMax);
        double[] tile = buffer(2, MR * NR);
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            int nPanels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                double betaK = pc == 0 ? beta : 1.0;
                int bBase = bo + pc * brs + jc * bcs;
                for (int t = 0; t < nPanels; t++) {
                    if (packB || !inPlaceWidth(Math.min(NR, nc - t * NR))) {
                        packB(b, bBase, brs, bcs, kc, nc, t, NR, bp);
                    }
                }
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    int aBase = ao + ic * ars + pc * acs;
                    if (packA) {
                        for (int t = 0; t < (mc + MR - 1) / MR; t++) {
                            packA(a, aBase, ars, acs, mc, kc, t, ap);
                        }
                    }
                    for (int t = 0; t < nPanels; t++) {
                        int jr = t * NR;
                        int nr = Math.min(NR, nc - jr);
                        boolean inPlace = !packB && inPlaceWidth(nr);
                        double[] bArr = inPlace ? b : bp;
                        int pb = inPlace ? bBase + jr : t * kc * NR;
                        int bStride = inPlace ? brs : NR;
                        int cCol = co + jc + jr;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int cOff = cCol + (ic + ir) * ldc;
                            if (packA) {
                                int pa = (ir / MR) * kc * MR;
                                if (nr <= VL) {
                                    DgemmKernels.packed8x1(kc, ap, pa, bArr, pb, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                } else {
                                    DgemmKernels.packed8x2(kc, ap, pa, bArr, pb, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                }
                            } else {
                                int pa = aBase + ir * ars;
                                if (nr <= VL) {
                                    DgemmKernels.direct8x1(kc, a, pa, ars, acs, bArr, pb, bStride, c, cOff, ldc, mr, nr, alpha, betaK,
                                            tile, false);
                                } else {
                                    DgemmKernels.direct8x2(kc, a, pa, ars, acs, bArr, pb, bStride, c, cOff, ldc, mr, nr, alpha, betaK,
                                            tile, false);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Whether a panel nr columns wide can be read from an unpacked B: the kernels read NR or, at the right edge, VL lanes. */
    private static boolean inPlaceWidth(int nr) {
        return nr == NR || nr == VL;
    }

    /**
     * C as dot products along K, for few columns (N <= DOT_MAX_N): 4 x 4 tiles (2 x 8 and 1 x 8 for the
     * last one or two rows; every dot kernel sums an element the same way). A rows and B columns must
     * be unit-stride along K; whichever is not is copied once. Threads split the rows in blocks of 4.
     */
    private static void dotPath(int m, int n, int k, double alpha, double[] a, int ao, int ars, int acs, double[] b, int bo,
                                int brs, int bcs, double beta, double[] c, int co, int ldc, boolean par) {
        double[] bt = brs == 1 ? b : unitAlongK(b, bo, bcs, brs, n, k);
        int bto = brs == 1 ? bo : 0;
        int ldbt = brs == 1 ? bcs : k;
        double[] aa = acs == 1 ? a : unitAlongK(a, ao, ars, acs, m, k);
        int aao = acs == 1 ? ao : 0;
        int lda = acs == 1 ? ars : k;
        int blocks = (m + 3) / 4;
        int tasks = par ? Math.min(Parallel.threads(), blocks) : 1;
        run(tasks, t -> {
            int i1 = Math.min(m, (int) ((long) blocks * (t + 1) / tasks) * 4);
            for (int i = (int) ((long) blocks * t / tasks) * 4; i < i1; i += 4) {
                int mr = Math.min(4, i1 - i);
                int ai = aao + i * lda;
                int ci = co + i * ldc;
                if (mr == 1) {
                    DgemmKernels.dot1x8(k, aa, ai, lda, bt, bto, ldbt, c, ci, ldc, 1, n, alpha, beta);
                } else if (mr == 2) {
                    DgemmKernels.dot2x8(k, aa, ai, lda, bt, bto, ldbt, c, ci, ldc, 2, n, alpha, beta);
                } else {
                    for (int j = 0; j < n; j += 4) {
                        DgemmKernels.dot4x4(k, aa, ai, lda, bt, bto + j * ldbt, ldbt, c, ci + j, ldc, mr, Math.min(4, n - j),
                                alpha, beta);
                    }
                }
            }
        });
    }

    /** out[r*k + p] = x[off + r*rs + p*ps]: rows of length k, unit-stride along k. */
    private static double[] unitAlongK(double[] x, int off, int rs, int ps, int rows, int k) {
        double[] out = new double[rows * k];
        for (int r = 0; r < rows; r++) {
            for (int p = 0; p < k; p++) {
                out[r * k + p] = x[off + r * rs + p * ps];
            }
        }
        return out;
    }

    /** C[o] = alpha * t + beta * C[o], the scalar twin of the tile update below. */
    static void update(double t, double[] c, int o, double alpha, double beta) {
        double v = alpha == 1.0 ? t : t * alpha;
        if (beta != 0.0) {
            v = beta == 1.0 ? v + c[o] : c[o] * beta + v;
        }
        c[o] = v;
    }

    /**
     * Fewer than MR rows, columns [j0, j1): A read in place, B in place when its rows are unit-stride
     * and the strip is whole (else packed a strip at a time), the whole K in one pass per strip.
     */
    private static void skinny(int m, int j0, int j1, int k, double alpha, double[] a, int ao, int ars, int acs,
                               double[] b, int bo, int brs, int bcs, double beta, double[] c, int co, int ldc) {
        int w = SKINNY_W;
        double[] tile = buffer(2, w);
        for (int jr = j0; jr < j1; jr += w) {
            int nr = Math.min(w, j1 - jr);
            double[] bArr = b;
            int bOff = bo + jr;
            int bStride = brs;
            if (bcs != 1 || nr < w) {
                bArr = buffer(1, w * k);
                packB(b, bo + jr * bcs, brs, bcs, k, nr, 0, w, bArr);
                bOff = 0;
                bStride = w;
            }
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                for (int q = 0; q < nr; q += NR) {
                    DgemmKernels.direct4x2(k, a, ao + i * ars, ars, acs, bArr, bOff + q, bStride, c, co + i * ldc + jr + q, ldc,
                            4, Math.min(NR, nr - q), alpha, beta, tile, false);
                }
            }
            for (; i + 2 <= m; i += 2) {
                for (int q = 0; q < nr; q += 2 * NR) {
                    DgemmKernels.direct2x4(k, a, ao + i * ars, ars, acs, bArr, bOff + q, bStride, c, co + i * ldc + jr + q, ldc,
                            2, Math.min(2 * NR, nr - q), alpha, beta, tile, false);
                }
            }
            if (i < m) {
                DgemmKernels.direct1x8(k, a, ao + i * ars, ars, acs, bArr, bOff, bStride, c, co + i * ldc + jr, ldc, 1, nr,
                        alpha, beta, tile, false);
            }
        }
    }

    /**
     * Finishes a tile the kernel spilled to {@code tile} (rows {@code w} apart): C = alpha * tile + beta * C
     * on the mr x nr corner, with the same arithmetic as the kernels' register epilogue. The kernels
     * never pass {@code tc} (a transposed tile) here; it is in the signature the shared template writes.
     */
    static void update(double[] tile, int w, double[] c, int co, int ldc, int mr, int nr, double alpha, double beta,
                       boolean tc) {
        if (tc) {
            throw new IllegalArgumentException("DGEMM kernels do not store transposed tiles");
        }
        for (int r = 0; r < mr; r++) {
            int o = co + r * ldc;
            int t = r * w;
            for (int j = 0; j < nr; j += VL) {
                VectorMask<Double> msk = S.indexInRange(j, nr);
                DoubleVector v = DoubleVector.fromArray(S, tile, t + j);
                if (alpha != 1.0) {
                    v = v.mul(alpha);
                }
                if (beta != 0.0) {
                    DoubleVector old = DoubleVector.fromArray(S, c, o + j, msk);
                    v = beta == 1.0 ? v.add(old) : old.mul(beta).add(v);
                }
                v.intoArray(c, o + j, msk);
            }
        }
    }

    /** ap[panel][p][r] = A(panel*MR + r, p) for rows below m, zero beyond. */
    private static void packA(double[] a, int ao, int ars, int acs, int m, int kc, int panel, double[] ap) {
        int i0 = panel * MR;
        int mr = Math.min(MR, m - i0);
        int dst = panel * kc * MR;
        if (ars == 1 && mr == MR) {
            // A is a transposed view: its panel rows are contiguous runs of MR elements
            for (int p = 0; p < kc; p++) {
                System.arraycopy(a, ao + i0 + p * acs, ap, dst + p * MR, MR);
            }
            return;
        }
        if (acs == 1 && mr == MR) {
            // row-major A: read the MR rows sequentially, write the sliver with stride MR
            int s = ao + i0 * ars;
            for (int r = 0; r < MR; r++) {
                int src = s + r * ars;
                int d = dst + r;
                for (int p = 0; p < kc; p++) {
                    ap[d + p * MR] = a[src + p];
                }
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
                ap[d + r] = 0.0;
            }
        }
    }

    /** bp[panel][p][q] = B(p, panel*w + q) for columns below nc, zero beyond; w is the panel width. */
    private static void packB(double[] b, int bo, int brs, int bcs, int kc, int nc, int panel, int w, double[] bp) {
        int j0 = panel * w;
        int nr = Math.min(w, nc - j0);
        int dst = panel * kc * w;
        if (brs == 1 && bcs != 1) {
            // B is a transposed view: read each column's run along p, 16 rows of the panel at a time
            for (int p0 = 0; p0 < kc; p0 += 16) {
                int p1 = Math.min(kc, p0 + 16);
                for (int q = 0; q < nr; q++) {
                    int src = bo + (j0 + q) * bcs;
                    for (int p = p0; p < p1; p++) {
                        bp[dst + p * w + q] = b[src + p];
                    }
                }
            }
            if (nr < w) {
                for (int p = 0; p < kc; p++) {
                    java.util.Arrays.fill(bp, dst + p * w + nr, dst + p * w + w, 0.0);
                }
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            int src = bo + p * brs + j0 * bcs;
            int d = dst + p * w;
            if (bcs == 1) {
                System.arraycopy(b, src, bp, d, nr);
            } else {
                for (int q = 0; q < nr; q++) {
                    bp[d + q] = b[src + q * bcs];
                }
            }
            if (nr < w) {
                java.util.Arrays.fill(bp, d + nr, d + w, 0.0);
            }
        }
    }
}
