// Graft's CUDA kernels for the elementwise primitives, reductions, copies and fills.
// Compiled at run time by NVRTC (once per device, on first use) by CudaKernels; launched by
// CudaElementwise with one by-value argument, struct Args, whose layout KernelArgs writes in Java
// (graft_layout reports sizes and offsets so that the two are compared before any other launch).
//
// Semantics follow Graft's reference backend (ScalarBackend, Storage.getDouble/setDouble/getLong/
// setLong, UnaryOp.apply, BinaryOp.apply/applyLong): integers are computed exactly in 64 bits
// (wrapping) and truncated to the output type; conversions to integers truncate toward zero and
// saturate, NaN giving 0; comparisons write bool bytes 0/1; MAX/MIN propagate NaN. float32 math
// runs in float32 (a few ulp from the reference, which rounds float64 results) except where a
// double parameter takes part (CLAMP, POW, LEAKY_RELU), which runs in double like the reference.
// Dtype codes are the ordinals of dev.graft.tensor.DType.

#ifndef GRAFT_HOST_TEST
#define GRAFT_GLOBAL extern "C" __global__ void __launch_bounds__(256)
#define GRAFT_DEV __device__ __forceinline__
#define GRAFT_GRID_CONSTANT __grid_constant__
#endif

#define MAXR 8
#define BLOCK 256

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define I64_MAX 9223372036854775807LL
#define I64_MIN (-I64_MAX - 1LL)

enum { F32 = 0, F64 = 1, I64 = 2, I32 = 3, U8 = 4, B8 = 5, F16 = 6, BF16 = 7 };

// One operand: ptr is the address of the view's first element (offset applied), or 0 for a CPU
// scalar passed by value (sv: its value as a double; si: its value as an integer for integral
// dtypes, else the raw bits of the element).
struct Operand {
    u64 ptr;
    double sv;
    i64 si;
    int stride[MAXR];
};

// flags: bit 0 = every pointer operand is contiguous (element i at index i); bit 1 = reduce with one
// block per output. For reduce, shape = {outer, n, inner}, n = number of outputs.
struct Args {
    int rank;
    int n;
    int op;
    int flags;
    int shape[MAXR];
    double p0;
    double p1;
    int t0;
    int t1;
    Operand o[4];
};

GRAFT_GLOBAL graft_layout(int *out) {
    Args a;
    const char *b = (const char *) &a;
    out[0] = (int) sizeof(Args);
    out[1] = (int) ((const char *) &a.p0 - b);
    out[2] = (int) ((const char *) &a.t0 - b);
    out[3] = (int) ((const char *) &a.o[0] - b);
    out[4] = (int) sizeof(Operand);
    out[5] = (int) ((const char *) &a.o[0].stride[0] - (const char *) &a.o[0]);
}

// ---------------------------------------------------------------- indexing

// Element offsets of element i (row-major over shape) for operands 0..k-1.
template <int K>
GRAFT_DEV void offsets(const Args &a, int i, i64 *off) {
    if (a.flags & 1) {
#pragma unroll
        for (int k = 0; k < K; k++) {
            off[k] = i;
        }
        return;
    }
#pragma unroll
    for (int k = 0; k < K; k++) {
        off[k] = 0;
    }
    u32 r = (u32) i;
#pragma unroll
    for (int d = MAXR - 1; d >= 0; d--) {
        if (d < a.rank) {
            u32 s = (u32) a.shape[d];
            u32 q = r / s;
            i64 idx = (i64) (r - q * s);
            r = q;
#pragma unroll
            for (int k = 0; k < K; k++) {
                off[k] += idx * a.o[k].stride[d];
            }
        }
    }
}

GRAFT_DEV int thread_index() {
    i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x;
    return i > 2147483647LL ? 2147483647 : (int) i;
}

// ---------------------------------------------------------------- conversions (Storage semantics)

GRAFT_DEV i64 to_long(double v) { // Java's (long) v
    if (v != v) {
        return 0;
    }
    if (v >= 9223372036854775808.0) {
        return I64_MAX;
    }
    if (v < -9223372036854775808.0) {
        return I64_MIN;
    }
    return (i64) v;
}

