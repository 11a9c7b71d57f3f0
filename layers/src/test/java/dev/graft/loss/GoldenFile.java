package dev.graft.loss;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the small F32/F64/I64 safetensors fixtures that golden-optim/make_optim_golden.py writes. A
 * test-only reader (the header is parsed with one regular expression); the validating
 * safetensors reader is not needed for fixtures we write ourselves.
 */
final class GoldenFile {
    private GoldenFile() {
    }

    static Map<String, Tensor> read(String resource) throws IOException {
        byte[] all;
        try (InputStream in = GoldenFile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            all = in.readAllBytes();
        }
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = (int) bb.getLong();
        String header = new String(all, 8, headerLen, StandardCharsets.UTF_8);
        int dataStart = 8 + headerLen;
        Map<String, Tensor> out = new LinkedHashMap<>();
        Pattern p = Pattern.compile("\"([^\"]+)\":\\{\"dtype\":\"(F32|F64|I64)\",\"shape\":\\[([0-9,]*)\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}");
        Matcher m = p.matcher(header);
        while (m.find()) {
            String name = m.group(1);
            String[] dims = m.group(3).isEmpty() ? new String[0] : m.group(3).split(",");
            int[] shape = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                shape[i] = Integer.parseInt(dims[i]);
            }
            int from = dataStart + Integer.parseInt(m.group(4));
            int to = dataStart + Integer.parseInt(m.group(5));
            ByteBuffer slice = ByteBuffer.wrap(all, from, to - from).order(ByteOrder.LITTLE_ENDIAN);
            Tensor t = switch (m.group(2)) {
                case "F32" -> {
                    float[] f = new float[(to - from) / 4];
                    slice.asFloatBuffer().get(f);
                    yield Tensor.fromStorage(Storage.wrap(DType.FLOAT32, f), shape, name);
                }
                case "F64" -> {
                    double[] d = new double[(to - from) / 8];
                    slice.asDoubleBuffer().get(d);
                    yield Tensor.fromStorage(Storage.wrap(DType.FLOAT64, d), shape, name);
                }
                default -> {
                    long[] l = new long[(to - from) / 8];
                    slice.asLongBuffer().get(l);
                    yield Tensor.fromStorage(Storage.wrap(DType.INT64, l), shape, name);
                }
            };
            out.put(name, t);
        }
        return out;
    }
}
