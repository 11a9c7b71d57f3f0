package dev.graft.safetensors;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /** A file from a raw header string and data bytes, bypassing our writer. */
    private Path raw(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = Files.createTempFile(dir, "raw", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static byte[] le(int bytesPerValue, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * bytesPerValue).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytesPerValue) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    @Test
    void roundTripsEveryDtypeWithMetadata() throws IOException {
        Generator g = new Generator(5);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("f32", Tensor.randn(g, 3, 4));
        in.put("f32.transposed", Tensor.randn(g, 4, 3).t());
        in.put("f64", Tensor.normal(g, 0, 1, DType.FLOAT64, 5));
        in.put("i64", Tensor.fromArray(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 2, 2));
        in.put("i32", Tensor.fromArray(new int[] {Integer.MIN_VALUE, 7}, 2));
        in.put("u8", Tensor.fromArray(new int[] {0, 255, 128}, 3).to(DType.UINT8));
        in.put("bool", Tensor.fromArray(new boolean[] {true, false, true}, 3));
        in.put("f16", Tensor.fromArray(new float[] {1.5f, -2f, 65504f}, 3).to(DType.FLOAT16));
        in.put("bf16", Tensor.fromArray(new float[] {1.5f, -2f, 3e38f}, 3).to(DType.BFLOAT16));
        in.put("scalar", Tensor.scalar(3.25));
        in.put("empty", Tensor.zeros(0, 4));
        Path p = dir.resolve("all.safetensors");
        SafeTensors.write(p, in, Map.of("epoch", "3", "note", "quote \" and \\ and\nnewline"));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(in.keySet().stream().toList(), f.names());
            assertEquals("3", f.metadata().get("epoch"));
            assertEquals("quote \" and \\ and\nnewline", f.metadata().get("note"));
            for (var e : in.entrySet()) {
                Tensor back = f.tensor(e.getKey());
                assertEquals(e.getValue().dtype(), back.dtype(), e.getKey());
                assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
                assertArrayEquals(e.getValue().to(DType.FLOAT64).toDoubleArray(), back.to(DType.FLOAT64).toDoubleArray(), 0, e.getKey());
            }
        }
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to 8 bytes so tensor data is aligned");
    }

    @Test
    void halfPrecisionConvertsOnRequest() throws IOException {
        Path p = dir.resolve("h.safetensors");
        SafeTensors.write(p, Map.of("w", Tensor.fromArray(new float[] {0.1f, 1000f}, 2).to(DType.BFLOAT16)), null);
        Tensor t = SafeTensors.read(p, true).get("w");
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new float[] {0.10009765625f, 1000f}, t.toFloatArray(), 0);
    }

    @Test
    void widensTypesGraftDoesNotStore() throws IOException {
        byte[] i8 = le(1, -128, 127);
        byte[] i16 = le(2, -32768, 32767);
        byte[] u16 = le(2, 65535, 1);
        byte[] u32 = le(4, 0xFFFFFFFFL, 5);
        byte[] u64 = le(8, Long.MAX_VALUE, 0);
        ByteBuffer all = ByteBuffer.allocate(i8.length + i16.length + u16.length + u32.length + u64.length);
        all.put(i8).put(i16).put(u16).put(u32).put(u64);
        String h = "{\"a\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"b\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[2,6]},"
                + "\"c\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[6,10]},"
                + "\"d\":{\"dtype\":\"U32\",\"shape\":[2],\"data_offsets\":[10,18]},"
                + "\"e\":{\"dtype\":\"U64\",\"shape\":[2],\"data_offsets\":[18,34]}}";
        Map<String, Tensor> t = SafeTensors.read(raw(h, all.array()), false);
        assertArrayEquals(new long[] {-128, 127}, t.get("a").toLongArray());
        assertArrayEquals(new long[] {-32768, 32767}, t.get("b").toLongArray());
        assertArrayEquals(new long[] {65535, 1}, t.get("c").toLongArray());
        assertArrayEquals(new long[] {0xFFFFFFFFL, 5}, t.get("d").toLongArray());
        assertArrayEquals(new long[] {Long.MAX_VALUE, 0}, t.get("e").toLongArray());
    }

    private void rejects(String header, byte[] data, String... fragments) throws IOException {
        Path p = raw(header, data);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(p, false));
        assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
    }

    @Test
    void rejectsMalformedHeadersWithClearMessages() throws IOException {
        byte[] d8 = new byte[8];
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d8, "'a'", "needs 12");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", d8, "outside");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[2,6]}}", d8, "overlapping");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d8, "hole");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d8, "cover 4 bytes of a 8-byte");
        rejects("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", d8, "F8_E4M3", "not supported");
        rejects("{\"a\":{\"dtype\":\"Q4\",\"shape\":[8],\"data_offsets\":[0,8]}}", d8, "unknown dtype 'Q4'");
        rejects("{\"a\":{\"dtype\":\"U8\",\"shape\":[-8],\"data_offsets\":[0,8]}}", d8, "non-negative");
        rejects("{\"a\":{\"dtype\":\"U8\",\"shape\":[8]}}", d8, "data_offsets");
        rejects("{\"a\":{\"shape\":[8],\"data_offsets\":[0,8]}}", d8, "dtype");
        rejects("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"U8\",\"shape\":[8],"
                + "\"data_offsets\":[0,8]}}", d8, "duplicate key");
        rejects("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}", d8, "not valid JSON");
        rejects("[1,2]", d8, "JSON object");
        rejects("{\"__metadata__\":{\"epoch\":3}}", new byte[0], "not a string");
        rejects("{\"a\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[] {1, 2}, "byte value 2");
        rejects("{\"a\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]}}", le(8, -1), "does not fit int64");
        rejects("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", d8, "below 2^31");
    }

    @Test
    void rejectsBadLengthsBeforeReadingTheHeader() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThrows(SafeTensorsException.class, () -> SafeTensors.read(tiny, false));
        for (long len : new long[] {-1, 0, 1L << 40, 200L << 20, 1000}) {
            Path p = dir.resolve("len" + Long.toUnsignedString(len) + ".safetensors");
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(len).putLong(0);
            Files.write(p, b.array());
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(p, false));
            assertTrue(e.getMessage().contains("header length"), e.getMessage());
        }
        Path badUtf = raw("{\"ab\":1}", new byte[0]);
        byte[] bytes = Files.readAllBytes(badUtf);
        bytes[10] = (byte) 0xC3; // a lone UTF-8 lead byte inside the key
        Files.write(badUtf, bytes);
        assertThrows(SafeTensorsException.class, () -> SafeTensors.read(badUtf, false));
    }

    @Test
    void randomCorruptionNeverEscapesAsAnythingButSafeTensorsException() throws IOException {
        Path good = dir.resolve("good.safetensors");
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("w", Tensor.randn(new Generator(1), 4, 3));
        in.put("i", Tensor.arange(5));
        in.put("m", Tensor.fromArray(new boolean[] {true, false}, 2));
        SafeTensors.write(good, in, Map.of("k", "v"));
        byte[] original = Files.readAllBytes(good);
        Random r = new Random(42);
        Path p = dir.resolve("fuzz.safetensors");
        int parsed = 0;
        for (int trial = 0; trial < 1500; trial++) {
            byte[] b = original.clone();
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits; k++) {
                int pos = r.nextInt(Math.min(b.length, 8 + 200));
                b[pos] = (byte) r.nextInt(256);
            }
            if (r.nextInt(10) == 0) {
                b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
            }
            Files.write(p, b);
            try {
                SafeTensors.read(p, true);
                parsed++;
            } catch (SafeTensorsException expected) {
                // a clear refusal is the only acceptable failure
            } catch (RuntimeException | Error e) {
                fail("trial " + trial + ": corrupt file escaped as " + e, e);
            }
        }
        assertTrue(parsed < 1500, "the mutations did break some files");
    }

    @Test
    void writeIsAtomicAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("a", Tensor.ones(3)), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(p);
        Map<String, Tensor> bad = new LinkedHashMap<>();
        bad.put("a", Tensor.ones(3));
        bad.put("__metadata__", Tensor.ones(1));
        assertThrows(SafeTensorsException.class, () -> SafeTensors.write(p, bad, null));
        assertArrayEquals(before, Files.readAllBytes(p), "a failed write leaves the old file");
        SafeTensors.write(p, Map.of("a", Tensor.zeros(2)), Map.of("v", "2"));
        assertEquals("2", SafeTensors.readMetadata(p).get("v"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary files left behind");
        }
    }

    @Test
    void shardedCheckpointLoadsAsOneMap() throws IOException {
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), Map.of("a.weight", Tensor.ones(2, 2)), null);
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), Map.of("b.weight", Tensor.full(2, 3)), null);
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"metadata\":{\"total_size\":28},\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\","
                + "\"b.weight\":\"model-00002-of-00002.safetensors\"}}");
        Map<String, Tensor> all = SafeTensors.readSharded(index, false);
        assertEquals(2, all.size());
        assertArrayEquals(new float[] {2, 2, 2}, all.get("b.weight").toFloatArray(), 0);
        Files.writeString(index, "{\"weight_map\":{\"c\":\"../etc/passwd\"}}");
        assertThrows(SafeTensorsException.class, () -> SafeTensors.readSharded(index, false));
        Files.writeString(index, "{\"weight_map\":{\"zzz\":\"model-00001-of-00002.safetensors\"}}");
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.readSharded(index, false));
        assertTrue(e.getMessage().contains("zzz"), e.getMessage());
    }

    @Test
    void readsWhatPythonWrote() throws Exception {
        Path p = Path.of(SafeTensorsTest.class.getResource("/golden-nn/nn_golden.safetensors").toURI());
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertTrue(f.metadata().get("torch").startsWith("1.13"));
            Tensor w = f.tensor("linear.state.weight");
            assertArrayEquals(new int[] {3, 5}, w.shape());
            assertEquals(DType.FLOAT32, w.dtype());
            assertEquals(DType.BOOL, f.tensor("mha_key_padding.mask").dtype());
        }
    }
}
