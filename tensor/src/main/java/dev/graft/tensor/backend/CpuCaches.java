package dev.graft.tensor.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Per-core data cache sizes, read once from Linux's {@code /sys/devices/system/cpu/cpu0/cache}
 * (the kernels' blocking is derived from them). Where that is unreadable (another OS, a
 * container hiding sysfs) the sizes of a typical x86 server core are assumed and
 * {@link #describe()} says so. {@code -Dgraft.cache.l1d}, {@code .l2}, {@code .l3} (bytes)
 * override what was found.
 */
public final class CpuCaches {
    private static final long[] SIZES = detect();
    private static final boolean DETECTED = SIZES[3] != 0;

    private CpuCaches() {
    }

    /** L1 data cache of one core, in bytes. */
    public static int l1d() {
        return (int) SIZES[0];
    }

    /** L2 cache of one core, in bytes. */
    public static int l2() {
        return (int) SIZES[1];
    }

    /** L3 cache (shared), in bytes. */
    public static int l3() {
        return (int) Math.min(Integer.MAX_VALUE, SIZES[2]);
    }

    public static String describe() {
        return "L1d " + SIZES[0] / 1024 + " KiB, L2 " + SIZES[1] / 1024 + " KiB, L3 " + SIZES[2] / 1024 + " KiB"
                + (DETECTED ? "" : " (assumed: sysfs unreadable)");
    }

    private static long[] detect() {
        long l1 = 0;
        long l2 = 0;
        long l3 = 0;
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        for (int i = 0; i < 8; i++) {
            Path idx = dir.resolve("index" + i);
            try {
                if (!Files.isDirectory(idx)) {
                    continue;
                }
                int level = Integer.parseInt(Files.readString(idx.resolve("level")).trim());
                String type = Files.readString(idx.resolve("type")).trim();
                long size = parseSize(Files.readString(idx.resolve("size")).trim());
                if (type.equals("Instruction") || size <= 0) {
                    continue;
                }
                switch (level) {
                    case 1 -> l1 = size;
                    case 2 -> l2 = size;
                    case 3 -> l3 = size;
                    default -> {
                    }
                }
            } catch (IOException | RuntimeException e) {
                // unreadable entry: keep what was found so far
            }
        }
        boolean found = l1 > 0 && l2 > 0;
        long[] s = {
            override("graft.cache.l1d", l1 > 0 ? l1 : 32 << 10),
            override("graft.cache.l2", l2 > 0 ? l2 : 512 << 10),
            override("graft.cache.l3", l3 > 0 ? l3 : 8 << 20),
            found ? 1 : 0
        };
        return s;
    }

    private static long parseSize(String s) {
        long mult = 1;
        char last = s.isEmpty() ? ' ' : Character.toUpperCase(s.charAt(s.length() - 1));
        if (last == 'K') {
            mult = 1024;
        } else if (last == 'M') {
            mult = 1024 * 1024;
        } else if (last == 'G') {
            mult = 1024L * 1024 * 1024;
        }
        String num = mult == 1 ? s : s.substring(0, s.length() - 1);
        return Long.parseLong(num.trim()) * mult;
    }

    private static long override(String name, long dflt) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long x = parseSize(v.trim());
            if (x > 0) {
                return x;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + name + " must be a size in bytes (e.g. 32768 or 32K), got '" + v + "'");
    }
}