GRAFT_DEV float half_to_float(u16 h) { // Float.float16ToFloat
    u32 sign = ((u32) h & 0x8000u) << 16;
    u32 e = ((u32) h >> 10) & 0x1fu;
    u32 m = (u32) h & 0x3ffu;
    if (e == 0) {
        float v = (float) m * 5.9604644775390625e-8f; // m * 2^-24, exact
        return sign ? -v : v;
    }
    if (e == 31) { // infinity, or a NaN made quiet as Java does
        return __uint_as_float(sign | 0x7f800000u | (m != 0 ? 0x400000u : 0u) | (m << 13));
    }
    return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

GRAFT_DEV u16 float_to_half(float f) { // Float.floatToFloat16: round to nearest even
    u32 x = __float_as_uint(f);
    u32 sign = (x >> 16) & 0x8000u;
    u32 ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) { // NaN: keep it a (quiet) NaN
        return (u16) (sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    }
    if (ax >= 0x477ff000u) { // 65520 and above (and infinity) round to infinity
        return (u16) (sign | 0x7c00u);
    }
    if (ax < 0x38800000u) { // below 2^-14: a subnormal half, m * 2^-24 with m rounded half to even
        float scaled = __uint_as_float(ax) * 16777216.0f; // exact
        return (u16) (sign | (u32) rintf(scaled));
    }
    u32 h = (((ax >> 23) - 112u) << 10) | ((ax >> 13) & 0x3ffu);
    u32 rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) {
        h++;
    }
    return (u16) (sign | h);
}

GRAFT_DEV float bf16_to_float(u16 h) {
    return __uint_as_float((u32) h << 16);
}

GRAFT_DEV u16 float_to_bf16(float f) { // Storage.toBFloat16
    u32 bits = __float_as_uint(f);
    if (f != f) {
        return (u16) ((bits >> 16) | 0x40u);
    }
    u32 rounding = 0x7fffu + ((bits >> 16) & 1u);
    return (u16) ((bits + rounding) >> 16);
}

// Storage.getDouble
GRAFT_DEV double ld_double(int t, u64 p, i64 off) {
    switch (t) {
        case F32: return ((const float *) p)[off];
        case F64: return ((const double *) p)[off];
        case I64: return (double) ((const i64 *) p)[off];
        case I32: return (double) ((const int *) p)[off];
        case U8: return (double) ((const u8 *) p)[off];
        case B8: return ((const u8 *) p)[off] != 0 ? 1.0 : 0.0;
        case F16: return half_to_float(((const u16 *) p)[off]);
        default: return bf16_to_float(((const u16 *) p)[off]);
    }
}

// Storage.getLong
GRAFT_DEV i64 ld_long(int t, u64 p, i64 off) {
    switch (t) {
        case I64: return ((const i64 *) p)[off];
        case I32: return ((const int *) p)[off];
        case U8: return ((const u8 *) p)[off];
        case B8: return ((const u8 *) p)[off] != 0 ? 1 : 0;
        default: return to_long(ld_double(t, p, off));
    }
}

// Storage.setDouble
GRAFT_DEV void st_double(int t, u64 p, i64 off, double v) {
    switch (t) {
        case F32: ((float *) p)[off] = (float) v; break;
        case F64: ((double *) p)[off] = v; break;
        case I64: ((i64 *) p)[off] = to_long(v); break;
        case I32: ((int *) p)[off] = (int) (u32) (u64) to_long(v); break;
        case U8: ((u8 *) p)[off] = (u8) (u64) to_long(v); break;
        case B8: ((u8 *) p)[off] = v != 0 ? 1 : 0; break;
        case F16: ((u16 *) p)[off] = float_to_half((float) v); break;
        default: ((u16 *) p)[off] = float_to_bf16((float) v); break;
    }
}

// Storage.setLong
GRAFT_DEV void st_long(int t, u64 p, i64 off, i64 v) {
    switch (t) {
        case I64: ((i64 *) p)[off] = v; break;
        case I32: ((int *) p)[off] = (int) (u32) (u64) v; break;
        case U8: ((u8 *) p)[off] = (u8) (u64) v; break;
        case B8: ((u8 *) p)[off] = v != 0 ? 1 : 0; break;
        default: st_double(t, p, off, (double) v); break;
    }
}

// An integral operand's value (a scalar's comes by value).
GRAFT_DEV i64 get_long(int t, const Operand &o, i64 off) {
    return o.ptr ? ld_long(t, o.ptr, off) : o.si;
}

// ---------------------------------------------------------------- math, float32 and float64 overloads

#define GRAFT_MATH1(name, f, d) \
    GRAFT_DEV float name(float x) { return f(x); } \
    GRAFT_DEV double name(double x) { return d(x); }
