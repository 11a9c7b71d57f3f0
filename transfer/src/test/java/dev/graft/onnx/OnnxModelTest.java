package dev.graft.onnx;

import dev.graft.onnx.ops.OpRegistry;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ONNX reader and executor on models built here byte by byte, including malformed ones. */
class OnnxModelTest {

    /** y = x * w + b with named initializers; an op registry of our own so this does not depend on the op groups. */
    private static OpRegistry tinyOps() {
        OpRegistry r = new OpRegistry();
        r.register("Mul", ctx -> new Tensor[] {ctx.input(0).mul(ctx.input(1))});
        r.register("Add", ctx -> new Tensor[] {ctx.input(0).add(ctx.input(1))});
        return r;
    }

    private static byte[] affineModel() {
        ProtoWriter g = new ProtoWriter()
                .message(1, ProtoWriter.node("mul", "Mul", new String[] {"x", "layer.0.w"}, new String[] {"t"}))
                .message(1, ProtoWriter.node("add", "Add", new String[] {"t", "layer.0.b"}, new String[] {"y"}))
                .string(2, "affine")
                .message(5, ProtoWriter.floatTensor("layer.0.w", new long[] {3}, 2f, 3f, 4f))
                .message(5, ProtoWriter.floatTensor("layer.0.b", new long[] {3}, 1f, 1f, 1f))
                .message(11, ProtoWriter.valueInfo("x", 1, -1, 3))
                .message(12, ProtoWriter.valueInfo("y", 1, -1, 3));
        return ProtoWriter.model(13, g);
    }

    @Test
    void parsesAndRunsAndNamesParametersLikeTheFile() {
        OnnxModel m = OnnxModel.parse(ByteBuffer.wrap(affineModel()), "affine.onnx", null);
        assertEquals(8, m.irVersion());
        assertEquals(13, m.opset());
        assertEquals("affine", m.graph().name());
        assertEquals("[N, 3]", m.graph().inputs().getFirst().shape().toString());
        OnnxModule mod = OnnxModule.of(m, tinyOps());
        assertEquals(java.util.List.of("layer.0.w", "layer.0.b"), mod.namedParameters().keySet().stream().toList());
        Tensor x = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor y = mod.infer(Map.of("x", x)).get("y");
        assertArrayEquals(new float[] {3, 7, 13, 9, 16, 25}, y.toFloatArray());
    }

    @Test
    void importedGraphIsDifferentiable() {
        OnnxModule mod = OnnxModule.of(OnnxModel.parse(ByteBuffer.wrap(affineModel()), "affine.onnx", null), tinyOps());
        Tensor x = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        mod.run(Map.of("x", x)).get("y").sum().backward();
        Tensor w = mod.namedParameters().get("layer.0.w");
        Tensor b = mod.namedParameters().get("layer.0.b");
        assertArrayEquals(new float[] {5, 7, 9}, w.grad().toFloatArray()); // d/dw sum(x*w+b) = column sums of x
        assertArrayEquals(new float[] {2, 2, 2}, b.grad().toFloatArray());
        mod.namedParameters().get("layer.0.b").requiresGrad(false);
    }

    @Test
    void feedsAreCheckedByNameTypeAndShape() {
        OnnxModule mod = OnnxModule.of(OnnxModel.parse(ByteBuffer.wrap(affineModel()), "affine.onnx", null), tinyOps());
        OnnxException missing = assertThrows(OnnxException.class, () -> mod.infer(Map.of()));
        assertTrue(missing.getMessage().contains("missing input 'x"), missing.getMessage());
        OnnxException shape = assertThrows(OnnxException.class, () -> mod.infer(Map.of("x", Tensor.zeros(2, 4))));
        assertTrue(shape.getMessage().contains("must have shape [N, 3], got [2, 4]"), shape.getMessage());
        OnnxException type = assertThrows(OnnxException.class,
                () -> mod.infer(Map.of("x", Tensor.zeros(dev.graft.tensor.DType.INT64, 2, 3))));
        assertTrue(type.getMessage().contains("must be float"), type.getMessage());
        OnnxException unknown = assertThrows(OnnxException.class,
                () -> mod.infer(Map.of("x", Tensor.zeros(2, 3), "z", Tensor.zeros(1))));
        assertTrue(unknown.getMessage().contains("unknown input 'z'"), unknown.getMessage());
    }

