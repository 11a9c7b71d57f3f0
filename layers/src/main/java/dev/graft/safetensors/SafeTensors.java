package dev.graft.safetensors;

import dev.graft.tensor.DType;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading and writing whole safetensors files, including sharded checkpoints. */
public final class SafeTensors {
    private SafeTensors() {
    }

    /** Every tensor of a file (float16/bfloat16 converted to float32 when asked). */
    public static Map<String, Tensor> read(Path path, boolean halfToFloat32) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(path)) {
            return f.readAll(halfToFloat32);
        }
    }

    public static Map<String, String> readMetadata(Path path) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(path)) {
            return new LinkedHashMap<>(f.metadata());
        }
    }

    /**
     * A sharded checkpoint ({@code model.safetensors.index.json} with a {@code weight_map} from
     * tensor name to shard file) read as one map. Every shard must hold exactly the names the index
     * gives it.
     */
    public static Map<String, Tensor> readSharded(Path indexJson, boolean halfToFloat32) throws IOException {
        String where = "safetensors index " + indexJson;
        Object root;
        try {
            root = Json.parse(Files.readString(indexJson, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new SafeTensorsException(where + ": not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> m) || !(m.get("weight_map") instanceof Map<?, ?> wm)) {
            throw new SafeTensorsException(where + ": expected an object with a weight_map");
        }
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        for (var e : wm.entrySet()) {
            if (!(e.getValue() instanceof String file) || file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                throw new SafeTensorsException(where + ": shard for '" + e.getKey() + "' must be a plain file name next to the index");
            }
            byShard.computeIfAbsent(file, k -> new ArrayList<>()).add((String) e.getKey());
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        Path dir = indexJson.toAbsolutePath().getParent();
        for (var e : byShard.entrySet()) {
            try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve(e.getKey()))) {
                for (String name : e.getValue()) {
                    if (f.entry(name) == null) {
                        throw new SafeTensorsException(where + ": shard " + e.getKey() + " has no tensor '" + name + "'");
                    }
                    Tensor t = f.tensor(name);
                    if (halfToFloat32 && (t.dtype() == DType.FLOAT16 || t.dtype() == DType.BFLOAT16)) {
                        t = t.to(DType.FLOAT32);
                    }
                    out.put(name, t);
                }
            }
        }
        return out;
    }

    static String code(DType d) {
        return switch (d) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case UINT8 -> "U8";
            case BOOL -> "BOOL";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
        };
    }

    /**
     * Writes tensors (in map order) and string metadata atomically: to a temporary file in the same
     * folder, forced to disk, then renamed over {@code path}. A crash leaves either the old file or
     * the new one, never a torn one.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        List<Tensor> order = new ArrayList<>();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new SafeTensorsException("safetensors " + path + ": '__metadata__' is reserved and cannot name a tensor");
            }
            Tensor t = e.getValue().detach().contiguous();
            long bytes = (long) t.numel() * t.dtype().byteSize();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", code(t.dtype()));
            List<Object> shape = new ArrayList<>();
            for (int d : t.shape()) {
                shape.add((long) d);
            }
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(e.getKey(), entry);
            order.add(t);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(8 + json.length + pad).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(json.length + pad).put(json);
                for (int i = 0; i < pad; i++) {
                    head.put((byte) ' ');
                }
                writeFully(ch, head.flip());
                for (Tensor t : order) {
                    writeTensor(ch, t);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
        int n = t.numel();
        int chunk = 1 << 16;
        Object arr = t.storage().hostForRead(); // read only: a device tensor's device copy stays current
        int base = t.offset();
        for (int start = 0; start < n; start += chunk) {
            int len = Math.min(chunk, n - start);
            ByteBuffer b = ByteBuffer.allocate(len * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            switch (t.dtype()) {
                case FLOAT32 -> b.asFloatBuffer().put((float[]) arr, base + start, len);
                case FLOAT64 -> b.asDoubleBuffer().put((double[]) arr, base + start, len);
                case INT64 -> b.asLongBuffer().put((long[]) arr, base + start, len);
                case INT32 -> b.asIntBuffer().put((int[]) arr, base + start, len);
                case UINT8, BOOL -> b.put((byte[]) arr, base + start, len).rewind();
                case FLOAT16, BFLOAT16 -> b.asShortBuffer().put((short[]) arr, base + start, len);
            }
            b.position(0).limit(len * t.dtype().byteSize());
            writeFully(ch, b);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Makes the rename durable; a no-op where the platform cannot open directories. */
    static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the data itself was forced before the rename
        }
    }
}
