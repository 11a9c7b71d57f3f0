package dev.graft.onnx;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Decodes {@code TensorProto} messages (fields: dims 1, data_type 2, float_data 4, int32_data 5,
 * string_data 6, int64_data 7, name 8, raw_data 9, double_data 10, uint64_data 11,
 * external_data 13, data_location 14) into Graft tensors.
 *
 * <p>Sizes are checked before anything is allocated: dims must be non-negative and their product
 * must fit a Java array; the data present (raw bytes, typed values or the external file's range)
 * must hold exactly that many elements. External data must lie inside the model's directory.
 */
final class TensorDecoder {
    final String source;
    private final Path dir;

    TensorDecoder(String source, Path dir) {
        this.source = source;
        this.dir = dir;
    }

    OnnxModel.NamedTensor decode(ProtoReader r) {
        ProtoReader.LongList dims = new ProtoReader.LongList();
        long dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        ProtoReader.FloatList floats = new ProtoReader.FloatList();
        ProtoReader.LongList ints = new ProtoReader.LongList();   // int32_data, int64_data and uint64_data share it
        ProtoReader.DoubleList doubles = new ProtoReader.DoubleList();
        int stringCount = 0;
        long location = 0;
        String extLocation = null;
        long extOffset = 0;
        long extLength = -1;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> r.varints(dims);
                case 2 -> dataType = r.int64();
                case 4 -> r.floats(floats);
                case 5, 7 -> r.varints(ints);
                case 11 -> r.varints(ints);
                case 6 -> { r.skip(); stringCount++; }
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 10 -> r.doubles(doubles);
                case 13 -> {
                    String[] kv = OnnxModel.stringPair(r.message());
                    switch (kv[0]) {
                        case "location" -> extLocation = kv[1];
                        case "offset" -> extOffset = parseLong(kv[1], name, "offset");
                        case "length" -> extLength = parseLong(kv[1], name, "length");
                        default -> { }
                    }
                }
                case 14 -> location = r.int64();
                default -> r.skip();
            }
        }
        String what = source + ": tensor '" + name + "'";
        OnnxDataType type = OnnxDataType.of(dataType);
        if (type == OnnxDataType.STRING && stringCount >= 0) {
            throw new OnnxException(what + ": string tensors are not supported");
        }
        DType dtype = type.graftOrThrow(what);
        long[] d = dims.toArray();
        int[] shape = new int[d.length];
        long numel = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0 || d[i] > Integer.MAX_VALUE) {
                throw new OnnxException(what + ": dimension " + i + " is " + d[i] + " in dims " + Arrays.toString(d));
            }
            shape[i] = (int) d[i];
            numel *= d[i];
            if (numel > Integer.MAX_VALUE - 8) {
                throw new OnnxException(what + ": dims " + Arrays.toString(d) + " hold more elements than a Java array");
            }
        }
        int n = (int) numel;
        if (location == 1) {
            raw = external(what, extLocation, extOffset, extLength);
        }
        Storage storage;
        if (raw != null) {
            long expected = (long) n * type.size;
            if (raw.remaining() != expected) {
                throw new OnnxException(what + ": raw_data has " + raw.remaining() + " bytes, expected " + expected
                        + " for " + type + " dims " + Arrays.toString(d));
            }
            storage = fromRaw(raw.order(ByteOrder.LITTLE_ENDIAN), type, dtype, n);
        } else {
            int have = type == OnnxDataType.FLOAT ? floats.size() : type == OnnxDataType.DOUBLE ? doubles.size() : ints.size();
            if (have != n) {
                throw new OnnxException(what + ": has " + have + " typed values, expected " + n + " for dims " + Arrays.toString(d));
            }
            storage = fromTyped(type, dtype, n, floats, ints, doubles);
        }
        return new OnnxModel.NamedTensor(name, type, Tensor.fromStorage(storage, shape, what));
    }

    private static long parseLong(String s, String name, String key) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new OnnxException("tensor '" + name + "': external_data " + key + " '" + s + "' is not a number");
        }
    }

    private ByteBuffer external(String what, String location, long offset, long length) {
        if (dir == null) {
            throw new OnnxException(what + ": external data cannot be resolved for a model read from a stream");
        }
        if (location == null || location.isEmpty()) {
            throw new OnnxException(what + ": external data without a location");
        }
        Path root = dir.toAbsolutePath().normalize();
        Path file = root.resolve(location).normalize();
        if (!file.startsWith(root)) {
            throw new OnnxException(what + ": external data location '" + location + "' lies outside the model directory " + root);
        }
        if (!Files.isRegularFile(file)) {
            throw new OnnxException(what + ": external data file " + file + " does not exist");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long len = length < 0 ? size - offset : length;
            if (offset < 0 || len < 0 || offset > size || len > size - offset || len > Integer.MAX_VALUE) {
                throw new OnnxException(what + ": external range offset " + offset + " length " + len + " does not fit "
                        + file + " (" + size + " bytes)");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, len);
        } catch (IOException e) {
            throw new OnnxException(what + ": cannot read external data " + file + ": " + e.getMessage(), e);
        }
    }

    private static Storage fromRaw(ByteBuffer b, OnnxDataType type, DType dtype, int n) {
        Storage s = Storage.allocate(dtype, n);
        Object a = s.array();
        switch (type) {
            case FLOAT -> b.asFloatBuffer().get((float[]) a);
            case DOUBLE -> b.asDoubleBuffer().get((double[]) a);
            case INT64, UINT64 -> b.asLongBuffer().get((long[]) a);
            case INT32 -> b.asIntBuffer().get((int[]) a);
            case UINT8, BOOL -> {
                byte[] out = (byte[]) a;
                b.get(out);
                if (type == OnnxDataType.BOOL) {
                    for (int i = 0; i < n; i++) {
                        out[i] = (byte) (out[i] != 0 ? 1 : 0);
                    }
                }
            }
            case INT8 -> { int[] out = (int[]) a; for (int i = 0; i < n; i++) out[i] = b.get(i); }
            case INT16 -> { int[] out = (int[]) a; for (int i = 0; i < n; i++) out[i] = b.getShort(2 * i); }
            case UINT16 -> { int[] out = (int[]) a; for (int i = 0; i < n; i++) out[i] = b.getShort(2 * i) & 0xffff; }
            case UINT32 -> { long[] out = (long[]) a; for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i) & 0xffffffffL; }
            case FLOAT16 -> { float[] out = (float[]) a; for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(b.getShort(2 * i)); }
            case BFLOAT16 -> { float[] out = (float[]) a; for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16); }
            default -> throw new OnnxException("raw data of type " + type + " is not supported");
        }
        return s;
    }

    private static Storage fromTyped(OnnxDataType type, DType dtype, int n, ProtoReader.FloatList floats,
                                     ProtoReader.LongList ints, ProtoReader.DoubleList doubles) {
        Storage s = Storage.allocate(dtype, n);
        Object a = s.array();
        long[] v = type == OnnxDataType.FLOAT || type == OnnxDataType.DOUBLE ? null : ints.toArray();
        switch (type) {
            case FLOAT -> System.arraycopy(floats.toArray(), 0, a, 0, n);
            case DOUBLE -> System.arraycopy(doubles.toArray(), 0, a, 0, n);
            case INT64, UINT64 -> System.arraycopy(v, 0, a, 0, n);
            case UINT32 -> { long[] out = (long[]) a; for (int i = 0; i < n; i++) out[i] = v[i] & 0xffffffffL; }
            case INT32 -> { int[] out = (int[]) a; for (int i = 0; i < n; i++) out[i] = (int) v[i]; }
            case INT8 -> { int[] out = (int[]) a; for (int i = 0; i < n; i++) out[i] = (byte) v[i]; }
            case INT16 -> { int[] out = (int[]) a; for (int i = 0; i < n; i++) out[i] = (short) v[i]; }
            case UINT16 -> { int[] out = (int[]) a; for (int i = 0; i < n; i++) out[i] = (int) (v[i] & 0xffff); }
            case UINT8 -> { byte[] out = (byte[]) a; for (int i = 0; i < n; i++) out[i] = (byte) v[i]; }
            case BOOL -> { byte[] out = (byte[]) a; for (int i = 0; i < n; i++) out[i] = (byte) (v[i] != 0 ? 1 : 0); }
            case FLOAT16 -> { float[] out = (float[]) a; for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat((short) v[i]); }
            case BFLOAT16 -> { float[] out = (float[]) a; for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat(((int) v[i] & 0xffff) << 16); }
            default -> throw new OnnxException("typed data of type " + type + " is not supported");
        }
        return s;
    }
}