GRAFT_MATH1(m_fabs, fabsf, fabs)
GRAFT_MATH1(m_floor, floorf, floor)
GRAFT_MATH1(m_ceil, ceilf, ceil)
GRAFT_MATH1(m_rint, rintf, rint)
GRAFT_MATH1(m_exp, expf, exp)
GRAFT_MATH1(m_log, logf, log)
GRAFT_MATH1(m_log1p, log1pf, log1p)
GRAFT_MATH1(m_sqrt, sqrtf, sqrt)
GRAFT_MATH1(m_sin, sinf, sin)
GRAFT_MATH1(m_cos, cosf, cos)
GRAFT_MATH1(m_tanh, tanhf, tanh)
GRAFT_MATH1(m_erf, erff, erf)

GRAFT_DEV bool is_nan(double x) {
    return x != x;
}

// Math.pow's special cases where C's pow differs: a NaN exponent gives NaN (C: pow(1, NaN) = 1),
// and |x| = 1 to an infinite power gives NaN (C: 1).
GRAFT_DEV double java_pow(double x, double y) {
    if (is_nan(y)) {
        return y;
    }
    if (fabs(x) == 1.0 && fabs(y) == __longlong_as_double(0x7ff0000000000000LL)) {
        return __longlong_as_double(0x7ff8000000000000LL);
    }
    return pow(x, y);
}

GRAFT_DEV double clamp_double(double x, double lo, double hi) {
    if (is_nan(x)) {
        return x;
    }
    double r = x;
    if (!is_nan(lo) && r < lo) {
        r = lo;
    }
    if (!is_nan(hi) && r > hi) {
        r = hi;
    }
    return r;
}

// UnaryOp ordinals
enum {
    U_NEG, U_ABS, U_SIGN, U_RELU, U_SQUARE, U_CLAMP, U_FLOOR, U_CEIL, U_ROUND, U_EXP, U_LOG, U_LOG1P, U_SQRT,
    U_RSQRT, U_RECIPROCAL, U_POW, U_SIN, U_COS, U_TANH, U_SIGMOID, U_LEAKY_RELU, U_GELU, U_GELU_TANH, U_SILU, U_ERF
};

template <typename T>
GRAFT_DEV T unary_float(int op, T x, double p0, double p1) {
    const T one = (T) 1;
    const T half = (T) 0.5;
    switch (op) {
        case U_NEG: return -x;
        case U_ABS: return m_fabs(x);
        case U_SIGN: return x > 0 ? one : (x < 0 ? -one : x); // keeps NaN and signed zeros
        case U_RELU: return x > 0 ? x : (x != x ? x : (T) 0);
        case U_SQUARE: return x * x;
        case U_CLAMP: return (T) clamp_double((double) x, p0, p1);
        case U_FLOOR: return m_floor(x);
        case U_CEIL: return m_ceil(x);
        case U_ROUND: return m_rint(x); // half to even
        case U_EXP: return m_exp(x);
        case U_LOG: return m_log(x);
        case U_LOG1P: return m_log1p(x);
        case U_SQRT: return m_sqrt(x);
        case U_RSQRT: return one / m_sqrt(x);
        case U_RECIPROCAL: return one / x;
        case U_POW: return (T) java_pow((double) x, p0);
        case U_SIN: return m_sin(x);
        case U_COS: return m_cos(x);
        case U_TANH: return m_tanh(x);
        case U_SIGMOID: {
            if (x >= 0) {
                return one / (one + m_exp(-x));
            }
            T e = m_exp(x);
            return e / (one + e);
        }
        case U_LEAKY_RELU: return x > 0 ? x : (T) (p0 * (double) x);
        case U_GELU: return half * x * (one + m_erf(x * (T) 0.70710678118654752440));
        case U_GELU_TANH: return half * x * (one + m_tanh((T) 0.79788456080286535588 * (x + (T) 0.044715 * x * x * x)));
        case U_SILU: {
            if (x >= 0) {
                return x / (one + m_exp(-x));
            }
            T e = m_exp(x);
            return x * e / (one + e);
        }
        case U_ERF: return m_erf(x);
        default: return x;
    }
}

GRAFT_DEV i64 neg_long(i64 v) {
    return (i64) (0ULL - (u64) v);
}

