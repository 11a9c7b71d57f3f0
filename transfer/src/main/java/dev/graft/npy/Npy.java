package dev.graft.npy;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NumPy's {@code .npy} format: a magic string, a version, a header that is a Python dict literal
 * ({@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}), then the raw elements.
 *
 * <p>Reading accepts format versions 1.0, 2.0 and 3.0, little- and big-endian data, C and Fortran
 * order (Fortran data is transposed into Graft's row-major layout), and the dtypes float16/32/64,
 * int8/16/32/64, uint8/16/32/64 and bool. Graft has fewer dtypes, so values widen: float16 to
 * FLOAT32, int8/int16/uint16 to INT32, uint32 to INT64; uint64 reads as INT64 and a value of 2^63 or
 * more is refused rather than wrapped. Everything about the header is checked against the file's
 * size before any data array is allocated.
 *
 * <p>Writing produces version 1.0 (2.0 for a header over 64 KiB), little-endian, C order, for
 * FLOAT32, FLOAT64, INT64, INT32, UINT8 and BOOL tensors, or in an explicitly chosen NumPy dtype
 * (e.g. {@code "|i1"} for ONNX int8 values Graft holds as INT32), into a temporary file that is then
 * renamed over the target, so a reader never sees half a file.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** The largest header accepted when reading (NumPy itself refuses headers over 10 000 bytes by default). */
    public static final int MAX_HEADER_BYTES = 1 << 20;

    private Npy() {
    }

    /** What the header says: the element type, layout and shape, and where the data begins. */
    public record Header(int major, int minor, String descr, boolean fortranOrder, int[] shape, long dataOffset) {
        /** Element count. */
        public long numel() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        @Override
        public String toString() {
            return "npy v" + major + "." + minor + " " + descr + (fortranOrder ? " fortran" : "") + " " + Arrays.toString(shape);
        }
    }

    /** One NumPy element type: its kind letter and byte size, and the Graft dtype it reads into. */
    private record Kind(char kind, int size, DType graft) {
        static Kind parse(String descr, Path file) {
            if (descr.length() < 2) {
                throw new NpyException(file + ": unsupported dtype '" + descr + "'");
            }
            char order = descr.charAt(0);
            String body = "<>|=".indexOf(order) >= 0 ? descr.substring(1) : descr;
            char k = body.charAt(0);
            int size;
            try {
                size = Integer.parseInt(body.substring(1));
            } catch (NumberFormatException e) {
                throw new NpyException(file + ": unsupported dtype '" + descr + "'");
            }
            DType g = switch (k + "" + size) {
                case "f2", "f4" -> DType.FLOAT32;
                case "f8" -> DType.FLOAT64;
                case "i1", "i2", "i4", "u2" -> DType.INT32;
                case "i8", "u4", "u8" -> DType.INT64;
                case "u1" -> DType.UINT8;
                case "b1" -> DType.BOOL;
                default -> null;
            };
            if (g == null) {
                throw new NpyException(file + ": unsupported dtype '" + descr + "' (supported: float16/32/64, "
                        + "int8/16/32/64, uint8/16/32/64, bool)");
            }
            return new Kind(k, size, g);
        }
    }

    // ------------------------------------------------------------------ reading

    /** Reads just the header, validated against the file's size. */
    public static Header readHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, file);
        }
    }

    /** Reads a whole {@code .npy} file as a Graft tensor (a 0-d tensor for a NumPy scalar array). */
    public static Tensor read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(ch, file);
            Kind kind = Kind.parse(h.descr(), file);
            int n = (int) h.numel();
            ByteOrder order = h.descr().charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            Storage storage = Storage.allocate(kind.graft(), n);
            // map at most 1 GiB at a time (a mapping is limited to 2 GiB; arrays of 8-byte elements are not)
            int perChunk = (1 << 30) / kind.size();
            for (int start = 0; start < n; start += perChunk) {
                int count = Math.min(perChunk, n - start);
                ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, h.dataOffset() + (long) start * kind.size(),
                        (long) count * kind.size()).order(order);
                decode(data, kind, storage.array(), start, count, file);
            }
            int[] shape = h.shape();
            if (!h.fortranOrder() || shape.length < 2) {
                return Tensor.fromStorage(storage, shape, file.toString());
            }
            // Fortran order: the data is the C-order array of the reversed shape, transposed
            int[] rev = new int[shape.length];
            int[] perm = new int[shape.length];
            for (int i = 0; i < shape.length; i++) {
                rev[i] = shape[shape.length - 1 - i];
                perm[i] = shape.length - 1 - i;
            }
            return Tensor.fromStorage(storage, rev, file.toString()).permute(perm).contiguous();
        }
    }

    private static Header readHeader(FileChannel ch, Path file) throws IOException {
        long fileSize = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, 0);
        if (pre.position() < 10) {
            throw new NpyException(file + ": too short for a .npy file (" + fileSize + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (pre.get(i) != MAGIC[i]) {
                throw new NpyException(file + ": not a .npy file (no \\x93NUMPY magic)");
            }
        }
        int major = pre.get(6) & 0xFF;
        int minor = pre.get(7) & 0xFF;
        long headerLen;
        int prefix;
        if (major == 1) {
            headerLen = pre.getShort(8) & 0xFFFF;
            prefix = 10;
        } else if (major == 2 || major == 3) {
            if (pre.position() < 12) {
                throw new NpyException(file + ": truncated header length");
            }
            headerLen = pre.getInt(8) & 0xFFFFFFFFL;
            prefix = 12;
        } else {
            throw new NpyException(file + ": unsupported .npy format version " + major + "." + minor + " (1.0, 2.0, 3.0 are)");
        }
        if (headerLen > MAX_HEADER_BYTES || prefix + headerLen > fileSize) {
            throw new NpyException(file + ": header length " + headerLen + " does not fit in the file (" + fileSize
                    + " bytes) or exceeds " + MAX_HEADER_BYTES);
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, prefix);
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new HeaderParser(text, file).dict();
        if (!dict.keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
            throw new NpyException(file + ": header must have exactly the keys descr, fortran_order, shape; has " + dict.keySet());
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new NpyException(file + ": 'descr' is not a simple dtype string (structured arrays are not supported): "
                    + dict.get("descr"));
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new NpyException(file + ": 'fortran_order' must be True or False, got " + dict.get("fortran_order"));
        }
        if (!(dict.get("shape") instanceof List<?> dims)) {
            throw new NpyException(file + ": 'shape' must be a tuple, got " + dict.get("shape"));
        }
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new NpyException(file + ": shape " + dims + " has an invalid dimension " + dims.get(i));
            }
            shape[i] = (int) (long) d;
            numel *= d; // both factors are below 2^31, so this cannot overflow
            if (numel > Integer.MAX_VALUE - 8) {
                throw new NpyException(file + ": shape " + dims + " has more elements than one Java array holds");
            }
        }
        Kind kind = Kind.parse(descr, file);
        long dataOffset = prefix + headerLen;
        long need = numel * kind.size();
        if (fileSize - dataOffset != need) {
            throw new NpyException(file + ": shape " + Arrays.toString(shape) + " of " + descr + " needs " + need
                    + " data bytes, but the file has " + (fileSize - dataOffset) + " after the header");
        }
        return new Header(major, minor, descr, fortran, shape, dataOffset);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                break;
            }
        }
    }

    /** Decodes {@code n} elements from {@code in} into {@code array} (the storage array of k's Graft dtype) at {@code at}. */
    private static void decode(ByteBuffer in, Kind k, Object array, int at, int n, Path file) {
        String key = k.kind() + "" + k.size();
        switch (key) {
            case "f4" -> in.asFloatBuffer().get((float[]) array, at, n);
            case "f8" -> in.asDoubleBuffer().get((double[]) array, at, n);
            case "f2" -> {
                float[] a = (float[]) array;
                for (int i = 0; i < n; i++) {
                    a[at + i] = Float.float16ToFloat(in.getShort(2 * i));
                }
            }
            case "i8", "u8" -> {
                long[] a = (long[]) array;
                in.asLongBuffer().get(a, at, n);
                if (key.equals("u8")) {
                    for (int i = at; i < at + n; i++) {
                        if (a[i] < 0) {
                            throw new NpyException(file + ": uint64 element " + i + " is " + Long.toUnsignedString(a[i])
                                    + ", beyond Graft's int64");
                        }
                    }
                }
            }
            case "u4" -> {
                long[] a = (long[]) array;
                for (int i = 0; i < n; i++) {
                    a[at + i] = in.getInt(4 * i) & 0xFFFFFFFFL;
                }
            }
            case "i4" -> in.asIntBuffer().get((int[]) array, at, n);
            case "i2", "u2" -> {
                int[] a = (int[]) array;
                boolean unsigned = key.equals("u2");
                for (int i = 0; i < n; i++) {
                    short v = in.getShort(2 * i);
                    a[at + i] = unsigned ? v & 0xFFFF : v;
                }
            }
            case "i1" -> {
                int[] a = (int[]) array;
                for (int i = 0; i < n; i++) {
                    a[at + i] = in.get(i);
                }
            }
            case "u1" -> in.get(0, (byte[]) array, at, n);
            case "b1" -> {
                byte[] a = (byte[]) array;
                in.get(0, a, at, n);
                for (int i = at; i < at + n; i++) {
                    a[i] = (byte) (a[i] != 0 ? 1 : 0);
                }
            }
            default -> throw new NpyException(file + ": unsupported dtype " + key);
        }
    }

    // ------------------------------------------------------------------ writing

    /** The NumPy dtype a Graft dtype is written as. */
    public static String descrOf(DType d) {
        return switch (d) {
            case FLOAT32 -> "<f4";
            case FLOAT64 -> "<f8";
            case INT64 -> "<i8";
            case INT32 -> "<i4";
            case UINT8 -> "|u1";
            case BOOL -> "|b1";
            case FLOAT16 -> "<f2";
            case BFLOAT16 -> throw new NpyException("NumPy has no bfloat16 dtype; convert to float32 first");
        };
    }

    /** Writes a tensor in its own dtype (see {@link #descrOf}), little-endian, C order, atomically. */
    public static void write(Path file, Tensor t) throws IOException {
        write(file, t, descrOf(t.dtype()));
    }

    /**
     * Writes a tensor converted to the NumPy dtype {@code descr} (little-endian or byte-sized:
     * {@code <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1}). Integer values outside the target's
     * range are refused rather than wrapped.
     */
    public static void write(Path file, Tensor t, String descr) throws IOException {
        String d = normalise(descr);
        Kind k = Kind.parse(d, file);
        Tensor src = t.detach();
        int n = src.numel();
        String header = headerText(d, src.shape());
        byte[] hb = header.getBytes(StandardCharsets.ISO_8859_1);
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer pre = ByteBuffer.allocate(hb.length + 12).order(ByteOrder.LITTLE_ENDIAN);
                pre.put(MAGIC);
                if (hb.length <= 0xFFFF) {
                    pre.put((byte) 1).put((byte) 0).putShort((short) hb.length);
                } else {
                    pre.put((byte) 2).put((byte) 0).putInt(hb.length);
                }
                pre.put(hb).flip();
                writeFully(ch, pre);
                writeData(ch, src, k, n, file);
            }
            move(tmp, file);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static String normalise(String descr) {
        if (descr == null || descr.isEmpty()) {
            throw new NpyException("dtype descr is empty");
        }
        String body = "<>|=".indexOf(descr.charAt(0)) >= 0 ? descr.substring(1) : descr;
        if (descr.charAt(0) == '>' && !body.endsWith("1")) {
            throw new NpyException("writing big-endian '" + descr + "' is not supported; use little-endian");
        }
        return (body.endsWith("1") && body.length() == 2 ? "|" : "<") + body;
    }

    /** The padded header dict, ending in a newline, sized so the data starts on a 64-byte boundary. */
    static String headerText(String descr, int[] shape) {
        StringBuilder sb = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            sb.append(shape[i]).append(i == 0 && shape.length == 1 ? "," : i < shape.length - 1 ? ", " : "");
        }
        sb.append("), }");
        // version 1.0 (10-byte prefix) while the padded header fits its 2-byte length, else 2.0
        int prefix = sb.length() + 1 + 63 <= 0xFFFF ? 10 : 12;
        int total = prefix + sb.length() + 1;
        int pad = (64 - total % 64) % 64;
        sb.append(" ".repeat(pad)).append('\n');
        return sb.toString();
    }

    private static void writeData(FileChannel ch, Tensor src, Kind k, int n, Path file) throws IOException {
        final int chunk = 1 << 16;
        ByteBuffer buf = ByteBuffer.allocate(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
        String key = k.kind() + "" + k.size();
        Tensor flat = src.contiguous().reshape(-1);
        if (key.startsWith("f")) {
            double[] v = key.equals("f8") ? flat.toDoubleArray() : null;
            float[] f = v == null ? flat.toFloatArray() : null;
            for (int i = 0; i < n; i++) {
                switch (key) {
                    case "f8" -> buf.putDouble(v[i]);
                    case "f4" -> buf.putFloat(f[i]);
                    default -> buf.putShort(Float.floatToFloat16(f[i]));
                }
                if (buf.remaining() < 8) {
                    drain(ch, buf);
                }
            }
        } else {
            if (src.dtype().isFloating() && !key.equals("b1")) {
                throw new NpyException(file + ": refusing to write a " + src.dtype() + " tensor as integer dtype " + key
                        + " (convert it explicitly)");
            }
            long[] v = flat.toLongArray();
            long min = switch (key) {
                case "i1" -> Byte.MIN_VALUE;
                case "i2" -> Short.MIN_VALUE;
                case "i4" -> Integer.MIN_VALUE;
                case "i8" -> Long.MIN_VALUE;
                default -> 0;
            };
            long max = switch (key) {
                case "i1" -> Byte.MAX_VALUE;
                case "i2" -> Short.MAX_VALUE;
                case "i4" -> Integer.MAX_VALUE;
                case "u1" -> 255;
                case "u2" -> 65535;
                case "u4" -> 0xFFFFFFFFL;
                case "b1" -> Long.MAX_VALUE;
                default -> Long.MAX_VALUE;
            };
            if (key.equals("b1")) {
                min = Long.MIN_VALUE;
            }
            for (int i = 0; i < n; i++) {
                long x = v[i];
                if (x < min || x > max) {
                    throw new NpyException(file + ": element " + i + " = " + x + " does not fit dtype " + key);
                }
                switch (k.size()) {
                    case 1 -> buf.put((byte) (key.equals("b1") ? (x != 0 ? 1 : 0) : x));
                    case 2 -> buf.putShort((short) x);
                    case 4 -> buf.putInt((int) x);
                    default -> buf.putLong(x);
                }
                if (buf.remaining() < 8) {
                    drain(ch, buf);
                }
            }
        }
        drain(ch, buf);
    }

    private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(ch, buf);
        buf.clear();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void move(Path tmp, Path file) throws IOException {
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ------------------------------------------------------------------ header dict

    /**
     * The subset of Python literal syntax NumPy headers use: a dict of string keys to strings,
     * True/False, and tuples of integers (Python 2's {@code 3L} suffix accepted); lists of tuples
     * (structured dtypes) parse so that the error can say what they are.
     */
    private static final class HeaderParser {
        private final String s;
        private final Path file;
        private int i;

        HeaderParser(String s, Path file) {
            this.s = s;
            this.file = file;
        }

        Map<String, Object> dict() {
            skip();
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            skip();
            while (peek() != '}') {
                Object k = value();
                if (!(k instanceof String key)) {
                    throw fail("dict key is not a string");
                }
                skip();
                expect(':');
                Object v = value();
                if (m.put(key, v) != null) {
                    throw fail("duplicate key '" + key + "'");
                }
                skip();
                if (peek() == ',') {
                    i++;
                    skip();
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}'");
                }
            }
            i++;
            skip();
            if (i != s.length()) {
                throw fail("text after the header dict");
            }
            return m;
        }

        private Object value() {
            skip();
            char c = peek();
            if (c == '\'' || c == '"') {
                int end = s.indexOf(c, i + 1);
                if (end < 0) {
                    throw fail("unterminated string");
                }
                String v = s.substring(i + 1, end);
                i = end + 1;
                return v;
            }
            if (c == '(' || c == '[') {
                char close = c == '(' ? ')' : ']';
                i++;
                List<Object> items = new ArrayList<>();
                skip();
                while (peek() != close) {
                    items.add(value());
                    skip();
                    if (peek() == ',') {
                        i++;
                        skip();
                    } else if (peek() != close) {
                        throw fail("expected ',' or '" + close + "'");
                    }
                }
                i++;
                return items;
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            int start = i;
            if (c == '-' || c == '+') {
                i++;
            }
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == start || i == start + 1 && !Character.isDigit(s.charAt(start))) {
                throw fail("unexpected '" + c + "'");
            }
            String digits = s.substring(start, i);
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) {
                i++;
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw fail("number " + digits + " is out of range");
            }
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw fail("unexpected end");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw fail("expected '" + c + "'");
            }
            i++;
        }

        private NpyException fail(String why) {
            String shown = s.length() > 200 ? s.substring(0, 200) + "…" : s;
            return new NpyException(file + ": bad .npy header (" + why + " at offset " + i + "): " + shown.strip());
        }
    }
}
