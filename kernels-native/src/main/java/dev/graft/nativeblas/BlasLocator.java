package dev.graft.nativeblas;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.stream.Stream;

/**
 * Finds a CBLAS library, in this order (the first that opens and exports {@code cblas_sgemm} wins):
 * <ol>
 *   <li>{@code -Dgraft.blas.library=...} or the environment variable {@code GRAFT_BLAS_LIBRARY}: a
 *       path, or a file name for the dynamic linker to search. When it is given and fails, nothing
 *       else is tried (an explicit choice is never silently replaced). Three words are accepted
 *       instead of a library: {@code system} and {@code bundled} restrict the search to that step,
 *       {@code none} turns BLAS off.</li>
 *   <li>A BLAS installed on the system, by file name through the dynamic linker's search:
 *       {@value #SYSTEM_NAMES_DOC}. The reference {@code libblas.so.3} is not taken: it is slower
 *       than the Java kernels.</li>
 *   <li>The OpenBLAS inside the Maven artifact {@code org.bytedeco:openblas} (classifier
 *       {@code linux-x86_64}) on the class path: its libraries are copied once into
 *       {@code ~/.cache/graft/openblas-<first 16 hex digits of the SHA-256 of libopenblas.so.0>/}
 *       (the folder is written under a temporary name and renamed, so it is complete or absent)
 *       and opened from there by absolute path, dependencies first. A small index file keyed by the
 *       jar entry's CRC-32 and size remembers the hash, so later starts do not read the library.
 *       Nothing is downloaded.</li>
 * </ol>
 */
final class BlasLocator {
    static final String PROPERTY = "graft.blas.library";
    static final String ENV = "GRAFT_BLAS_LIBRARY";
    static final String CACHE_PROPERTY = "graft.cache.dir";
    static final List<String> SYSTEM_NAMES = List.of(
            "libopenblas.so.0", "libopenblas.so", "libmkl_rt.so.2", "libmkl_rt.so", "libblis.so.4", "libblis.so");
    static final String SYSTEM_NAMES_DOC = "libopenblas.so.0, libmkl_rt.so(.2), libblis.so(.4)";
    /** The bundled libraries, dependencies before the libraries that need them. */
    static final List<String> BUNDLED = List.of("libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0");
    static final String BUNDLED_MAIN = "libopenblas.so.0";

    /** A library that opened and exports cblas_sgemm. */
    record Found(SymbolLookup lookup, String location, String source) {
    }