    @Test
    void unsupportedOpsAreAllListedAtLoad() {
        ProtoWriter g = new ProtoWriter()
                .message(1, ProtoWriter.node("a", "Frobnicate", new String[] {"x"}, new String[] {"t"}))
                .message(1, ProtoWriter.node("b", "Frobnicate", new String[] {"t"}, new String[] {"u"}))
                .message(1, ProtoWriter.node("c", "Wibble", new String[] {"u"}, new String[] {"y"}))
                .message(11, ProtoWriter.valueInfo("x", 1, 3))
                .message(12, ProtoWriter.valueInfo("y", 1, 3));
        OnnxModel m = OnnxModel.parse(ByteBuffer.wrap(ProtoWriter.model(11, g)), "odd.onnx", null);
        UnsupportedOpsException e = assertThrows(UnsupportedOpsException.class, () -> OnnxModule.of(m, tinyOps()));
        assertEquals(2, e.entries().size());
        assertEquals(java.util.List.of("a", "b"), e.entries().get(0).nodes());
        assertTrue(e.getMessage().contains("Frobnicate (opset 11") && e.getMessage().contains("Wibble"), e.getMessage());
    }

    @Test
    void danglingInputsAndCyclesAreRefusedAtLoad() {
        ProtoWriter dangling = new ProtoWriter()
                .message(1, ProtoWriter.node("m", "Mul", new String[] {"x", "nowhere"}, new String[] {"y"}))
                .message(11, ProtoWriter.valueInfo("x", 1, 3))
                .message(12, ProtoWriter.valueInfo("y", 1, 3));
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxModule.of(
                OnnxModel.parse(ByteBuffer.wrap(ProtoWriter.model(13, dangling)), "d.onnx", null), tinyOps()));
        assertTrue(e.getMessage().contains("reads 'nowhere'"), e.getMessage());
        ProtoWriter cycle = new ProtoWriter()
                .message(1, ProtoWriter.node("p", "Mul", new String[] {"x", "b"}, new String[] {"a"}))
                .message(1, ProtoWriter.node("q", "Mul", new String[] {"a", "x"}, new String[] {"b"}))
                .message(11, ProtoWriter.valueInfo("x", 1, 3))
                .message(12, ProtoWriter.valueInfo("b", 1, 3));
        OnnxException c = assertThrows(OnnxException.class, () -> OnnxModule.of(
                OnnxModel.parse(ByteBuffer.wrap(ProtoWriter.model(13, cycle)), "c.onnx", null), tinyOps()));
        assertTrue(c.getMessage().contains("cycle"), c.getMessage());
    }

    @Test
    void tensorsDecodeFromEveryStorageForm() {
        // int64_data (field 7), int32_data holding int8 (field 5), float16 bits in int32_data, bool in int32_data
        byte[] i64 = new ProtoWriter().packedVarints(1, 2).varint(2, 7).string(8, "a").packedVarints(7, -3, 1L << 40).toByteArray();
        Tensor a = decode(i64);
        assertArrayEquals(new long[] {-3, 1L << 40}, a.toLongArray());
        byte[] i8 = new ProtoWriter().packedVarints(1, 3).varint(2, 3).string(8, "b").packedVarints(5, -128, 0, 127).toByteArray();
        assertArrayEquals(new long[] {-128, 0, 127}, decode(i8).toLongArray());
        short half = Float.floatToFloat16(1.5f);
        byte[] f16 = new ProtoWriter().packedVarints(1, 1).varint(2, 10).string(8, "c").packedVarints(5, half & 0xffff).toByteArray();
        assertEquals(1.5, decode(f16).item());
        byte[] f32 = new ProtoWriter().packedVarints(1, 2).varint(2, 1).string(8, "d").packedFloats(4, 0.25f, -2f).toByteArray();
        assertArrayEquals(new float[] {0.25f, -2f}, decode(f32).toFloatArray());
        ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        bf.putShort((short) (Float.floatToIntBits(3.0f) >>> 16)).putShort((short) (Float.floatToIntBits(-0.5f) >>> 16));
        byte[] bf16 = new ProtoWriter().packedVarints(1, 2).varint(2, 16).string(8, "e").bytes(9, bf.array()).toByteArray();
        assertArrayEquals(new float[] {3f, -0.5f}, decode(bf16).toFloatArray());
        byte[] scalar = new ProtoWriter().varint(2, 1).string(8, "s").packedFloats(4, 7f).toByteArray();
        assertEquals(0, decode(scalar).dim());
    }

    @Test
    void malformedTensorsGiveNamedErrors() {
        byte[] shortRaw = new ProtoWriter().packedVarints(1, 4).varint(2, 1).string(8, "w").bytes(9, new byte[12]).toByteArray();
        assertMessage(shortRaw, "tensor 'w': raw_data has 12 bytes, expected 16");
        byte[] negative = new ProtoWriter().packedVarints(1, -1).varint(2, 1).string(8, "n").toByteArray();
        assertMessage(negative, "dimension 0 is -1");
        byte[] huge = new ProtoWriter().packedVarints(1, 1L << 20, 1L << 20).varint(2, 1).string(8, "h").toByteArray();
        assertMessage(huge, "more elements than a Java array");
        byte[] strings = new ProtoWriter().packedVarints(1, 1).varint(2, 8).string(8, "s").string(6, "x").toByteArray();
        assertMessage(strings, "string tensors are not supported");
        byte[] complex = new ProtoWriter().packedVarints(1, 1).varint(2, 14).string(8, "z").toByteArray();
        assertMessage(complex, "COMPLEX64 is not supported");
        byte[] typedCount = new ProtoWriter().packedVarints(1, 3).varint(2, 1).string(8, "t").packedFloats(4, 1f).toByteArray();
        assertMessage(typedCount, "has 1 typed values, expected 3");
    }

    @Test
    void truncatedAndGarbageFilesGiveErrorsNotCrashes() {
        byte[] good = affineModel();
        for (int cut = 1; cut < good.length; cut += 7) {
            byte[] part = Arrays.copyOf(good, cut);
            try {
                OnnxModel m = OnnxModel.parse(ByteBuffer.wrap(part), "cut.onnx", null);
                OnnxModule.of(m, tinyOps()); // a cut that happens to parse must still load or fail cleanly
            } catch (OnnxException expected) {
                assertTrue(expected.getMessage().startsWith("cut.onnx"), expected.getMessage());
            }
        }
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 300; i++) {
            byte[] junk = good.clone();
            for (int k = 0; k < 4; k++) {
                junk[rnd.nextInt(junk.length)] = (byte) rnd.nextInt(256);
            }
            try {
                OnnxModule.of(OnnxModel.parse(ByteBuffer.wrap(junk), "junk.onnx", null), tinyOps());
            } catch (OnnxException expected) {
                // fine: a clear error
            }
        }
        OnnxException notModel = assertThrows(OnnxException.class,
                () -> OnnxModel.parse(ByteBuffer.wrap(new byte[] {0x08, 0x01}), "x.onnx", null));
        assertTrue(notModel.getMessage().contains("no graph"), notModel.getMessage());
    }

    @Test
    void externalDataIsReadInsideTheModelDirectoryOnly(@TempDir Path dir) throws Exception {
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(9f).putFloat(1f).putFloat(2f).putFloat(3f);
        Files.write(dir.resolve("weights.bin"), data.array());
        ProtoWriter ext = new ProtoWriter().packedVarints(1, 3).varint(2, 1).string(8, "w")
                .message(13, new ProtoWriter().string(1, "location").string(2, "weights.bin"))
                .message(13, new ProtoWriter().string(1, "offset").string(2, "4"))
                .message(13, new ProtoWriter().string(1, "length").string(2, "12"))
                .varint(14, 1);
        ProtoWriter g = new ProtoWriter()
                .message(1, ProtoWriter.node("mul", "Mul", new String[] {"x", "w"}, new String[] {"y"}))
                .message(5, ext)
                .message(11, ProtoWriter.valueInfo("x", 1, 3))
                .message(12, ProtoWriter.valueInfo("y", 1, 3));
        Path model = dir.resolve("m.onnx");
        Files.write(model, ProtoWriter.model(13, g));
        OnnxModel m = OnnxModel.read(model);
        assertArrayEquals(new float[] {1, 2, 3}, m.graph().initializers().get("w").toFloatArray());

        ProtoWriter escape = new ProtoWriter().packedVarints(1, 3).varint(2, 1).string(8, "w")
                .message(13, new ProtoWriter().string(1, "location").string(2, "../../etc/passwd")).varint(14, 1);
        Path bad = dir.resolve("bad.onnx");
        Files.write(bad, ProtoWriter.model(13, new ProtoWriter().message(5, escape)));
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxModel.read(bad));
        assertTrue(e.getMessage().contains("outside the model directory"), e.getMessage());

        ProtoWriter tooLong = new ProtoWriter().packedVarints(1, 3).varint(2, 1).string(8, "w")
                .message(13, new ProtoWriter().string(1, "location").string(2, "weights.bin"))
                .message(13, new ProtoWriter().string(1, "offset").string(2, "8")).varint(14, 1);
        Path bad2 = dir.resolve("bad2.onnx");
        Files.write(bad2, ProtoWriter.model(13, new ProtoWriter().message(5, tooLong)));
        OnnxException e2 = assertThrows(OnnxException.class, () -> OnnxModel.read(bad2));
        assertTrue(e2.getMessage().contains("raw_data has 8 bytes, expected 12"), e2.getMessage());
    }

    private static Tensor decode(byte[] tensorProto) {
        return new TensorDecoder("t.pb", null).decode(new ProtoReader(ByteBuffer.wrap(tensorProto), "t.pb")).tensor();
    }

    private static void assertMessage(byte[] tensorProto, String expected) {
        OnnxException e = assertThrows(OnnxException.class, () -> decode(tensorProto));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
