package dev.graft.safetensors;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: the header is parsed and fully validated on open (before
 * anything is allocated for tensor data), the data section is memory-mapped, and tensors are copied
 * onto the heap one at a time on request. Format: an unsigned 64-bit little-endian header length N,
 * N bytes of UTF-8 JSON ({@code name -> {dtype, shape, data_offsets}} plus optional
 * {@code __metadata__} of string values), then the data buffer, which the tensors must cover
 * exactly, without overlaps or holes.
 *
 * <p>Storage types without a Graft dtype widen on load: I8, I16 and U16 to int32, U32 and U64 to
 * int64 (U64 values above 2^63-1 are an error). Float8 types are refused with a message.
 */
public final class SafeTensorsFile implements AutoCloseable {
    /** Headers above this are refused before they are read (the reference implementation's limit). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    /** One tensor's header entry. */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {
        public long byteLength() {
            return end - begin;
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafeTensorsFile open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            String where = "safetensors " + path;
            if (fileSize < 8) {
                throw new SafeTensorsException(where + ": file has " + fileSize + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw new SafeTensorsException(where + ": header length " + Long.toUnsignedString(headerLen)
                        + " is outside [2, " + MAX_HEADER_BYTES + "]");
            }
            if (8 + headerLen > fileSize) {
                throw new SafeTensorsException(where + ": header length " + headerLen + " runs past the end of the file ("
                        + fileSize + " bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb.flip()).toString();
            } catch (CharacterCodingException e) {
                throw new SafeTensorsException(where + ": header is not valid UTF-8");
            }
            long dataSize = fileSize - 8 - headerLen;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(where, text, dataSize, metadata);
            Arena arena = Arena.ofShared();
            MemorySegment seg;
            try {
                seg = dataSize == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 8 + headerLen, dataSize, arena);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
            return new SafeTensorsFile(path, arena, seg, entries, metadata);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new SafeTensorsException("safetensors: unexpected end of file");
            }
            p += n;
        }
    }

    static Map<String, Entry> parseHeader(String where, String text, long dataSize, Map<String, String> metadataOut)
            throws SafeTensorsException {
        Object root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new SafeTensorsException(where + ": header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new SafeTensorsException(where + ": header must be a JSON object");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (var e : map.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> meta)) {
                    throw new SafeTensorsException(where + ": __metadata__ must be an object of strings");
                }
                for (var m : meta.entrySet()) {
                    if (!(m.getValue() instanceof String v)) {
                        throw new SafeTensorsException(where + ": __metadata__ value for '" + m.getKey() + "' is not a string");
                    }
                    metadataOut.put((String) m.getKey(), v);
                }
                continue;
            }
            entries.put(name, entry(where, name, e.getValue(), dataSize));
        }
        // the tensors must tile the data buffer: sorted by offset, each starts where the previous ended
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry en : sorted) {
            if (en.begin() != at) {
                throw new SafeTensorsException(where + ": tensor '" + en.name() + "' starts at byte " + en.begin() + " but the previous "
                        + "data ends at " + at + (en.begin() > at ? " (a hole)" : " (overlapping tensors)"));
            }
            at = en.end();
        }
        if (at != dataSize) {
            throw new SafeTensorsException(where + ": tensors cover " + at + " bytes of a " + dataSize + "-byte data section");
        }
        return Collections.unmodifiableMap(entries);
    }

    private static Entry entry(String where, String name, Object v, long dataSize) throws SafeTensorsException {
        String w = where + ": tensor '" + name + "'";
        if (!(v instanceof Map<?, ?> m)) {
            throw new SafeTensorsException(w + ": entry must be an object");
        }
        if (!(m.get("dtype") instanceof String dtype)) {
            throw new SafeTensorsException(w + ": missing or non-string dtype");
        }
        int size = elementSize(w, dtype);
        if (!(m.get("shape") instanceof List<?> shapeList)) {
            throw new SafeTensorsException(w + ": missing shape");
        }
        int[] shape = new int[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new SafeTensorsException(w + ": shape " + shapeList + " must hold non-negative integers below 2^31");
            }
            shape[i] = (int) (long) d;
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException ex) {
                throw new SafeTensorsException(w + ": shape " + shapeList + " overflows");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2 || !(off.get(0) instanceof Long b)
                || !(off.get(1) instanceof Long e)) {
            throw new SafeTensorsException(w + ": data_offsets must be [begin, end]");
        }
        if (b < 0 || e < b || e > dataSize) {
            throw new SafeTensorsException(w + ": data_offsets [" + b + ", " + e + "] lie outside the " + dataSize + "-byte data section");
        }
        long need;
        try {
            need = Math.multiplyExact(numel, size);
        } catch (ArithmeticException ex) {
            throw new SafeTensorsException(w + ": shape " + shapeList + " overflows");
        }
        if (need != e - b) {
            throw new SafeTensorsException(w + ": data_offsets [" + b + ", " + e + "] give " + (e - b) + " bytes but shape "
                    + shapeList + " of " + dtype + " needs " + need);
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw new SafeTensorsException(w + ": " + numel + " elements do not fit one Java array");
        }
        return new Entry(name, dtype, shape, b, e);
    }

    private static int elementSize(String where, String dtype) throws SafeTensorsException {
        return switch (dtype) {
            case "BOOL", "U8", "I8" -> 1;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "F32", "I32", "U32" -> 4;
            case "F64", "I64", "U64" -> 8;
            case "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2" -> throw new SafeTensorsException(where + ": dtype "
                    + dtype + " (8-bit or smaller floats) is not supported; convert the checkpoint to F16, BF16 or F32");
            default -> throw new SafeTensorsException(where + ": unknown dtype '" + dtype + "'");
        };
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    public Entry entry(String name) {
        return entries.get(name);
    }

    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** Copies one tensor onto the heap in its own dtype (see the class comment for widened types). */
    public Tensor tensor(String name) throws SafeTensorsException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new SafeTensorsException("safetensors " + path + ": no tensor named '" + name + "'");
        }
        int n = (int) (e.byteLength() / Math.max(1, elementSize("", e.dtype())));
        long off = e.begin();
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfDouble f64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        Storage st;
        switch (e.dtype()) {
            case "F32" -> {
                float[] a = new float[n];
                MemorySegment.copy(data, f32, off, a, 0, n);
                st = Storage.wrap(DType.FLOAT32, a);
            }
            case "F64" -> {
                double[] a = new double[n];
                MemorySegment.copy(data, f64, off, a, 0, n);
                st = Storage.wrap(DType.FLOAT64, a);
            }
            case "I64" -> {
                long[] a = new long[n];
                MemorySegment.copy(data, i64, off, a, 0, n);
                st = Storage.wrap(DType.INT64, a);
            }
            case "I32" -> {
                int[] a = new int[n];
                MemorySegment.copy(data, i32, off, a, 0, n);
                st = Storage.wrap(DType.INT32, a);
            }
            case "F16", "BF16" -> {
                short[] a = new short[n];
                MemorySegment.copy(data, i16, off, a, 0, n);
                st = Storage.wrap(e.dtype().equals("F16") ? DType.FLOAT16 : DType.BFLOAT16, a);
            }
            case "U8" -> {
                byte[] a = new byte[n];
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, a, 0, n);
                st = Storage.wrap(DType.UINT8, a);
            }
            case "BOOL" -> {
                byte[] a = new byte[n];
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, a, 0, n);
                for (int i = 0; i < n; i++) {
                    if (a[i] != 0 && a[i] != 1) {
                        throw new SafeTensorsException("safetensors " + path + ": tensor '" + name + "': BOOL element " + i
                                + " has byte value " + a[i] + " (expected 0 or 1)");
                    }
                }
                st = Storage.wrap(DType.BOOL, a);
            }
            case "I8" -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(ValueLayout.JAVA_BYTE, off + i);
                }
                st = Storage.wrap(DType.INT32, a);
            }
            case "I16", "U16" -> {
                int[] a = new int[n];
                boolean unsigned = e.dtype().equals("U16");
                for (int i = 0; i < n; i++) {
                    short v = data.get(i16, off + 2L * i);
                    a[i] = unsigned ? v & 0xFFFF : v;
                }
                st = Storage.wrap(DType.INT32, a);
            }
            case "U32" -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(i32, off + 4L * i) & 0xFFFFFFFFL;
                }
                st = Storage.wrap(DType.INT64, a);
            }
            case "U64" -> {
                long[] a = new long[n];
                MemorySegment.copy(data, i64, off, a, 0, n);
                for (int i = 0; i < n; i++) {
                    if (a[i] < 0) {
                        throw new SafeTensorsException("safetensors " + path + ": tensor '" + name + "': U64 element " + i + " ("
                                + Long.toUnsignedString(a[i]) + ") does not fit int64");
                    }
                }
                st = Storage.wrap(DType.INT64, a);
            }
            default -> throw new SafeTensorsException("safetensors " + path + ": tensor '" + name + "': unsupported dtype " + e.dtype());
        }
        return Tensor.fromStorage(st, e.shape(), "safetensors " + path + ": tensor '" + name + "'");
    }

    /** Every tensor, in header order; float16/bfloat16 converted to float32 when asked. */
    public Map<String, Tensor> readAll(boolean halfToFloat32) throws SafeTensorsException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : entries.keySet()) {
            Tensor t = tensor(name);
            if (halfToFloat32 && (t.dtype() == DType.FLOAT16 || t.dtype() == DType.BFLOAT16)) {
                t = t.to(DType.FLOAT32);
            }
            out.put(name, t);
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