    /** Why no library was taken; the message is what doctor and the log line show. */
    static final class NotFound extends Exception {
        NotFound(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Where to look, as this JVM was told (system property first, then environment). */
    record Settings(String explicit, String explicitFrom, ClassLoader loader, Path cacheRoot) {
        static Settings fromSystem() {
            String p = System.getProperty(PROPERTY);
            String e = System.getenv(ENV);
            String explicit = p != null && !p.isBlank() ? p.trim() : e != null && !e.isBlank() ? e.trim() : null;
            String from = explicit == null ? null : p != null && !p.isBlank() ? "-D" + PROPERTY : ENV;
            return new Settings(explicit, from, BlasLocator.class.getClassLoader(), BlasLocator.cacheRoot());
        }

        Settings withExplicit(String value) {
            return new Settings(value, "-D" + PROPERTY, loader, cacheRoot);
        }
    }

    private BlasLocator() {
    }

    /** -Dgraft.cache.dir, else $XDG_CACHE_HOME/graft, else ~/.cache/graft. */
    static Path cacheRoot() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p.trim());
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "graft");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "graft");
    }

    static Found locate(Settings s) throws NotFound {
        String ex = s.explicit();
        if (ex != null) {
            String where = s.explicitFrom() + "=" + ex;
            switch (ex.toLowerCase(Locale.ROOT)) {
                case "none" -> throw new NotFound("turned off by " + where);
                case "system" -> {
                    return system().orElseThrow(() -> new NotFound(where + ": no system BLAS found (looked for "
                            + String.join(", ", SYSTEM_NAMES) + " on the dynamic linker's path)"));
                }
                case "bundled" -> {
                    try {
                        return bundled(s);
                    } catch (NotFound e) {
                        throw new NotFound(where + ": " + e.getMessage());
                    }
                }
                default -> {
                    return explicit(ex, where);
                }
            }
        }
        Optional<Found> sys = system();
        if (sys.isPresent()) {
            return sys.get();
        }
        try {
            return bundled(s);
        } catch (NotFound e) {
            throw new NotFound("no system BLAS (" + String.join(", ", SYSTEM_NAMES) + ") and no bundled OpenBLAS: "
                    + e.getMessage());
        }
    }

    private static Found explicit(String value, String where) throws NotFound {
        SymbolLookup lookup;
        String location;
        if (value.indexOf('/') >= 0) {
            Path p = Path.of(value).toAbsolutePath();
            if (!Files.exists(p)) {
                throw new NotFound(where + ": no such file");
            }
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw new NotFound(where + ": not a readable file");
            }
            try {
                lookup = NativeLibraries.open(p);
            } catch (IllegalArgumentException e) {
                throw new NotFound(where + ": " + e.getMessage());
            }
            location = p.toString();
        } else {
            lookup = NativeLibraries.openByName(value)
                    .orElseThrow(() -> new NotFound(where + ": the dynamic linker cannot open it: " + NativeLibraries.why(value)));
            location = value;
        }
        if (lookup.find("cblas_sgemm").isEmpty()) {
            throw new NotFound(where + ": opens, but exports no cblas_sgemm (not a CBLAS library)");
        }
        location = NativeLibraries.fileOf(lookup.find("cblas_sgemm").get()).orElse(location);
        return new Found(lookup, location, "named by " + where);
    }

    private static Optional<Found> system() {
        for (String name : SYSTEM_NAMES) {
            Optional<SymbolLookup> l = NativeLibraries.openByName(name);
            Optional<MemorySegment> sgemm = l.flatMap(x -> x.find("cblas_sgemm"));
            if (sgemm.isPresent()) {
                String file = NativeLibraries.fileOf(sgemm.get()).orElse(name);
                return Optional.of(new Found(l.get(), file, "system, " + name + " found by the dynamic linker"));
            }
        }
        return Optional.empty();
    }

    /** linux-x86_64, linux-arm64 …: the classifier of the org.bytedeco artifact for this machine. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        return (os.startsWith("linux") ? "linux" : os.replace(' ', '_')) + "-" + a;
    }

    static Found bundled(Settings s) throws NotFound {
        String platform = platform();
        if (!platform.startsWith("linux-")) {
            throw new NotFound("the bundled OpenBLAS is used on Linux only (this is " + platform + ")");
        }
        String dir = "org/bytedeco/openblas/" + platform + "/";
        String artifact = "org.bytedeco:openblas:" + platform;
        if (s.loader().getResource(dir + BUNDLED_MAIN) == null) {
            throw new NotFound(artifact + " is not on the class path (add graft-kernels-native's runtime dependencies)");
        }
        // Hashing the 37 MB library costs about 0.2 s per start, so the jar entry's CRC-32 and size
        // (read from the jar's directory, nothing inflated) remember which folder a hash gave.
        Optional<String> quick = quickKey(s.loader().getResource(dir + BUNDLED_MAIN));
        Path index = quick.map(q -> s.cacheRoot().resolve("openblas-index-" + q)).orElse(null);
        String sha = index == null ? null : indexed(index);
        Path target;
        if (sha != null) {
            target = s.cacheRoot().resolve("openblas-" + sha.substring(0, 16));
        } else {
            try {
                sha = sha256(s.loader(), dir + BUNDLED_MAIN);
            } catch (IOException e) {
                throw new NotFound("cannot read " + dir + BUNDLED_MAIN + " from the class path: " + e);
            }
            target = s.cacheRoot().resolve("openblas-" + sha.substring(0, 16));
            try {
                extract(s.loader(), dir, sha, target);
                if (index != null) {
                    writeAtomically(index, sha);
                }
            } catch (IOException e) {
                throw new NotFound("cannot extract " + artifact + " into " + target + ": " + e
                        + " (choose another folder with -D" + CACHE_PROPERTY + "=DIR)");
            }
        }
        // Dependencies first, by absolute path, so libopenblas's NEEDED entries find them already loaded.
        // libgcc_s comes from the system when it has one: the JVM's own copy may already be loaded.
        for (String lib : BUNDLED) {
            Path p = target.resolve(lib);
            if (lib.equals("libgcc_s.so.1") && NativeLibraries.openByName(lib).isPresent()) {
                continue;
            }
            if (!lib.equals(BUNDLED_MAIN) && !Files.exists(p)) {
                continue; // not shipped by this version; the dynamic linker will look for it
            }
            SymbolLookup l;
            try {
                l = NativeLibraries.open(p);
            } catch (IllegalArgumentException e) {
                throw new NotFound("bundled OpenBLAS: " + e.getMessage());
            }
            if (lib.equals(BUNDLED_MAIN)) {
                if (l.find("cblas_sgemm").isEmpty()) {
                    throw new NotFound(p + " exports no cblas_sgemm");
                }
                return new Found(l, p.toString(), "bundled " + artifact + " (sha256 " + sha.substring(0, 16) + ")");
            }
        }
        throw new AssertionError("unreachable: " + BUNDLED_MAIN + " is the last bundled library");
    }

    /** "crc32-size" of a resource inside a jar, from the jar's central directory; empty for other URLs. */
    private static Optional<String> quickKey(URL url) {
        try {
            if (url != null && url.openConnection() instanceof JarURLConnection j) {
                JarEntry e = j.getJarEntry();
                if (e != null && e.getCrc() != -1 && e.getSize() >= 0) {
                    return Optional.of(String.format(Locale.ROOT, "%08x-%d", e.getCrc(), e.getSize()));
                }
            }
        } catch (IOException ignored) {
            // no shortcut: hash the library
        }
        return Optional.empty();
    }

    /** The SHA-256 an index file remembers, if its folder is still complete; null otherwise. */
    private static String indexed(Path index) {
        try {
            String sha = Files.readString(index).strip();
            if (sha.matches("[0-9a-f]{64}")
                    && Files.isRegularFile(index.resolveSibling("openblas-" + sha.substring(0, 16)).resolve(BUNDLED_MAIN))) {
                return sha;
            }
        } catch (IOException ignored) {
            // absent or unreadable: hash the library
        }
        return null;
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, content + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String sha256(ClassLoader loader, String resource) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        try (InputStream in = new DigestInputStream(open(loader, resource), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static InputStream open(ClassLoader loader, String resource) throws IOException {
        InputStream in = loader.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException(resource + " vanished from the class path");
        }
        return in;
    }

    /**
     * Copies the bundled libraries into {@code target} unless it is already there. They are written
     * to a temporary sibling folder which is then renamed, so a crash or a concurrent JVM never
     * leaves a half-written library under the final name.
     */
    private static void extract(ClassLoader loader, String dir, String sha, Path target) throws IOException {
        if (Files.isRegularFile(target.resolve(BUNDLED_MAIN))) {
            return;
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(target.getParent(), target.getFileName() + ".tmp-");
        try {
            List<String> written = new ArrayList<>();
            for (String lib : BUNDLED) {
                try (InputStream in = loader.getResourceAsStream(dir + lib)) {
                    if (in == null) {
                        continue;
                    }
                    Files.copy(in, tmp.resolve(lib));
                    written.add(lib);
                }
            }
            if (!written.contains(BUNDLED_MAIN)) {
                throw new IOException(dir + BUNDLED_MAIN + " vanished from the class path");
            }
            String check = sha256OfFile(tmp.resolve(BUNDLED_MAIN));
            if (!check.equals(sha)) {
                throw new IOException("the extracted " + BUNDLED_MAIN + " has SHA-256 " + check + ", expected " + sha);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                if (!Files.isRegularFile(target.resolve(BUNDLED_MAIN))) {
                    throw e;
                }
                // another JVM finished first; its copy is identical (same SHA-256)
            }
        } finally {
            deleteTree(tmp);
        }
    }

    private static String sha256OfFile(Path p) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
