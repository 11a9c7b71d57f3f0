#!/usr/bin/env python3
"""Generates tensor/src/main/java/dev/graft/tensor/backend/simd/SgemmKernels.java.

The micro-kernels must keep their accumulators in separate local variables and write their
epilogues inline (a helper taking vectors, or an array of vectors, makes C2 box every vector), so
each tile shape is spelled out in full; this script is the one place that spelling is written.

    python3 bench/tools/gen_sgemm_kernels.py > tensor/src/main/java/dev/graft/tensor/backend/simd/SgemmKernels.java
"""

# (rows, vectors, A layout): "packed" reads A at pa + p*ROWS + r (constant offsets, one pointer);
# "direct" reads A(r, p) at a[pa + r*ars + p*acs] for any strides, rows past mr clamped to the last.
SHAPES = [(8, 2, "packed"), (8, 2, "direct"), (8, 1, "packed"), (8, 1, "direct"), (4, 2, "direct"), (2, 4, "direct"),
          (1, 4, "direct"), (1, 8, "direct")]


def kernel(R, V, layout, t="float"):
    """One R x V-vector tile kernel; t is the element type, "float" (SgemmKernels) or "double" (DgemmKernels)."""
    vec, one, zero, cls = ("FloatVector", "1f", "0f", "Sgemm") if t == "float" else ("DoubleVector", "1.0", "0.0", "Dgemm")
    name = f"{layout}{R}x{V}"
    L = []
    w = L.append
    if layout == "packed":
        w(f"    /** {R} x {V}*VL tile; A packed as ap[pa + p*{R} + r]; B rows at b[pb + p*brs], lanes contiguous. */")
        w(f"    static void {name}(int kc, {t}[] a, int pa, {t}[] b, int pb, int brs, {t}[] c, int co, int ldc,")
        w(f"                       int mr, int nr, {t} alpha, {t} beta, {t}[] tile,")
        w(f"                       boolean tc) {{")
    else:
        w(f"    /** {R} x {V}*VL tile; A(r, p) = a[pa + r*ars + p*acs] (rows past mr re-read row mr-1); B rows at b[pb + p*brs]. */")
        w(f"    static void {name}(int kc, {t}[] a, int pa, int ars, int acs, {t}[] b, int pb, int brs, {t}[] c, int co,")
        w(f"                       int ldc, int mr, int nr, {t} alpha, {t} beta, {t}[] tile, boolean tc) {{")
        for r in range(R):
            if r == 0:
                w(f"        int a0 = pa;")
            else:
                w(f"        int a{r} = pa + Math.min({r}, mr - 1) * ars;")
    for r in range(R):
        w(f"        {vec} " + ", ".join(f"c{r}{v} = {vec}.zero(S)" for v in range(V)) + ";")
    if layout == "packed":
        w(f"        for (int p = 0; p < kc; p++, pa += {R}, pb += brs) {{")
    else:
        w(f"        for (int p = 0, q = 0; p < kc; p++, q += acs, pb += brs) {{")
    for v in range(V):
        w(f"            {vec} b{v} = {vec}.fromArray(S, b, pb{'' if v == 0 else f' + {v} * VL'});")
    for r in range(R):
        src = f"a[pa + {r}]" if layout == "packed" else f"a[a{r} + q]"
        w(f"            {vec} x{r} = {vec}.broadcast(S, {src});")
        for v in range(V):
            w(f"            c{r}{v} = x{r}.fma(b{v}, c{r}{v});")
    w("        }")
    # tc: the tile is of C^T, so tile (r, q) goes to c[co + q*ldc + r] (through the spill path)
    # epilogue: the common case (whole tile, alpha 1, beta 0 or 1) stores straight from registers;
    # anything else spills the tile to a scratch array and lets a small shared method finish, so
    # that the kernels stay small enough for the JIT to compile (C1 gives up on large ones)
    w(f"        if (!tc && mr == {R} && nr == {V} * VL && alpha == {one} && (beta == {zero} || beta == {one})) {{")
    w(f"            boolean load = beta != {zero};")
    for r in range(R):
        w(f"            int o{r} = co + {r} * ldc;")
        for v in range(V):
            off = f"o{r}" if v == 0 else f"o{r} + {v} * VL"
            w(f"            (load ? c{r}{v}.add({vec}.fromArray(S, c, {off})) : c{r}{v}).intoArray(c, {off});")
    w("            return;")
    w("        }")
    for r in range(R):
        for v in range(V):
            w(f"        c{r}{v}.intoArray(tile, {r * V} * VL{'' if v == 0 else f' + {v} * VL'});")
    w(f"        {cls}.update(tile, {V} * VL, c, co, ldc, mr, nr, alpha, beta, tc);")
    w("    }")
    return "\n".join(L)



