package dev.graft.tensor.backend.simd;

import dev.graft.tensor.backend.CpuCaches;
import dev.graft.tensor.backend.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, C = alpha * A B + beta * C, on the Vector API, for any element strides of
 * A and B (so every transpose combination is read in place, never materialised); C is row-major
 * with leading dimension ldc.
 *
 * <p>Which algorithm runs is decided from the shape and layout alone, never from the thread count:
 * <ul>
 *   <li>N <= {@link #DOT_MAX_N} (matrix times vector and other very narrow products), or B stored
 *       transposed (unit-stride along K: a Linear layer's x W^T) with M <= {@link #DOT_MAX_M_TRANSPOSED}:
 *       dot products along K ({@link #dotPath});</li>
 *   <li>B stored transposed with M <= {@link #TRANSPOSED_MAX_M}: C^T = W x^T with the ordinary
 *       kernels, W's rows broadcast in place and x^T packed ({@link #transposedPath}), because
 *       packing W would cost about as much as the product at these M;</li>
 *   <li>M < MR: the skinny path, 4-, 2- and 1-row kernels that are 2, 4 or 8 vectors wide, over the
 *       whole K at once, so a batch-1 row does not pay for eight;</li>
 *   <li>otherwise the blocked path, the usual five loops (Goto/BLIS): NC columns of C at a time,
 *       KC steps of K, B packed into KC x NR panels (NR = two vectors; a transposed B by 16 x 16
 *       vector transposes), MC rows of A packed into KC x MR slivers, and the MR x NR register-tiled
 *       micro-kernel ({@link SgemmKernels}) run with the B panel outer, so each B panel is reused by
 *       the MC / MR slivers of the row block while it is hot in L1/L2. Packing is skipped where it
 *       does not pay: B with unit-stride rows is read in place when few row slivers reuse it
 *       (M <= {@link #DIRECT_B_MAX_M}; for 16 tokens x 384 x 1536 packing B would cost as much as
 *       the product), and A is read in place, broadcast from MR rows, when few B panels reuse it
 *       (N <= {@link #DIRECT_A_MAX_N}). Right-edge panels of one vector or less use 8 x 1-vector tiles.</li>
 * </ul>
 * Measurements behind each cut-off are in bench/RESULTS.md and next to the constants.
 *
 * <p>Parallel (from {@link #PARALLEL_MIN_FLOPS}) over a static grid of blocks of C, one per thread:
 * the blocked path splits the larger of M and N and every task runs the sequential algorithm on its
 * block with its own packing buffers, so there is one fork/join per call; the other paths split
 * columns or rows. Each element of C is computed the same way whichever task and tile covers it
 * (one FMA chain over p, in KC blocks added to C one after another on the blocked path; lane sums,
 * a fixed tree and the K tail on the dot path), so results are identical for every thread count.
 */
final class Sgemm {
    static final VectorSpecies<Float> S = SgemmKernels.S;
    static final int VL = SgemmKernels.VL;
    static final int MR = 8;
    static final int NR = 2 * VL;
    /**
     * Inner-dimension block. Long is better: each KC block reads and writes the MR x NR tile of C
     * once, and C is the operand that misses cache. A KC x NR panel of B is kept to 1/16 of L2
     * (512 with 1 MiB): on Zen 4 the kernel streams B from L2 at full speed, so B need not fit L1
     * (measured, 1024^3 on 1 thread: KC 128 -> 77, 256 -> 86, 512 -> 95 GFLOP/s).
     */
    static final int KC = prop("graft.gemm.kc", clamp(CpuCaches.l2() / (16 * NR * Float.BYTES), 128, 512) / 8 * 8);
    /** Row block: an MC x KC block of packed A fills about half of L2. */
    static final int MC = prop("graft.gemm.mc", clamp(CpuCaches.l2() / (2 * KC * Float.BYTES), MR, 1024) / MR * MR);
    /** Column block: a KC x NC block of packed B, at most a quarter of L3 (shared) or 4 MiB. */
    static final int NC = prop("graft.gemm.nc",
            clamp(Math.min(CpuCaches.l3() / 4, 4 << 20) / (KC * Float.BYTES), 4 * NR, 1 << 16) / NR * NR);
    /** Up to this many rows, B with unit-stride rows is read in place rather than packed. */
    static final int DIRECT_B_MAX_M = prop("graft.gemm.directBMaxM", 4 * MR);
    /**
     * Up to this many columns, A is read in place rather than packed (broadcasts from MR rows). Measured
     * on 1 thread: 256^3 102 -> 111 GFLOP/s and 200^3 92 -> 102 with A in place; at 1024^3 in place was
     * slower (rows 4 KiB apart share L1 sets), hence the limit.
     */
    static final int DIRECT_A_MAX_N = prop("graft.gemm.directAMaxN", 8 * NR);
    /** Column strip of the skinny path (M < MR): the width of its widest kernel, 1 row x 8 vectors. */
    static final int SKINNY_W = 8 * VL;
    /** Up to this many columns, C is computed as dot products along K (GEMV-like: K x 1 vectors, a few outputs). */
    static final int DOT_MAX_N = prop("graft.gemm.dotMaxN", 8);
    /** Up to this many rows, a product with a transposed B (x W^T) is computed as dot products (GEMV-like). */
    static final int DOT_MAX_M_TRANSPOSED = prop("graft.gemm.dotMaxMTransposed", 16);
    /**
     * Up to this many rows, a product with a transposed B (x W^T) is computed as C^T = W x^T instead
     * of packing W. Packing W costs about one cycle per element of W, i.e. 32/M of the product's
     * time; the transposed path pays instead a scalar, transposed store of each tile (about 8%).
     */
    static final int TRANSPOSED_MAX_M = prop("graft.gemm.transposedMaxM", 128);
    /**
     * Below this many flops (2 m n k) a product stays on the calling thread: about 80 us of work on one
     * core here. Handing a chunk to a pool thread that is still spinning costs about 1 us, waking a
     * parked one 20-30 us (empty {@code Parallel.forRange(2, ...)}: median 1-8 us, 90th percentile
     * 23-32 us), and 128^3 (4 MFLOP) on 2 threads took 53 us against 39 us on one.
     */
    static final long PARALLEL_MIN_FLOPS = prop("graft.gemm.parallelMinFlops", 1 << 23);
    /** The cut-off in use: PARALLEL_MIN_FLOPS, lowered by tests so that small products take the parallel paths too. */
    static volatile long parallelMinFlops = PARALLEL_MIN_FLOPS;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][0]);

    private Sgemm() {
    }

    static int prop(String name, int dflt) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int x = Integer.parseInt(v.trim());
            if (x > 0) {
                return x;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + name + " must be a positive integer, got '" + v + "'");
    }

    private static int clamp(long v, int lo, int hi) {
        return (int) Math.max(lo, Math.min(hi, v));
    }

    private static float[] buffer(int which, int size) {
        float[][] b = BUFFERS.get();
        if (b[which].length < size) {
            b[which] = new float[Math.max(size, b[which].length * 3 / 2)];
        }
        return b[which];
    }

    /** One line for diagnostics: the blocking in use. */
    static String describe() {
        return "SGEMM " + MR + "x" + NR + " micro-tile, KC=" + KC + " MC=" + MC + " NC=" + NC + " (" + CpuCaches.describe() + ")";
    }

    /** C = A B (alpha 1, beta 0). */
    static void gemm(int m, int n, int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int brs, int bcs,
                     float[] c, int co, int ldc, boolean parallel) {
        gemm(m, n, k, 1f, a, ao, ars, acs, b, bo, brs, bcs, 0f, c, co, ldc, parallel);
    }

    /**
     * C(i,j) = alpha * sum_p A(i,p) B(p,j) + beta * C(i,j), with A(i,p) = a[ao + i*ars + p*acs],
     * B(p,j) = b[bo + p*brs + j*bcs] and C(i,j) = c[co + i*ldc + j]. With beta 0, C is not read
     * (NaNs in it do not propagate), as in BLAS.
     */
    static void gemm(int m, int n, int k, float alpha, float[] a, int ao, int ars, int acs, float[] b, int bo, int brs,
                     int bcs, float beta, float[] c, int co, int ldc, boolean parallel) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            scaleC(m, n, beta, c, co, ldc);
            return;
        }
        boolean par = parallel && Parallel.threads() > 1 && 2L * m * n * k >= parallelMinFlops;
        boolean bT = brs == 1 && bcs != 1; // B's columns run along K: a weight [out, in] used as W^T
        if (n <= DOT_MAX_N || (bT && m <= DOT_MAX_M_TRANSPOSED)) {
            dotPath(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, par);
            return;
        }
        if (bT && m <= TRANSPOSED_MAX_M) {
            transposedPath(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, par);
            return;
        }
        if (m < MR) {
            // skinny: split columns between threads in whole strips
            int strips = (n + SKINNY_W - 1) / SKINNY_W;
            int tasks = par ? Math.min(Parallel.threads(), strips) : 1;
            if (tasks <= 1) {
                skinny(m, 0, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc);
            } else {
                Parallel.forRange(tasks, 1, (from, to) -> {
                    for (int t = from; t < to; t++) {
                        int j0 = (int) ((long) strips * t / tasks) * SKINNY_W;
                        int j1 = Math.min(n, (int) ((long) strips * (t + 1) / tasks) * SKINNY_W);
                        skinny(m, j0, j1, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc);
                    }
                });
            }
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
        int tasks = tm * tn;
        if (tasks <= 1) {
            blocked(0, m, 0, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, packA, packB);
            return;
        }
        int tmf = tm;
        int tnf = tn;
        Parallel.forRange(tasks, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int bi = t / tnf;
                int bj = t % tnf;
                int i0 = (int) ((long) mPanels * bi / tmf) * MR;
                int i1 = Math.min(m, (int) ((long) mPanels * (bi + 1) / tmf) * MR);
                int j0 = (int) ((long) nPanels * bj / tnf) * NR;
                int j1 = Math.min(n, (int) ((long) nPanels * (bj + 1) / tnf) * NR);
                blocked(i0, i1, j0, j1, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, packA, packB);
            }
        });
    }

    private static void scaleC(int m, int n, float beta, float[] c, int co, int ldc) {
        for (int i = 0; i < m; i++) {
            int o = co + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, o, o + n, 0f);
            } else if (beta != 1f) {
                for (int j = 0; j < n; j++) {
                    c[o + j] *= beta;
                }
            }
        }
    }

    /** The five-loop algorithm on rows [i0, i1) and columns [j0, j1) of C, on this thread. */
    private static void blocked(int i0, int i1, int j0, int j1, int k, float alpha, float[] a, int ao, int ars, int acs,
                                float[] b, int bo, int brs, int bcs, float beta, float[] c, int co, int ldc,
                                boolean packA, boolean packB) {
        int rows = i1 - i0;
        int kcMax = Math.min(k, KC);
        float[] ap = packA ? buffer(0, ((Math.min(rows, MC) + MR - 1) / MR) * MR * kcMax) : null;
        float[] bp = buffer(1, ((Math.min(j1 - j0, NC) + NR - 1) / NR) * NR * kcMax);
        float[] tile = buffer(2, MR * NR);
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            int nPanels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float betaK = pc == 0 ? beta : 1f;
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
                        float[] bArr = inPlace ? b : bp;
                        int bOff = inPlace ? bBase + jr : t * kc * NR;
                        int bStride = inPlace ? brs : NR;
                        int cCol = co + jc + jr;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int cOff = cCol + (ic + ir) * ldc;
                            if (packA) {
                                int pa = (ir / MR) * kc * MR;
                                if (nr <= VL) {
                                    SgemmKernels.packed8x1(kc, ap, pa, bArr, bOff, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                } else if (mr <= 4) {
                                    SgemmKernels.direct4x2(kc, ap, pa, 1, MR, bArr, bOff, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                } else {
                                    SgemmKernels.packed8x2(kc, ap, pa, bArr, bOff, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                }
                            } else {
                                int pa = aBase + ir * ars;
                                if (nr <= VL) {
                                    SgemmKernels.direct8x1(kc, a, pa, ars, acs, bArr, bOff, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                } else if (mr <= 4) {
                                    SgemmKernels.direct4x2(kc, a, pa, ars, acs, bArr, bOff, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                } else {
                                    SgemmKernels.direct8x2(kc, a, pa, ars, acs, bArr, bOff, bStride, c, cOff, ldc, mr, nr, alpha, betaK, tile, false);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Whether a panel nr columns wide can be read from an unpacked B: the kernels read whole vectors
     * of a B row, NR lanes (two vectors) or, for a right-edge panel of exactly one vector, VL lanes
     * (the 1-vector kernels). Saves packing B on every call of a product one vector wide
     * (q k^T per attention head, 16 x 32 x 16, when k^T is contiguous).
     */
    private static boolean inPlaceWidth(int nr) {
        return nr == NR || nr == VL;
    }

    /**
     * C = A B with B's columns unit-stride along K (a Linear layer's x W^T, W [N, K] row-major) and
     * up to a few hundred rows (M <= TRANSPOSED_MAX_M: inference batches): computed as C^T = W A^T with the usual
     * kernels, W's rows broadcast in place as the "A" operand and A^T packed into NR-wide panels (M x K
     * elements: cheap), the tiles written to C transposed. Packing W instead would cost about as much
     * as the product at these M. Each element is one FMA chain over all of K.
     */
    private static void transposedPath(int m, int n, int k, float alpha, float[] a, int ao, int ars, int acs, float[] b,
                                       int bo, int brs, int bcs, float beta, float[] c, int co, int ldc, boolean par) {
        int iPanels = (m + NR - 1) / NR;
        float[] at = buffer(0, iPanels * NR * k); // only read by the tasks below
        for (int t = 0; t < iPanels; t++) {
            // A^T(p, i) = a[ao + i*ars + p*acs]
            packB(a, ao, acs, ars, k, m, t, NR, at);
        }
        int slivers = (n + MR - 1) / MR;
        int tasks = par ? Math.min(Parallel.threads(), slivers) : 1;
        Parallel.RangeBody body = (from, to) -> {
            float[] tile = buffer(2, MR * NR);
            for (int t = from; t < to; t++) {
                int j0 = (int) ((long) slivers * t / tasks) * MR;
                int j1 = Math.min(n, (int) ((long) slivers * (t + 1) / tasks) * MR);
                for (int j = j0; j < j1; j += MR) {
                    int mr = Math.min(MR, j1 - j);
                    for (int pi = 0; pi < iPanels; pi++) {
                        int nr = Math.min(NR, m - pi * NR);
                        int cOff = co + pi * NR * ldc + j;
                        if (nr <= VL) {
                            SgemmKernels.direct8x1(k, b, bo + j * bcs, bcs, brs, at, pi * NR * k, NR, c, cOff, ldc, mr, nr, alpha,
                                    beta, tile, true);
                        } else {
                            SgemmKernels.direct8x2(k, b, bo + j * bcs, bcs, brs, at, pi * NR * k, NR, c, cOff, ldc, mr, nr, alpha,
                                    beta, tile, true);
                        }
                    }
                }
            }
        };
        if (tasks <= 1) {
            body.run(0, 1);
        } else {
            Parallel.forRange(tasks, 1, body);
        }
    }

    /**
     * C as dot products along K, for few columns (N <= DOT_MAX_N: GEMV-like) and for few rows
     * against a transposed B (M <= DOT_MAX_M_TRANSPOSED: batch-1 x W^T, where the transposed path
     * would fill a fraction of each vector). A rows and B columns must be unit-stride along K; whichever is not is
     * copied once. Column chunks sized for L2 are the outer loop, so B streams from memory once.
     */
    private static void dotPath(int m, int n, int k, float alpha, float[] a, int ao, int ars, int acs, float[] b, int bo,
                                int brs, int bcs, float beta, float[] c, int co, int ldc, boolean par) {
        float[] bt = b;
        int bto = bo;
        int ldbt = bcs;
        if (brs != 1) {
            bt = new float[n * k];
            for (int j = 0; j < n; j++) {
                for (int p = 0; p < k; p++) {
                    bt[j * k + p] = b[bo + p * brs + j * bcs];
                }
            }
            bto = 0;
            ldbt = k;
        }
        float[] aa = a;
        int ato = ao;
        int lda = ars;
        if (acs != 1) {
            aa = new float[m * k];
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    aa[i * k + p] = a[ao + i * ars + p * acs];
                }
            }
            ato = 0;
            lda = k;
        }
        int rowBlocks = (m + 3) / 4;
        int colBlocks = (n + 3) / 4;
        boolean splitCols = colBlocks >= rowBlocks;
        int units = splitCols ? colBlocks : rowBlocks;
        int tasks = par ? Math.min(Parallel.threads(), units) : 1;
        float[] btf = bt;
        int btof = bto;
        int ldbtf = ldbt;
        float[] af = aa;
        int atof = ato;
        int ldaf = lda;
        Parallel.RangeBody body = (from, to) -> {
            for (int t = from; t < to; t++) {
                int u0 = (int) ((long) units * t / tasks) * 4;
                int u1 = (int) ((long) units * (t + 1) / tasks) * 4;
                if (splitCols) {
                    dots(0, m, u0, Math.min(n, u1), k, alpha, af, atof, ldaf, btf, btof, ldbtf, beta, c, co, ldc);
                } else {
                    dots(u0, Math.min(m, u1), 0, n, k, alpha, af, atof, ldaf, btf, btof, ldbtf, beta, c, co, ldc);
                }
            }
        };
        if (tasks <= 1) {
            body.run(0, 1);
        } else {
            Parallel.forRange(tasks, 1, body);
        }
    }

    /**
     * Rows [i0, i1) x columns [j0, j1) of C as 4 x 4 dot-product tiles (1 x 8 and 2 x 8 for the last one or
     * two rows; every dot kernel sums an element the same way, so which one covers it does not matter);
     * A rows lda apart, B^T rows ldbt apart.
     */
    private static void dots(int i0, int i1, int j0, int j1, int k, float alpha, float[] a, int ao, int lda, float[] bt,
                             int bto, int ldbt, float beta, float[] c, int co, int ldc) {
        // a chunk of B^T rows that fits a quarter of L2 is reused by every row block
        int chunk = Math.max(4, (int) Math.min(j1 - j0, CpuCaches.l2() / 4 / (4L * Math.max(1, k))) / 4 * 4);
        for (int jc = j0; jc < j1; jc += chunk) {
            int jEnd = Math.min(j1, jc + chunk);
            for (int i = i0; i < i1; i += 4) {
                int mr = Math.min(4, i1 - i);
                if (mr <= 2) {
                    // one or two rows (batch-1 W x): eight columns at a time, so no lanes of work are wasted
                    for (int j = jc; j < jEnd; j += 8) {
                        int nr = Math.min(8, jEnd - j);
                        if (mr == 1) {
                            SgemmKernels.dot1x8(k, a, ao + i * lda, lda, bt, bto + j * ldbt, ldbt, c, co + i * ldc + j, ldc, 1,
                                    nr, alpha, beta);
                        } else {
                            SgemmKernels.dot2x8(k, a, ao + i * lda, lda, bt, bto + j * ldbt, ldbt, c, co + i * ldc + j, ldc, 2,
                                    nr, alpha, beta);
                        }
                    }
                    continue;
                }
                for (int j = jc; j < jEnd; j += 4) {
                    SgemmKernels.dot4x4(k, a, ao + i * lda, lda, bt, bto + j * ldbt, ldbt, c, co + i * ldc + j, ldc, mr,
                            Math.min(4, jEnd - j), alpha, beta);
                }
            }
        }
    }

    /** C[o] = alpha * t + beta * C[o], the scalar twin of {@link #update(float[], int, float[], int, int, int, int, float, float, boolean)}. */
    static void update(float t, float[] c, int o, float alpha, float beta) {
        float v = alpha == 1f ? t : t * alpha;
        if (beta != 0f) {
            v = beta == 1f ? v + c[o] : c[o] * beta + v;
        }
        c[o] = v;
    }

    /**
     * Fewer than MR rows, columns [j0, j1): A read in place, B in place when its rows are unit-stride
     * (else packed a strip at a time), the whole K in one pass per strip of SKINNY_W columns.
     */
    private static void skinny(int m, int j0, int j1, int k, float alpha, float[] a, int ao, int ars, int acs, float[] b,
                               int bo, int brs, int bcs, float beta, float[] c, int co, int ldc) {
        int w = SKINNY_W;
        float[] bp = null;
        float[] tile = buffer(2, w);
        for (int jr = j0; jr < j1; jr += w) {
            int nr = Math.min(w, j1 - jr);
            float[] bArr = b;
            int bOff = bo + jr;
            int bStride = brs;
            if (bcs != 1 || nr < w) {
                if (bp == null) {
                    bp = buffer(1, w * k);
                }
                packB(b, bo + jr * bcs, brs, bcs, k, nr, 0, w, bp);
                bArr = bp;
                bOff = 0;
                bStride = w;
            }
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                for (int q = 0; q < nr; q += NR) {
                    SgemmKernels.direct4x2(k, a, ao + i * ars, ars, acs, bArr, bOff + q, bStride, c, co + i * ldc + jr + q, ldc,
                            4, Math.min(NR, nr - q), alpha, beta, tile, false);
                }
            }
            for (; i + 2 <= m; i += 2) {
                for (int q = 0; q < nr; q += 2 * NR) {
                    SgemmKernels.direct2x4(k, a, ao + i * ars, ars, acs, bArr, bOff + q, bStride, c, co + i * ldc + jr + q, ldc,
                            2, Math.min(2 * NR, nr - q), alpha, beta, tile, false);
                }
            }
            if (i < m) {
                // one row (batch-1 vector times matrix): eight vectors wide, eight loads of B in flight per step
                SgemmKernels.direct1x8(k, a, ao + i * ars, ars, acs, bArr, bOff, bStride, c, co + i * ldc + jr, ldc, 1, nr,
                        alpha, beta, tile, false);
            }
        }
    }

    /**
     * Finishes a tile the kernel spilled to {@code tile} (rows {@code w} apart): C = alpha * tile + beta * C
     * on the mr x nr corner, with the same arithmetic as the kernels' register epilogue.
     */
    static void update(float[] tile, int w, float[] c, int co, int ldc, int mr, int nr, float alpha, float beta,
                       boolean tc) {
        if (tc) {
            // a tile of C^T: row r of the tile is column r of C
            for (int r = 0; r < mr; r++) {
                for (int q = 0; q < nr; q++) {
                    update(tile[r * w + q], c, co + q * ldc + r, alpha, beta);
                }
            }
            return;
        }
        for (int r = 0; r < mr; r++) {
            int o = co + r * ldc;
            int t = r * w;
            for (int j = 0; j < nr; j += VL) {
                VectorMask<Float> msk = S.indexInRange(j, nr);
                FloatVector v = FloatVector.fromArray(S, tile, t + j);
                if (alpha != 1f) {
                    v = v.mul(alpha);
                }
                if (beta != 0f) {
                    FloatVector old = FloatVector.fromArray(S, c, o + j, msk);
                    v = beta == 1f ? v.add(old) : old.mul(beta).add(v);
                }
                v.intoArray(c, o + j, msk);
            }
        }
    }

    /** ap[panel][p][r] = A(panel*MR + r, p) for rows below m, zero beyond. */
    private static void packA(float[] a, int ao, int ars, int acs, int m, int kc, int panel, float[] ap) {
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
                ap[d + r] = 0f;
            }
        }
    }

    /** bp[panel][p][q] = B(p, panel*w + q) for columns below nc, zero beyond; w is the panel width. */
    private static void packB(float[] b, int bo, int brs, int bcs, int kc, int nc, int panel, int w, float[] bp) {
        int j0 = panel * w;
        int nr = Math.min(w, nc - j0);
        int dst = panel * kc * w;
        if (brs == 1 && bcs != 1) {
            // B is a transposed view (a weight used as W^T)
            int pv = 0;
            if (VL == 16 && nr == w && w % 16 == 0) {
                // whole 16 x 16 blocks by vector transposes (measured: the scalar scatter below cost
                // 13% of 512x384x1536 x W^T, about 3 cycles per element)
                for (; pv + 16 <= kc; pv += 16) {
                    for (int qb = 0; qb < w; qb += 16) {
                        SgemmKernels.transpose16(b, bo + (j0 + qb) * bcs + pv, bcs, bp, dst + pv * w + qb, w);
                    }
                }
            }
            // the rest: read each column's run along p sequentially and scatter it into the panel,
            // 16 rows of the panel at a time so that the rows being written stay in L1
            for (int p0 = pv; p0 < kc; p0 += 16) {
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
                    java.util.Arrays.fill(bp, dst + p * w + nr, dst + p * w + w, 0f);
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
                java.util.Arrays.fill(bp, d + nr, d + w, 0f);
            }
        }
    }
}