GRAFT_DEV i64 unary_long(int op, i64 x, double p0, double p1) {
    switch (op) {
        case U_NEG: return neg_long(x);
        case U_ABS: return x < 0 ? neg_long(x) : x;
        case U_SIGN: return (i64) (x > 0) - (i64) (x < 0);
        case U_RELU: return x > 0 ? x : 0;
        case U_SQUARE: return (i64) ((u64) x * (u64) x);
        case U_CLAMP: return to_long(clamp_double((double) x, p0, p1));
        default: return x; // FLOOR, CEIL, ROUND (the planner sends no other op for integers)
    }
}

// BinaryOp ordinals
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR };

template <typename T>
GRAFT_DEV T binary_float(int op, T x, T y) {
    switch (op) {
        case B_ADD: return x + y;
        case B_SUB: return x - y;
        case B_MUL: return x * y;
        case B_DIV: return x / y;
        case B_POW: return (T) java_pow((double) x, (double) y);
        case B_MAX:
        case B_MIN: {
            if (x != x || y != y) {
                return x != x ? x : y; // NaN propagates
            }
            if (x != y) {
                return (op == B_MAX) == (x > y) ? x : y;
            }
            // equal: Math.max(-0, +0) = +0, Math.min = -0
            bool xNeg = __double_as_longlong((double) x) < 0;
            return (op == B_MAX) == xNeg ? y : x;
        }
        default: return x;
    }
}

template <typename T>
GRAFT_DEV int predicate(int op, T x, T y) {
    switch (op) {
        case B_EQ: return x == y;
        case B_NE: return x != y;
        case B_LT: return x < y;
        case B_LE: return x <= y;
        case B_GT: return x > y;
        case B_GE: return x >= y;
        case B_AND: return x != 0 && y != 0;
        default: return x != 0 || y != 0;
    }
}

GRAFT_DEV i64 floor_div(i64 x, i64 y) { // Math.floorDiv; y != 0 (the planner only sends nonzero scalar divisors)
    if (y == 0) {
        return 0;
    }
    if (y == -1) {
        return neg_long(x); // Long.MIN_VALUE / -1 wraps, as in Java
    }
    i64 q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) {
        q--;
    }
    return q;
}

GRAFT_DEV i64 pow_long(i64 base, i64 e) { // e >= 0 (the planner only sends such scalar exponents)
    u64 r = 1;
    u64 b = (u64) base;
    while (e > 0) {
        if (e & 1) {
            r *= b;
        }
        b *= b;
        e >>= 1;
    }
    return (i64) r;
}

GRAFT_DEV i64 binary_long(int op, i64 x, i64 y) {
    switch (op) {
        case B_ADD: return (i64) ((u64) x + (u64) y);
        case B_SUB: return (i64) ((u64) x - (u64) y);
        case B_MUL: return (i64) ((u64) x * (u64) y);
        case B_DIV: return floor_div(x, y);
        case B_POW: return pow_long(x, y);
        case B_MAX: return x > y ? x : y;
        case B_MIN: return x < y ? x : y;
        default: return x;
    }
}

// ---------------------------------------------------------------- elementwise bodies

// The element this thread handles (i) and its K operands' offsets (off); returns past the end.
#define GRAFT_ELEMENT(K) \
    int i = thread_index(); \
    if (i >= a.n) { \
        return; \
    } \
    i64 off[K]; \
    offsets<K>(a, i, off)

// A floating operand's value (a scalar's comes by value).
template <typename T>
GRAFT_DEV T get_float(const Operand &o, i64 off) {
    return o.ptr ? ((const T *) o.ptr)[off] : (T) o.sv;
}

template <int DT>
GRAFT_DEV void unary_body(const Args &a) {
    GRAFT_ELEMENT(2);
    const Operand &o = a.o[0];
    const Operand &x = a.o[1];
    if (DT == F32) {
        ((float *) o.ptr)[off[0]] = unary_float<float>(a.op, get_float<float>(x, off[1]), a.p0, a.p1);
    } else if (DT == F64) {
        ((double *) o.ptr)[off[0]] = unary_float<double>(a.op, get_float<double>(x, off[1]), a.p0, a.p1);
    } else {
        st_long(DT, o.ptr, off[0], unary_long(a.op, get_long(DT, x, off[1]), a.p0, a.p1));
    }
}