def dot(R, C, t="float"):
    """R rows x C columns of C as dot products along k: A rows and B^T rows unit-stride; t as for kernel()."""
    vec, cls = ("FloatVector", "Sgemm") if t == "float" else ("DoubleVector", "Dgemm")
    L = []
    w = L.append
    w(f"    /**")
    w(f"     * {R} x {C} tile as dot products over k, for N too small for the broadcast kernels: A(r, p) = a[pa + r*lda + p],")
    w(f"     * B(p, j) = bt[pb + j*ldbt + p] (B transposed, unit-stride along k). Rows past mr and columns past nr")
    w(f"     * re-read the last valid one. Per element: lane sums in vector order, then the k tail in p order.")
    w(f"     */")
    w(f"    static void dot{R}x{C}(int k, {t}[] a, int pa, int lda, {t}[] bt, int pb, int ldbt, {t}[] c, int co, int ldc,")
    w(f"                        int mr, int nr, {t} alpha, {t} beta) {{")
    for r in range(R):
        w(f"        int a{r} = pa + Math.min({r}, mr - 1) * lda;")
    for j in range(C):
        w(f"        int b{j} = pb + Math.min({j}, nr - 1) * ldbt;")
    for r in range(R):
        w(f"        {vec} " + ", ".join(f"s{r}{j} = {vec}.zero(S)" for j in range(C)) + ";")
    w("        int kv = S.loopBound(k);")
    w("        for (int p = 0; p < kv; p += VL) {")
    for j in range(C):
        w(f"            {vec} y{j} = {vec}.fromArray(S, bt, b{j} + p);")
    for r in range(R):
        w(f"            {vec} x{r} = {vec}.fromArray(S, a, a{r} + p);")
        for j in range(C):
            w(f"            s{r}{j} = x{r}.fma(y{j}, s{r}{j});")
    w("        }")
    for r in range(R):
        if r > 0:
            w(f"        if (mr > {r}) {{")
        ind = "        " + ("    " if r > 0 else "")
        for j in range(C):
            if j > 0:
                w(f"{ind}if (nr > {j}) {{")
            ii = ind + ("    " if j > 0 else "")
            # fixed-order horizontal sum, inline (a helper taking a vector is not inlined, and boxes it)
            for h in (16, 8, 4, 2, 1):
                w(f"{ii}if (VL > {h}) {{")
                w(f"{ii}    s{r}{j} = s{r}{j}.add(s{r}{j}.rearrange(HALF{h}));")
                w(f"{ii}}}")
            w(f"{ii}{t} t{r}{j} = s{r}{j}.lane(0);")
            w(f"{ii}for (int p = kv; p < k; p++) {{")
            w(f"{ii}    t{r}{j} = Math.fma(a[a{r} + p], bt[b{j} + p], t{r}{j});")
            w(f"{ii}}}")
            w(f"{ii}{cls}.update(t{r}{j}, c, co + {r} * ldc + {j}, alpha, beta);")
            if j > 0:
                w(f"{ind}}}")
        if r > 0:
            w("        }")
    w("    }")
    return "\n".join(L)



def transpose16():
    """16 x 16 block transpose for packing a transposed B: four perfect-shuffle stages of two-vector selects."""
    L = []
    w = L.append
    w("    /**")
    w("     * Packs a 16 x 16 block of a transposed B: lanes of column i are B(p0 .. p0+15, q0+i) at b[src + i*bcs ..];")
    w("     * row l of the result, B(p0+l, q0 .. q0+15), goes to bp[dst + l*w ..]. Four perfect-shuffle stages of")
    w("     * two-vector selects (vpermt2ps with AVX-512) instead of 256 scalar stores. Only for VL == 16.")
    w("     */")
    w("    static void transpose16(float[] b, int src, int bcs, float[] bp, int dst, int w) {")
    for i in range(16):
        w(f"        FloatVector r{i} = FloatVector.fromArray(S, b, src + {i} * bcs);")
    names = ["r", "s", "t", "u", "v"]
    for st in range(4):
        cur, nxt = names[st], names[st + 1]
        for i in range(8):
            w(f"        FloatVector {nxt}{2*i} = LO.selectFrom({cur}{i}, {cur}{i+8});")
            w(f"        FloatVector {nxt}{2*i+1} = HI.selectFrom({cur}{i}, {cur}{i+8});")
    cur = names[4]
    for i in range(16):
        w(f"        {cur}{i}.intoArray(bp, dst + {i} * w);")
    w("    }")
    return "\n".join(L)


HEADER = """package dev.graft.tensor.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM micro-kernels: an R x (V vectors) tile of C = alpha * A B + beta * C over kc steps, with
 * accumulators in registers. GENERATED by bench/tools/gen_sgemm_kernels.py; edit the script, not
 * this file. Every kernel computes each element of C as one FMA chain in p order, then
 * alpha * acc + beta * C, so the tile shape that covers an element never changes its value.
 */
final class SgemmKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();

    private SgemmKernels() {
    }

    // Lane pairs (i, i + w) for the dot kernels' horizontal sums: a fixed tree of lanewise adds. Not
    // reduceLanes(ADD): its order is unspecified, and the JIT's intrinsic and the interpreter's loop
    // differ in the last bit, so the same call would change value once compiled.
    private static final VectorShuffle<Float> HALF16 = VectorShuffle.fromOp(S, i -> (i + 16) % VL);
    private static final VectorShuffle<Float> HALF8 = VectorShuffle.fromOp(S, i -> (i + 8) % VL);
    private static final VectorShuffle<Float> HALF4 = VectorShuffle.fromOp(S, i -> (i + 4) % VL);
    private static final VectorShuffle<Float> HALF2 = VectorShuffle.fromOp(S, i -> (i + 2) % VL);
    private static final VectorShuffle<Float> HALF1 = VectorShuffle.fromOp(S, i -> (i + 1) % VL);

    // select indexes of transpose16's perfect shuffle: lo = x0 y0 x1 y1 ... x7 y7, hi = x8 y8 ... x15 y15
    private static final FloatVector LO = FloatVector.fromArray(S, interleave(0), 0);
    private static final FloatVector HI = FloatVector.fromArray(S, interleave(VL / 2), 0);

    private static float[] interleave(int from) {
        float[] x = new float[VL];
        for (int i = 0; i < VL; i++) {
            x[i] = (i % 2 == 0 ? 0 : VL) + from + i / 2;
        }
        return x;
    }
"""

if __name__ == "__main__":
    print(HEADER)
    print("\n\n".join([kernel(*s) for s in SHAPES] + [dot(4, 4), dot(2, 8), dot(1, 8), transpose16()]))
    print("}")
