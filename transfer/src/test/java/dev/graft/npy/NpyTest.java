package dev.graft.npy;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {
    @TempDir
    Path dir;

    /** A .npy file built by hand: version, header dict text (padded here), raw data. */
    private Path file(String name, int major, String dict, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        int prefix = major == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        while ((prefix + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        byte[] hb = h.toString().getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            len.putShort((short) hb.length);
        } else {
            len.putInt(hb.length);
        }
        out.write(len.array());
        out.write(hb);
        out.write(data);
        Path p = dir.resolve(name);
        Files.write(p, out.toByteArray());
        return p;
    }

    private static byte[] bytes(ByteOrder order, int size, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * size).order(order);
        for (long v : values) {
            switch (size) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    @Test
    void roundTripsEveryWrittenDtype() throws IOException {
        Tensor[] ts = {
            Tensor.fromArray(new float[] {1.5f, -2, Float.NaN, 1e-30f, 7, 8}, 2, 3),
            Tensor.fromArray(new double[] {Math.PI, -1e300}),
            Tensor.fromArray(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, 3, 1),
            Tensor.fromArray(new int[] {-5, 6, Integer.MAX_VALUE, 0}, 2, 1, 2),
            Tensor.fromArray(new boolean[] {true, false, true}),
            Tensor.fromStorage(Storage.wrap(DType.UINT8, new byte[] {0, (byte) 200, (byte) 255}), new int[] {3}, "t"),
            Tensor.scalar(4.25, DType.FLOAT32),
            Tensor.zeros(DType.FLOAT32, 0, 3),
        };
        for (int i = 0; i < ts.length; i++) {
            Path p = dir.resolve("t" + i + ".npy");
            Npy.write(p, ts[i]);
            Tensor back = Npy.read(p);
            assertEquals(ts[i].dtype(), back.dtype(), "tensor " + i);
            assertArrayEquals(ts[i].shape(), back.shape(), "tensor " + i);
            if (ts[i].dtype().isFloating()) {
                assertArrayEquals(ts[i].toDoubleArray(), back.toDoubleArray(), "tensor " + i);
            } else {
                assertArrayEquals(ts[i].toLongArray(), back.toLongArray(), "tensor " + i);
            }
            long headerEnd = Npy.readHeader(p).dataOffset();
            assertEquals(0, headerEnd % 64, "data is 64-byte aligned");
            assertEquals(1, Npy.readHeader(p).major());
        }
        // a slice view (non-zero offset, strided) writes its own elements
        Tensor big = Tensor.arange(12).reshape(3, 4).to(DType.FLOAT32);
        Tensor view = big.slice(1, 1, 4, 2);
        Npy.write(dir.resolve("view.npy"), view);
        assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11}, Npy.read(dir.resolve("view.npy")).toFloatArray());
    }

    @Test
    void headerTextMatchesNumpysForm() {
        assertTrue(Npy.headerText("<f4", new int[] {3}).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
        assertTrue(Npy.headerText("<f4", new int[] {}).contains("'shape': (), }"));
        assertTrue(Npy.headerText("<i8", new int[] {2, 3}).contains("'shape': (2, 3), }"));
        assertEquals(0, (10 + Npy.headerText("<f4", new int[] {2, 3}).length()) % 64);
    }

    @Test
    void readsVersionsEndiannessAndNarrowTypes() throws IOException {
        Tensor v2 = Npy.read(file("v2.npy", 2, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                bytes(ByteOrder.BIG_ENDIAN, 4, Float.floatToIntBits(1.5f), Float.floatToIntBits(-3f))));
        assertArrayEquals(new float[] {1.5f, -3f}, v2.toFloatArray());
        Tensor v3 = Npy.read(file("v3.npy", 3, "{\"descr\": \">i8\", \"fortran_order\": False, \"shape\": (2L,)}",
                bytes(ByteOrder.BIG_ENDIAN, 8, -7, 1L << 40)));
        assertEquals(DType.INT64, v3.dtype());
        assertArrayEquals(new long[] {-7, 1L << 40}, v3.toLongArray());
        Tensor i1 = Npy.read(file("i1.npy", 1, "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }",
                bytes(ByteOrder.LITTLE_ENDIAN, 1, -128, 0, 127)));
        assertEquals(DType.INT32, i1.dtype());
        assertArrayEquals(new long[] {-128, 0, 127}, i1.toLongArray());
        Tensor i2 = Npy.read(file("i2.npy", 1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
                bytes(ByteOrder.LITTLE_ENDIAN, 2, -32768, 32767)));
        assertArrayEquals(new long[] {-32768, 32767}, i2.toLongArray());
        Tensor u2 = Npy.read(file("u2.npy", 1, "{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }",
                bytes(ByteOrder.BIG_ENDIAN, 2, 65535, 1)));
        assertEquals(DType.INT32, u2.dtype());
        assertArrayEquals(new long[] {65535, 1}, u2.toLongArray());
        Tensor u4 = Npy.read(file("u4.npy", 1, "{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }",
                bytes(ByteOrder.LITTLE_ENDIAN, 4, 0xFFFFFFFFL)));
        assertEquals(DType.INT64, u4.dtype());
        assertArrayEquals(new long[] {0xFFFFFFFFL}, u4.toLongArray());
        Tensor f2 = Npy.read(file("f2.npy", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }",
                bytes(ByteOrder.LITTLE_ENDIAN, 2, Float.floatToFloat16(0.5f), Float.floatToFloat16(-65504f))));
        assertEquals(DType.FLOAT32, f2.dtype());
        assertArrayEquals(new float[] {0.5f, -65504f}, f2.toFloatArray());
        Tensor b = Npy.read(file("b.npy", 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
                bytes(ByteOrder.LITTLE_ENDIAN, 1, 1, 0)));
        assertEquals(DType.BOOL, b.dtype());
        Tensor u8 = Npy.read(file("u8ok.npy", 1, "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }",
                bytes(ByteOrder.LITTLE_ENDIAN, 8, 5)));
        assertArrayEquals(new long[] {5}, u8.toLongArray());
        NpyException e = assertThrows(NpyException.class, () -> Npy.read(file("u8.npy", 1,
                "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", bytes(ByteOrder.LITTLE_ENDIAN, 8, -1))));
        assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
    }

    @Test
    void fortranOrderIsTransposedIntoRowMajor() throws IOException {
        // the 2x3 array [[0, 1, 2], [3, 4, 5]] stored column by column
        Tensor t = Npy.read(file("f.npy", 1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
                bytes(ByteOrder.LITTLE_ENDIAN, 4, 0, 3, 1, 4, 2, 5)));
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, t.toLongArray());
    }

    @Test
    void badFilesAreRefusedBeforeAllocating() throws IOException {
        String[][] cases = {
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 2000000000), }", "more elements"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (100000,), }", "needs 400000 data bytes, but the file has 8"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "invalid dimension"},
            {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", "structured"},
            {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype '<c8'"},
            {"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype"},
            {"{'descr': '<f4', 'shape': (2,), }", "exactly the keys"},
            {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", "bad .npy header"},
        };
        for (String[] c : cases) {
            Path p = file("bad.npy", 1, c[0], new byte[8]);
            NpyException e = assertThrows(NpyException.class, () -> Npy.read(p), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertTrue(e.getMessage().contains("bad.npy"), e.getMessage());
        }
        Path notNpy = dir.resolve("x.npy");
        Files.writeString(notNpy, "hello world, not numpy");
        assertTrue(assertThrows(NpyException.class, () -> Npy.read(notNpy)).getMessage().contains("magic"));
        // header length pointing past the end of the file
        byte[] liar = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xFF, 0x7F, '{'};
        Path lp = dir.resolve("liar.npy");
        Files.write(lp, liar);
        assertTrue(assertThrows(NpyException.class, () -> Npy.read(lp)).getMessage().contains("does not fit in the file"));
        Path v9 = dir.resolve("v9.npy");
        Files.write(v9, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 9, 0, 0, 0, 0, 0});
        assertTrue(assertThrows(NpyException.class, () -> Npy.read(v9)).getMessage().contains("version 9.0"));
    }

    @Test
    void explicitDtypesCheckRangesAndWritingIsAtomic() throws IOException {
        Path p = dir.resolve("out/int8.npy");
        Npy.write(p, Tensor.fromArray(new int[] {-128, 5, 127}), "|i1");
        assertEquals("|i1", Npy.readHeader(p).descr());
        assertArrayEquals(new long[] {-128, 5, 127}, Npy.read(p).toLongArray());
        NpyException e = assertThrows(NpyException.class, () -> Npy.write(p, Tensor.fromArray(new int[] {300}), "|i1"));
        assertTrue(e.getMessage().contains("300 does not fit"), e.getMessage());
        // the failed write left the old file intact and no temporary behind
        assertArrayEquals(new long[] {-128, 5, 127}, Npy.read(p).toLongArray());
        try (Stream<Path> s = Files.list(p.getParent())) {
            assertEquals(List.of(p), s.toList());
        }
        assertThrows(NpyException.class, () -> Npy.write(p, Tensor.zeros(2), "<i4"));
        assertThrows(NpyException.class, () -> Npy.write(p, Tensor.zeros(DType.BFLOAT16, 2)));
    }

    // ------------------------------------------------------------------ NumPy cross-check

    private static boolean haveNumpy() {
        try {
            Process pr = new ProcessBuilder("/usr/bin/python3", "-c", "import numpy").redirectErrorStream(true).start();
            return pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private String python(String script) throws IOException, InterruptedException {
        Process pr = new ProcessBuilder("/usr/bin/python3", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(pr.waitFor(120, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, pr.exitValue(), out);
        return out;
    }

    @Test
    void agreesWithNumpyBothWays() throws Exception {
        Assumptions.assumeTrue(haveNumpy(), "skipped: /usr/bin/python3 with numpy is not available (apt-get install python3-numpy)");
        python("""
                import numpy as np
                a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
                np.save('f4.npy', a)
                np.save('f8.npy', a.astype(np.float64))
                np.save('f2.npy', a.astype(np.float16))
                np.save('i8.npy', np.arange(-5, 7, dtype=np.int64).reshape(3, 4) * 10**12)
                np.save('i4.npy', np.arange(-6, 6, dtype=np.int32))
                np.save('i1.npy', np.array([-128, -1, 0, 127], dtype=np.int8))
                np.save('u2.npy', np.array([0, 65535], dtype=np.uint16))
                np.save('u4.npy', np.array([4294967295], dtype=np.uint32))
                np.save('u1.npy', np.array([[0, 255], [7, 128]], dtype=np.uint8))
                np.save('b1.npy', np.array([True, False, True]))
                np.save('be.npy', np.arange(6, dtype='>f8').reshape(2, 3))
                np.save('fo.npy', np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4)))
                np.save('scalar.npy', np.float32(2.5))
                np.save('empty.npy', np.zeros((0, 3), dtype=np.float32))
                np.lib.format.write_array(open('v2.npy', 'wb'), np.arange(3, dtype=np.float32), version=(2, 0))
                np.lib.format.write_array(open('v3.npy', 'wb'), np.arange(3, dtype=np.int64), version=(3, 0))
                """);
        float[] a = new float[24];
        for (int i = 0; i < 24; i++) {
            a[i] = i / 7f;
        }
        Tensor f4 = Npy.read(dir.resolve("f4.npy"));
        assertEquals(DType.FLOAT32, f4.dtype());
        assertArrayEquals(new int[] {2, 3, 4}, f4.shape());
        assertArrayEquals(a, f4.toFloatArray());
        assertEquals(DType.FLOAT64, Npy.read(dir.resolve("f8.npy")).dtype());
        assertArrayEquals(a, Npy.read(dir.resolve("f8.npy")).toFloatArray());
        float[] half = Npy.read(dir.resolve("f2.npy")).toFloatArray();
        for (int i = 0; i < 24; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(a[i])), half[i]);
        }
        long[] i8 = Npy.read(dir.resolve("i8.npy")).toLongArray();
        assertEquals(-5_000_000_000_000L, i8[0]);
        assertEquals(6_000_000_000_000L, i8[11]);
        assertArrayEquals(new long[] {-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5}, Npy.read(dir.resolve("i4.npy")).toLongArray());
        assertArrayEquals(new long[] {-128, -1, 0, 127}, Npy.read(dir.resolve("i1.npy")).toLongArray());
        assertArrayEquals(new long[] {0, 65535}, Npy.read(dir.resolve("u2.npy")).toLongArray());
        assertArrayEquals(new long[] {4294967295L}, Npy.read(dir.resolve("u4.npy")).toLongArray());
        Tensor u1 = Npy.read(dir.resolve("u1.npy"));
        assertEquals(DType.UINT8, u1.dtype());
        assertArrayEquals(new long[] {0, 255, 7, 128}, u1.toLongArray());
        assertEquals(DType.BOOL, Npy.read(dir.resolve("b1.npy")).dtype());
        assertArrayEquals(new long[] {1, 0, 1}, Npy.read(dir.resolve("b1.npy")).toLongArray());
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, Npy.read(dir.resolve("be.npy")).toDoubleArray());
        Tensor fo = Npy.read(dir.resolve("fo.npy"));
        assertTrue(Npy.readHeader(dir.resolve("fo.npy")).fortranOrder());
        assertArrayEquals(new int[] {3, 4}, fo.shape());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, fo.toLongArray());
        Tensor sc = Npy.read(dir.resolve("scalar.npy"));
        assertEquals(0, sc.dim());
        assertEquals(2.5, sc.item());
        assertArrayEquals(new int[] {0, 3}, Npy.read(dir.resolve("empty.npy")).shape());
        assertEquals(2, Npy.readHeader(dir.resolve("v2.npy")).major());
        assertArrayEquals(new float[] {0, 1, 2}, Npy.read(dir.resolve("v2.npy")).toFloatArray());
        assertEquals(3, Npy.readHeader(dir.resolve("v3.npy")).major());
        assertArrayEquals(new long[] {0, 1, 2}, Npy.read(dir.resolve("v3.npy")).toLongArray());

        // Graft writes, NumPy reads and checks dtype, shape and values
        Npy.write(dir.resolve("g_f4.npy"), Tensor.fromArray(a, 2, 3, 4));
        Npy.write(dir.resolve("g_f8.npy"), Tensor.fromArray(new double[] {Math.PI, -0.0, 1e300}));
        Npy.write(dir.resolve("g_i8.npy"), Tensor.fromArray(new long[] {Long.MIN_VALUE, 1, Long.MAX_VALUE}, 1, 3));
        Npy.write(dir.resolve("g_i4.npy"), Tensor.fromArray(new int[] {-1, 2, -3, 4}, 2, 2));
        Npy.write(dir.resolve("g_b1.npy"), Tensor.fromArray(new boolean[] {false, true}));
        Npy.write(dir.resolve("g_u1.npy"), Tensor.fromStorage(Storage.wrap(DType.UINT8, new byte[] {0, (byte) 255}), new int[] {2}, "t"));
        Npy.write(dir.resolve("g_sc.npy"), Tensor.scalar(-1.25, DType.FLOAT64));
        Npy.write(dir.resolve("g_i1.npy"), Tensor.fromArray(new int[] {-128, 127}), "|i1");
        String out = python("""
                import numpy as np
                def check(name, want):
                    got = np.load(name)
                    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
                    assert got.shape == want.shape, (name, got.shape, want.shape)
                    assert np.array_equal(got, want), (name, got, want)
                check('g_f4.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4) / np.float32(7))
                check('g_f8.npy', np.array([np.pi, -0.0, 1e300]))
                check('g_i8.npy', np.array([[np.iinfo(np.int64).min, 1, np.iinfo(np.int64).max]]))
                check('g_i4.npy', np.array([[-1, 2], [-3, 4]], dtype=np.int32))
                check('g_b1.npy', np.array([False, True]))
                check('g_u1.npy', np.array([0, 255], dtype=np.uint8))
                check('g_sc.npy', np.array(-1.25))
                check('g_i1.npy', np.array([-128, 127], dtype=np.int8))
                print('numpy agrees')
                """);
        assertTrue(out.contains("numpy agrees"), out);
    }
}