// A floating binary op on operands 1 and 2 into operand 0 (bool bytes for a comparison).
template <typename T>
GRAFT_DEV void binary_floating(const Args &a, const i64 *off) {
    T u = get_float<T>(a.o[1], off[1]);
    T v = get_float<T>(a.o[2], off[2]);
    if (a.op >= B_EQ) {
        ((u8 *) a.o[0].ptr)[off[0]] = (u8) predicate<T>(a.op, u, v);
    } else {
        ((T *) a.o[0].ptr)[off[0]] = binary_float<T>(a.op, u, v);
    }
}

template <int DT>
GRAFT_DEV void binary_body(const Args &a) {
    GRAFT_ELEMENT(3);
    if (DT == F32) {
        binary_floating<float>(a, off);
    } else if (DT == F64) {
        binary_floating<double>(a, off);
    } else {
        i64 u = get_long(DT, a.o[1], off[1]);
        i64 v = get_long(DT, a.o[2], off[2]);
        if (a.op >= B_EQ) {
            ((u8 *) a.o[0].ptr)[off[0]] = (u8) predicate<i64>(a.op, u, v);
        } else {
            st_long(DT, a.o[0].ptr, off[0], binary_long(a.op, u, v));
        }
    }
}

template <typename E>
GRAFT_DEV E bits_of(const Operand &o, i64 off) {
    return o.ptr ? ((const E *) o.ptr)[off] : (E) (u64) o.si;
}

// out = cond ? a : b, element type E (moved as bits); cond is bool.
template <typename E>
GRAFT_DEV void where_body(const Args &a) {
    GRAFT_ELEMENT(4);
    bool c = a.o[1].ptr ? ((const u8 *) a.o[1].ptr)[off[1]] != 0 : a.o[1].si != 0;
    ((E *) a.o[0].ptr)[off[0]] = c ? bits_of<E>(a.o[2], off[2]) : bits_of<E>(a.o[3], off[3]);
}

// out = src of the same dtype (or a fill: src is a scalar whose bits are in si).
template <typename E>
GRAFT_DEV void move_body(const Args &a) {
    GRAFT_ELEMENT(2);
    ((E *) a.o[0].ptr)[off[0]] = bits_of<E>(a.o[1], off[1]);
}

// out (dtype t0) = src (dtype t1), converting as Storage does (ScalarBackend.copy).
GRAFT_DEV void convert_body(const Args &a) {
    GRAFT_ELEMENT(2);
    const Operand &s = a.o[1];
    bool integral = a.t0 >= I64 && a.t0 <= B8 && a.t1 >= I64 && a.t1 <= B8;
    if (integral) {
        st_long(a.t0, a.o[0].ptr, off[0], s.ptr ? ld_long(a.t1, s.ptr, off[1]) : s.si);
    } else {
        st_double(a.t0, a.o[0].ptr, off[0], s.ptr ? ld_double(a.t1, s.ptr, off[1]) : s.sv);
    }
}

// ---------------------------------------------------------------- reductions

// ReduceOp ordinals
enum { R_SUM, R_PROD, R_MAX, R_MIN };

// Accumulator: floating dtypes keep double d, integral ones i64 l; idx is the position of the
// chosen element for MAX/MIN.
struct Acc {
    double d;
    i64 l;
    int idx;
};

template <int DT>
GRAFT_DEV Acc acc_init(int op) {
    Acc r;
    r.d = op == R_PROD ? 1.0 : 0.0;
    r.l = op == R_PROD ? 1 : 0;
    r.idx = -1; // none yet (MAX/MIN)
    return r;
}

// Whether candidate c (at position c.idx) replaces the current choice r, in ScalarBackend's order:
// the first NaN wins; otherwise a strictly better value, or an equal one at an earlier position.
template <int DT>
GRAFT_DEV bool better(int op, const Acc &c, const Acc &r) {
    if (r.idx < 0) {
        return c.idx >= 0;
    }
    if (c.idx < 0) {
        return false;
    }
    if (DT == F32 || DT == F64) {
        bool cn = is_nan(c.d);
        bool rn = is_nan(r.d);
        if (cn || rn) {
            return cn && (!rn || c.idx < r.idx);
        }
        if (c.d == r.d) {
            return c.idx < r.idx;
        }
        return op == R_MAX ? c.d > r.d : c.d < r.d;
    } else {
        if (c.l == r.l) {
            return c.idx < r.idx;
        }
        return op == R_MAX ? c.l > r.l : c.l < r.l;
    }
}

