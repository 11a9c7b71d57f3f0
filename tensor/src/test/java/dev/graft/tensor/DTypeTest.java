package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static dev.graft.tensor.TestSupport.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Type promotion, exact 64-bit integer arithmetic, half-precision storage formats. */
class DTypeTest {
    static final List<DType> COMPUTE = List.of(DType.BOOL, DType.UINT8, DType.INT32, DType.INT64, DType.FLOAT32, DType.FLOAT64);

    /** torch.promote_types for two dimensioned tensors: the later type in this list wins. */
    static DType torchPromote(DType a, DType b) {
        return COMPUTE.indexOf(a) >= COMPUTE.indexOf(b) ? a : b;
    }

    static Tensor two(DType dt) {
        return Tensor.full(dt == DType.BOOL ? 1 : 2, dt, 3);
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void promotionTable(Backend backend) {
        Backends.with(backend, () -> {
            for (DType a : COMPUTE) {
                for (DType b : COMPUTE) {
                    DType p = torchPromote(a, b);
                    String what = a + " op " + b;
                    Tensor x = two(a);
                    Tensor y = two(b);
                    // bool arithmetic computes in int64 (a bool result would saturate); everything else promotes
                    DType arith = p == DType.BOOL ? DType.INT64 : p;
                    assertEquals(arith, x.add(y).dtype(), "add " + what);
                    assertEquals(arith, x.mul(y).dtype(), "mul " + what);
                    assertEquals(arith, x.sub(y).dtype(), "sub " + what);
                    // true division: integer / integer is float32, like torch.div
                    assertEquals(p.isFloating() ? p : DType.FLOAT32, x.div(y).dtype(), "div " + what);
                    for (Tensor c : new Tensor[] {x.eq(y), x.ne(y), x.lt(y), x.le(y), x.gt(y), x.ge(y), x.logicalAnd(y)}) {
                        assertEquals(DType.BOOL, c.dtype(), "comparison " + what);
                    }
                    assertEquals(p, Tensor.where(Tensor.fromArray(new boolean[] {true, false, true}), x, y).dtype(), "where " + what);
                    assertEquals(p, Tensor.concat(0, x, y).dtype(), "concat " + what);
                }
            }
            // values: bool + bool counts, bool + 1 is int64, int64 + float32 is float32
            Tensor t = Tensor.fromArray(new boolean[] {true, false, true});
            assertArrayEquals(new long[] {2, 0, 2}, t.add(t).toLongArray());
            assertEquals(DType.INT64, t.add(1).dtype());
            assertArrayEquals(new long[] {2, 1, 2}, t.add(1).toLongArray());
            assertEquals(DType.INT64, t.sum().dtype());
            assertEquals(2, t.sum().item());
            Tensor i = Tensor.fromArray(new long[] {1, 2, 3});
            Tensor f = Tensor.fromArray(new float[] {0.5f, 0.25f, 0.125f});
            assertEquals(DType.FLOAT32, i.add(f).dtype());
            assertValues(new double[] {1.5, 2.25, 3.125}, i.add(f), 0, "int64 + float32");
            // a Python-style scalar keeps the tensor's dtype unless a fraction meets an integer tensor
            assertEquals(DType.INT64, i.add(2).dtype());
            assertEquals(DType.FLOAT32, i.add(2.5).dtype());
            assertValues(new double[] {3.5, 4.5, 5.5}, i.add(2.5), 0, "int64 + 2.5");
            assertEquals(DType.FLOAT64, Tensor.fromArray(new double[] {1}).mul(3).dtype());
            assertEquals(DType.INT32, Tensor.fromArray(new int[] {1}).mul(3).dtype());
            assertEquals(DType.FLOAT32, i.mean().dtype(), "mean of integers is float32");
            assertEquals(2.0, i.mean().item());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void integerDivisionIsTrueDivision(Backend backend) {
        Backends.with(backend, () -> {
            Tensor a = Tensor.fromArray(new long[] {7, -7, 7, -7, 6, 0});
            Tensor b = Tensor.fromArray(new long[] {2, 2, -2, -2, 3, 5});
            Tensor q = a.div(b);
            assertEquals(DType.FLOAT32, q.dtype());
            assertValues(new double[] {3.5, -3.5, -3.5, 3.5, 2, 0}, q, 0, "int64 / int64");
            Tensor q32 = Tensor.fromArray(new int[] {1, 2}).div(Tensor.fromArray(new int[] {3, 0}));
            assertEquals(DType.FLOAT32, q32.dtype());
            assertValues(new double[] {(float) (1.0 / 3), Double.POSITIVE_INFINITY}, q32, 0, "int32 / int32, and / 0 is inf");
            assertValues(new double[] {3.5, -3.5, 3.5, -3.5, 3, 0}, a.div(2), 0, "int64 / 2");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void integerArithmeticWrapsLikeTorch(Backend backend) {
        Backends.with(backend, () -> {
            Tensor u = Tensor.fromStorage(Storage.wrap(DType.UINT8, new byte[] {(byte) 200, 5}), new int[] {2}, "t");
            Tensor s = u.add(Tensor.fromStorage(Storage.wrap(DType.UINT8, new byte[] {100, 7}), new int[] {2}, "t"));
            assertEquals(DType.UINT8, s.dtype());
            assertArrayEquals(new long[] {44, 12}, s.toLongArray(), "uint8 200 + 100 wraps to 44");
            Tensor i32 = Tensor.fromArray(new int[] {Integer.MAX_VALUE, 3}).add(Tensor.fromArray(new int[] {1, 4}));
            assertEquals(DType.INT32, i32.dtype());
            assertArrayEquals(new long[] {Integer.MIN_VALUE, 7}, i32.toLongArray(), "int32 overflow wraps");
            Tensor p = Tensor.fromArray(new long[] {2, 3, -2, 7}).pow(Tensor.fromArray(new long[] {10, 2, 3, 0}));
            assertEquals(DType.INT64, p.dtype());
            assertArrayEquals(new long[] {1024, 9, -8, 1}, p.toLongArray(), "int64 pow");
            assertArrayEquals(new long[] {3L << 40}, Tensor.fromArray(new long[] {3L << 20}, 1).mul(1L << 20).toLongArray(),
                    "int64 * scalar stays exact");
        });
    }

    static final long BIG = (1L << 53) + 1; // not representable as a double

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void int64ArithmeticIsExactBeyond2To53(Backend backend) {
        Backends.with(backend, () -> {
            long big2 = (1L << 62) + 3;
            Tensor a = Tensor.fromArray(new long[] {BIG, big2, -BIG, 5});
            Tensor b = Tensor.fromArray(new long[] {1, 5, -2, BIG});
            assertArrayEquals(new long[] {BIG + 1, big2 + 5, -BIG - 2, 5 + BIG}, a.add(b).toLongArray(), "add");
            assertArrayEquals(new long[] {BIG - 1, big2 - 5, -BIG + 2, 5 - BIG}, a.sub(b).toLongArray(), "sub");
            assertArrayEquals(new long[] {BIG, big2 * 5, BIG * 2, 5 * BIG}, a.mul(b).toLongArray(), "mul (wraps like torch)");
            assertArrayEquals(new long[] {BIG, big2, -2, BIG}, a.maximum(b).toLongArray(), "maximum");
            assertArrayEquals(new long[] {BIG + 1, big2 + 1, -BIG + 1, 6}, a.add(1).toLongArray(), "add scalar");
            assertArrayEquals(new long[] {-BIG, -big2, BIG, -5}, a.neg().toLongArray(), "neg");
            assertArrayEquals(new long[] {BIG, big2, BIG, 5}, a.abs().toLongArray(), "abs");
            // comparisons see the low bit that a double would lose
            Tensor c = Tensor.fromArray(new long[] {1L << 53}).eq(Tensor.fromArray(new long[] {BIG}));
            assertEquals(0, c.item(), "2^53 == 2^53 + 1 must be false");
            assertEquals(1, Tensor.fromArray(new long[] {1L << 53}).lt(Tensor.fromArray(new long[] {BIG})).item());

            Tensor v = Tensor.fromArray(new long[] {1L << 53, BIG, 1L << 53, BIG - 2});
            assertEquals(4 * (1L << 53), v.sum().toLongArray()[0], "sum");
            assertEquals(3 * (1L << 53) + 1, v.narrow(0, 0, 3).sum().toLongArray()[0], "sum (odd)");
            assertEquals(BIG, v.max().toLongArray()[0], "max");
            assertEquals(BIG - 2, v.min().toLongArray()[0], "min");
            assertEquals(1, v.argmax().toLongArray()[0], "argmax");
            assertEquals(3, v.argmin().toLongArray()[0], "argmin");
            assertArrayEquals(new long[] {BIG}, v.amax(new int[] {0}, true).toLongArray(), "amax");
            assertArrayEquals(new long[] {1L << 53, 2 * (1L << 53) + 1, 3 * (1L << 53) + 1, 4 * (1L << 53)},
                    v.cumsum(0).toLongArray(), "cumsum");
            assertArrayEquals(new long[] {BIG - 2, 1L << 53, 1L << 53, BIG}, v.sort(0, false).values().toLongArray(), "sort");
            assertArrayEquals(new long[] {BIG, 1L << 53}, v.topk(2, 0, true).values().toLongArray(), "topk");
            assertArrayEquals(new long[] {BIG, BIG - 2}, v.indexSelect(0, Tensor.fromArray(new long[] {1, 3})).toLongArray(),
                    "indexSelect");
            assertArrayEquals(new long[] {BIG, BIG - 2}, v.gather(0, Tensor.fromArray(new long[] {1, 3})).toLongArray(), "gather");
            assertArrayEquals(new long[] {BIG, BIG - 2}, v.reshape(2, 2).t().contiguous().select(0, 1).toLongArray(),
                    "transpose + contiguous copy");
            Tensor w = Tensor.where(Tensor.fromArray(new boolean[] {true, false}), Tensor.fromArray(new long[] {BIG, BIG}),
                    Tensor.fromArray(new long[] {BIG - 2, BIG - 2}));
            assertArrayEquals(new long[] {BIG, BIG - 2}, w.toLongArray(), "where");
            assertArrayEquals(new long[] {BIG, 7}, Tensor.concat(0, Tensor.fromArray(new long[] {BIG}, 1),
                    Tensor.fromArray(new int[] {7}, 1)).toLongArray(), "concat int64 with int32");
            assertArrayEquals(new long[] {BIG, BIG}, Tensor.fromArray(new long[] {BIG}, 1).expand(2).clone().toLongArray(), "clone");
            assertArrayEquals(new long[] {BIG * BIG}, Tensor.fromArray(new long[] {BIG, BIG}).prod().toLongArray(), "prod");
            Tensor pad = Tensor.fromArray(new long[] {BIG, 3}).pad(new int[] {1, 1}, PadMode.REPLICATE, 0);
            assertArrayEquals(new long[] {BIG, BIG, 3, 3}, pad.toLongArray(), "replicate pad");
            Tensor mp = Tensor.fromArray(new long[] {1L << 53, BIG, 0, 1}, 1, 1, 2, 2).maxPool2d(2);
            assertArrayEquals(new long[] {BIG}, mp.toLongArray(), "maxPool2d on int64");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void halfPrecisionStorageConvertsOnLoad(Backend backend) {
        Backends.with(backend, () -> {
            // IEEE binary16 bit patterns: 1, -2, 0.5, 65504 (max), +inf, 2^-24 (smallest subnormal), -0, 1/3 rounded
            short[] h = {0x3C00, (short) 0xC000, 0x3800, 0x7BFF, 0x7C00, 0x0001, (short) 0x8000, 0x3555};
            double[] hv = {1, -2, 0.5, 65504, Double.POSITIVE_INFINITY, Math.pow(2, -24), -0.0, 0.333251953125};
            Tensor th = Tensor.fromStorage(Storage.wrap(DType.FLOAT16, h), new int[] {2, 4}, "test");
            assertEquals(DType.FLOAT16, th.dtype());
            Tensor f = th.to(DType.FLOAT32);
            assertEquals(DType.FLOAT32, f.dtype());
            assertValues(hv, f, 0, "float16 -> float32");
            assertValues(hv, th.to(DType.FLOAT64), 0, "float16 -> float64");
            assertTrue(Double.isNaN(Tensor.fromStorage(Storage.wrap(DType.FLOAT16, new short[] {0x7E00}), new int[] {1}, "t")
                    .to(DType.FLOAT32).get(0)), "float16 NaN");
            assertValues(new double[] {-2, 65504}, th.transpose(0, 1).slice(0, 1, 4, 2).select(1, 0).to(DType.FLOAT32), 0,
                    "float16 view -> float32");

            // bfloat16 is the top half of a float32: 1, -2, 3.140625 (0x4049), 1e-3 ~ 0x3A83
            short[] bf = {0x3F80, (short) 0xC000, 0x4049, 0x3A83};
            double[] bv = new double[bf.length];
            for (int i = 0; i < bf.length; i++) {
                bv[i] = Float.intBitsToFloat((bf[i] & 0xFFFF) << 16);
            }
            assertEquals(3.140625, bv[2]);
            Tensor tb = Tensor.fromStorage(Storage.wrap(DType.BFLOAT16, bf), new int[] {4}, "test");
            assertValues(bv, tb.to(DType.FLOAT32), 0, "bfloat16 -> float32");

            // and back: float32 -> float16 rounds to nearest even
            Tensor back = Tensor.fromArray(new float[] {1f / 3, 65504f, 1e-8f, 70000f}).to(DType.FLOAT16);
            short[] bits = (short[]) back.storage().array();
            assertArrayEquals(new short[] {0x3555, 0x7BFF, 0x0000, 0x7C00}, bits, "float32 -> float16 bits");
            Tensor bb = Tensor.fromArray(new float[] {1f, 3.14159265f}).to(DType.BFLOAT16);
            assertArrayEquals(new short[] {0x3F80, 0x4049}, (short[]) bb.storage().array(), "float32 -> bfloat16 bits");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void computeOpsRefuseHalfPrecision(Backend backend) {
        Backends.with(backend, () -> {
            for (DType dt : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
                Tensor h = Tensor.fromStorage(Storage.wrap(dt, new short[] {0x3C00, 0x3C00, 0x3C00, 0x3C00}), new int[] {2, 2}, "t");
                Tensor f = Tensor.ones(2, 2);
                Map<String, Executable> ops = new LinkedHashMap<>();
                ops.put("add", () -> h.add(f));
                ops.put("mul", () -> f.mul(h));
                ops.put("exp", h::exp);
                ops.put("relu", h::relu);
                ops.put("sum", h::sum);
                ops.put("amax", () -> h.amax(new int[] {0}, false));
                ops.put("max", () -> h.max(0, false));
                ops.put("softmax", () -> h.softmax(-1));
                ops.put("matmul", () -> h.matmul(f));
                ops.put("where", () -> Tensor.where(Tensor.ones(DType.BOOL, 2, 2), h, f));
                ops.put("concat", () -> Tensor.concat(0, f, h));
                ops.put("gather", () -> h.gather(0, Tensor.zeros(DType.INT64, 2, 2)));
                ops.put("cumsum", () -> h.cumsum(0));
                ops.put("sort", () -> h.sort(0, false));
                ops.put("pad", () -> h.pad(new int[] {1, 1}, PadMode.CONSTANT, 0));
                for (Map.Entry<String, Executable> e : ops.entrySet()) {
                    assertThrowsWith(TensorTypeException.class, e.getValue(), e.getKey(), dt.toString());
                }
            }
            // what the message suggests works
            Tensor h = Tensor.fromStorage(Storage.wrap(DType.FLOAT16, new short[] {0x3C00, 0x4000}), new int[] {2}, "t");
            assertValues(new double[] {Math.exp(1), Math.exp(2)}, h.to(DType.FLOAT32).exp(), 1e-5, "exp after conversion");
            assertTrue(h.toString().contains("float16"), h.toString());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void conversionsTruncateTowardZero(Backend backend) {
        Backends.with(backend, () -> {
            Tensor f = Tensor.fromArray(new float[] {-1.7f, 1.7f, -0.5f, 2.5f, 300f});
            assertArrayEquals(new long[] {-1, 1, 0, 2, 300}, f.to(DType.INT64).toLongArray());
            assertArrayEquals(new long[] {1, 1, 1, 1, 1}, f.to(DType.BOOL).toLongArray());
            assertArrayEquals(new long[] {0, 1}, Tensor.fromArray(new float[] {0, -0.0001f}).to(DType.BOOL).toLongArray());
            Tensor d = Tensor.fromArray(new double[] {0.1, 1e300});
            assertValues(new double[] {(float) 0.1, Double.POSITIVE_INFINITY}, d.to(DType.FLOAT32), 0, "float64 -> float32 rounds");
            assertEquals(DType.FLOAT32, f.to(DType.FLOAT32).dtype());
            assertTrue(f == f.to(DType.FLOAT32), "to() of the same dtype is the tensor itself");
        });
    }
}