template <int DT>
GRAFT_DEV void acc_add(int op, Acc &r, u64 p, i64 off, int j) {
    if (DT == F32 || DT == F64) {
        double v = DT == F32 ? (double) ((const float *) p)[off] : ((const double *) p)[off];
        if (op == R_SUM) {
            r.d += v;
        } else if (op == R_PROD) {
            r.d *= v;
        } else {
            Acc c;
            c.d = v;
            c.l = 0;
            c.idx = j;
            if (better<DT>(op, c, r)) {
                r = c;
            }
        }
    } else {
        i64 v = ld_long(DT, p, off);
        if (op == R_SUM) {
            r.l = (i64) ((u64) r.l + (u64) v);
        } else if (op == R_PROD) {
            r.l = (i64) ((u64) r.l * (u64) v);
        } else {
            Acc c;
            c.d = 0;
            c.l = v;
            c.idx = j;
            if (better<DT>(op, c, r)) {
                r = c;
            }
        }
    }
}

template <int DT>
GRAFT_DEV void acc_merge(int op, Acc &r, const Acc &c) {
    if (op == R_SUM) {
        r.d += c.d;
        r.l = (i64) ((u64) r.l + (u64) c.l);
    } else if (op == R_PROD) {
        r.d *= c.d;
        r.l = (i64) ((u64) r.l * (u64) c.l);
    } else if (better<DT>(op, c, r)) {
        r = c;
    }
}

template <int DT>
GRAFT_DEV void acc_store(const Args &a, int r, const Acc &acc) {
    if (DT == F32 || DT == F64) { // out's dtype is t0, written as ScalarBackend.reduce does
        st_double(a.t0, a.o[0].ptr, r, acc.d);
    } else {
        st_long(a.t0, a.o[0].ptr, r, acc.l);
    }
    if ((a.op == R_MAX || a.op == R_MIN) && a.o[2].ptr) {
        ((i64 *) a.o[2].ptr)[r] = acc.idx < 0 ? 0 : acc.idx;
    }
}

// A block's partial results live in shared memory as three arrays.
GRAFT_DEV Acc acc_get(const double *sd, const i64 *sl, const int *si, int i) {
    Acc c;
    c.d = sd[i];
    c.l = sl[i];
    c.idx = si[i];
    return c;
}

GRAFT_DEV void acc_put(double *sd, i64 *sl, int *si, int i, const Acc &c) {
    sd[i] = c.d;
    sl[i] = c.l;
    si[i] = c.idx;
}

// x [outer, n, inner] (strides in o[1].stride[0..2]) reduced over n into out [outer * inner]
// (contiguous, o[0], dtype t0); indices (o[2], int64, optional) for MAX/MIN. flags bit 1: one block of BLOCK
// threads per output (a tree of partial results); else one thread per output.
template <int DT>
GRAFT_DEV void reduce_body(const Args &a) {
    const int n = a.shape[1];
    const int inner = a.shape[2];
    const Operand &x = a.o[1];
    const bool block = (a.flags & 2) != 0; // uniform over the block: every thread of it reaches __syncthreads
    int r = block ? (int) blockIdx.x : thread_index();
    if (r >= a.n) {
        return;
    }
    int o = r / inner;
    int in = r - o * inner;
    i64 base = (i64) o * x.stride[0] + (i64) in * x.stride[2];
    Acc acc = acc_init<DT>(a.op);
    const int step = block ? (int) blockDim.x : 1;
    for (int j = block ? (int) threadIdx.x : 0; j < n; j += step) {
        acc_add<DT>(a.op, acc, x.ptr, base + (i64) j * x.stride[1], j);
    }
    if (!block) {
        acc_store<DT>(a, r, acc);
        return;
    }
    __shared__ double sd[BLOCK];
    __shared__ i64 sl[BLOCK];
    __shared__ int si[BLOCK];
    acc_put(sd, sl, si, threadIdx.x, acc);
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int) threadIdx.x < s) {
            Acc m = acc_get(sd, sl, si, threadIdx.x);
            acc_merge<DT>(a.op, m, acc_get(sd, sl, si, threadIdx.x + s));
            acc_put(sd, sl, si, threadIdx.x, m);
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        acc_store<DT>(a, r, acc_get(sd, sl, si, 0));
    }
}

// ---------------------------------------------------------------- im2col, col2im, gather, scatter

// The next row-major coordinate of r over a dimension of the given size (r moves to the dimensions above).
GRAFT_DEV int digit(u32 &r, int size) {
    u32 q = r / (u32) size;
    int d = (int) (r - q * (u32) size);
    r = q;
    return d;
}

// unfold_S and fold_T: shape = {N, C, H, W, OH, OW, KH, KW}; o[2] carries no pointer, only the
// geometry in stride[0..5] = {strideH, strideW, padTop, padLeft, dilationH, dilationW} and, for
// unfold, the padding element's bits in si.
// unfold_S (element size S): o[0] = cols, contiguous [N, C, KH*KW, OH, OW], one thread per element;
// o[1] = x [N, C, H, W] with strides stride[0..3].
template <typename E>
GRAFT_DEV void unfold_body(const Args &a) {
    int i = thread_index();
    if (i >= a.n) {
        return;
    }
    const int *g = a.o[2].stride;
    u32 r = (u32) i;
    int ox = digit(r, a.shape[5]);
    int oy = digit(r, a.shape[4]);
    int kj = digit(r, a.shape[7]);
    int ki = digit(r, a.shape[6]);
    int c = digit(r, a.shape[1]);
    int n = (int) r;
    int iy = oy * g[0] - g[2] + ki * g[4];
    int ix = ox * g[1] - g[3] + kj * g[5];
    E v = (E) (u64) a.o[2].si;
    if (iy >= 0 && iy < a.shape[2] && ix >= 0 && ix < a.shape[3]) {
        const int *st = a.o[1].stride;
        v = ((const E *) a.o[1].ptr)[(i64) n * st[0] + (i64) c * st[1] + (i64) iy * st[2] + (i64) ix * st[3]];
    }
    ((E *) a.o[0].ptr)[i] = v;
}

// fold_T: o[0] = out, contiguous [N, C, H, W], one thread per element, which adds the taps that
// land on it to its current value, in the reference's order (kernel row, then column): no atomics,
// so the result does not depend on scheduling. o[1] = cols [N, C, KH*KW, OH, OW], strides stride[0..4].
template <typename T>
GRAFT_DEV void fold_body(const Args &a) {
    int i = thread_index();
    if (i >= a.n) {
        return;
    }
    const int *g = a.o[2].stride;
    const int *st = a.o[1].stride;
    const T *cols = (const T *) a.o[1].ptr;
    u32 r = (u32) i;
    int ix = digit(r, a.shape[3]);
    int iy = digit(r, a.shape[2]);
    int c = digit(r, a.shape[1]);
    int n = (int) r;
    const T *base = cols + (i64) n * st[0] + (i64) c * st[1];
    T acc = ((T *) a.o[0].ptr)[i];
    for (int ki = 0; ki < a.shape[6]; ki++) {
        int ty = iy + g[2] - ki * g[4];
        if (ty < 0 || ty % g[0] != 0 || ty / g[0] >= a.shape[4]) {
            continue;
        }
        int oy = ty / g[0];
        for (int kj = 0; kj < a.shape[7]; kj++) {
            int tx = ix + g[3] - kj * g[5];
            if (tx < 0 || tx % g[1] != 0 || tx / g[1] >= a.shape[5]) {
                continue;
            }
            acc += base[(i64) (ki * a.shape[7] + kj) * st[2] + (i64) oy * st[3] + (i64) (tx / g[1]) * st[4]];
        }
    }
    ((T *) a.o[0].ptr)[i] = acc;
}

// take_S (gather, indexSelect): o[0] = out, contiguous over shape[0..rank), one thread per element;
// o[1] = x with strides stride[0..rank); o[2] = the int64 index, contiguous; op = the indexed
// dimension. Its coordinate is index[i] (gather: the index has out's shape), or with flags bit 2
// index[the element's coordinate along op] (indexSelect: a 1-D index).
template <typename E>
GRAFT_DEV void take_body(const Args &a) {
    int i = thread_index();
    if (i >= a.n) {
        return;
    }
    const i64 *index = (const i64 *) a.o[2].ptr;
    u32 r = (u32) i;
    i64 src = 0;
#pragma unroll
    for (int d = MAXR - 1; d >= 0; d--) {
        if (d < a.rank) {
            i64 coord = digit(r, a.shape[d]);
            if (d == a.op) {
                coord = (a.flags & 4) ? index[coord] : index[i];
            }
            src += coord * a.o[1].stride[d];
        }
    }
    ((E *) a.o[0].ptr)[i] = ((const E *) a.o[1].ptr)[src];
}

GRAFT_DEV void atomic_add(float *p, float v) { atomicAdd(p, v); }
GRAFT_DEV void atomic_add(double *p, double v) { atomicAdd(p, v); }
GRAFT_DEV void atomic_add(i64 *p, i64 v) { atomicAdd((u64 *) p, (u64) v); } // two's complement: wraps like Java
GRAFT_DEV void atomic_add(int *p, int v) { atomicAdd(p, v); }

// scatter_add_T: dst[.., index[i], ..] += src[i] along dimension op, one thread per index element
// (shape[0..rank) is the index's); o[0] = dst, o[1] = src (strides stride[0..rank) each), o[2] =
// the int64 index, contiguous. Atomic adds: where indices repeat, the order of a float sum (hence
// its last bits) may vary from run to run.
template <typename T>
GRAFT_DEV void scatter_add_body(const Args &a) {
    int i = thread_index();
    if (i >= a.n) {
        return;
    }
    i64 at = ((const i64 *) a.o[2].ptr)[i];
    u32 r = (u32) i;
    i64 d0 = 0;
    i64 s0 = 0;
#pragma unroll
    for (int d = MAXR - 1; d >= 0; d--) {
        if (d < a.rank) {
            i64 coord = digit(r, a.shape[d]);
            d0 += (d == a.op ? at : coord) * a.o[0].stride[d];
            s0 += coord * a.o[1].stride[d];
        }
    }
    atomic_add(((T *) a.o[0].ptr) + d0, ((const T *) a.o[1].ptr)[s0]);
}

// ---------------------------------------------------------------- entry points

#define GRAFT_DTYPES(X) X(0, f32) X(1, f64) X(2, i64) X(3, i32) X(4, u8) X(5, b8)
#define GRAFT_UNARY(C, N) GRAFT_GLOBAL unary_##N(const GRAFT_GRID_CONSTANT Args a) { unary_body<C>(a); }
#define GRAFT_BINARY(C, N) GRAFT_GLOBAL binary_##N(const GRAFT_GRID_CONSTANT Args a) { binary_body<C>(a); }
#define GRAFT_REDUCE(C, N) GRAFT_GLOBAL reduce_##N(const GRAFT_GRID_CONSTANT Args a) { reduce_body<C>(a); }
GRAFT_DTYPES(GRAFT_UNARY)
GRAFT_DTYPES(GRAFT_BINARY)
GRAFT_DTYPES(GRAFT_REDUCE)

#define GRAFT_SIZES(X) X(u8, 1) X(u16, 2) X(u32, 4) X(u64, 8)
#define GRAFT_WHERE(E, S) GRAFT_GLOBAL where_##S(const GRAFT_GRID_CONSTANT Args a) { where_body<E>(a); }
#define GRAFT_MOVE(E, S) GRAFT_GLOBAL move_##S(const GRAFT_GRID_CONSTANT Args a) { move_body<E>(a); }
GRAFT_SIZES(GRAFT_WHERE)
GRAFT_SIZES(GRAFT_MOVE)

GRAFT_GLOBAL convert(const GRAFT_GRID_CONSTANT Args a) { convert_body(a); }

#define GRAFT_UNFOLD(E, S) GRAFT_GLOBAL unfold_##S(const GRAFT_GRID_CONSTANT Args a) { unfold_body<E>(a); }
#define GRAFT_TAKE(E, S) GRAFT_GLOBAL take_##S(const GRAFT_GRID_CONSTANT Args a) { take_body<E>(a); }
GRAFT_SIZES(GRAFT_UNFOLD)
GRAFT_SIZES(GRAFT_TAKE)

GRAFT_GLOBAL fold_f32(const GRAFT_GRID_CONSTANT Args a) { fold_body<float>(a); }
GRAFT_GLOBAL fold_f64(const GRAFT_GRID_CONSTANT Args a) { fold_body<double>(a); }
GRAFT_GLOBAL scatter_add_f32(const GRAFT_GRID_CONSTANT Args a) { scatter_add_body<float>(a); }
GRAFT_GLOBAL scatter_add_f64(const GRAFT_GRID_CONSTANT Args a) { scatter_add_body<double>(a); }
GRAFT_GLOBAL scatter_add_i64(const GRAFT_GRID_CONSTANT Args a) { scatter_add_body<i64>(a); }
GRAFT_GLOBAL scatter_add_i32(const GRAFT_GRID_CONSTANT Args a) { scatter_add_body<int>(a); }
