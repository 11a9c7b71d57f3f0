package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.NativeLibraries;

import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds {@code libcudart} and {@code libcublas} of one CUDA major version (13, then 12), looking
 * in: the folders of {@code -Dgraft.cuda.library.path=DIR[:DIR…]}; {@code $CUDA_HOME/lib64} (and
 * {@code lib}, {@code targets/x86_64-linux/lib}); {@code /usr/local/cuda/lib64}; then the dynamic
 * linker's own search by versioned file name ({@code libcudart.so.13}, {@code libcublas.so.12} …).
 * The two libraries are taken from the same major version. Nothing is downloaded.
 */
final class CudaLibraries {
    static final String PATH_PROPERTY = "graft.cuda.library.path";
    static final int[] MAJORS = {13, 12};

    /** One library that opened: where, and its symbols. */
    record Lib(String location, SymbolLookup lookup) {
    }

    /** What was found: cudart (maybe), cublas (maybe), and what was tried, for messages. */
    record Found(int major, Lib cudart, Lib cublas, String searched) {
    }

    private CudaLibraries() {
    }

    static List<Path> folders() {
        Set<Path> dirs = new LinkedHashSet<>();
        String p = System.getProperty(PATH_PROPERTY);
        if (p != null && !p.isBlank()) {
            for (String d : p.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d.trim()));
                }
            }
        }
        String home = System.getenv("CUDA_HOME");
        if (home != null && !home.isBlank()) {
            Path h = Path.of(home.trim());
            dirs.add(h.resolve("lib64"));
            dirs.add(h.resolve("lib"));
            dirs.add(h.resolve("targets/x86_64-linux/lib"));
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        return new ArrayList<>(dirs);
    }

    /** The first major version with a cudart; its cublas if any. Never throws. */
    static Found locate() {
        List<Path> dirs = folders();
        String searched = dirs + " and the dynamic linker's path";
        Found partial = null;
        for (int major : MAJORS) {
            Optional<Lib> rt = open(dirs, "libcudart.so." + major);
            if (rt.isEmpty()) {
                continue;
            }
            // libcublas needs libcublasLt of the same version; open it first from the same folder if it is there
            Optional<Lib> blas = openCublas(dirs, major);
            Found f = new Found(major, rt.get(), blas.orElse(null), searched);
            if (blas.isPresent()) {
                return f;
            }
            if (partial == null) {
                partial = f;
            }
        }
        return partial != null ? partial : new Found(0, null, null, searched);
    }

    private static Optional<Lib> openCublas(List<Path> dirs, int major) {
        for (Path d : dirs) {
            Path f = d.resolve("libcublas.so." + major);
            if (Files.isRegularFile(f)) {
                Path lt = d.resolve("libcublasLt.so." + major);
                if (Files.isRegularFile(lt)) {
                    try {
                        NativeLibraries.open(lt);
                    } catch (IllegalArgumentException e) {
                        return Optional.empty();
                    }
                }
                break;
            }
        }
        return open(dirs, "libcublas.so." + major);
    }

    private static Optional<Lib> open(List<Path> dirs, String name) {
        for (Path d : dirs) {
            Path f = d.resolve(name);
            if (Files.isRegularFile(f)) {
                try {
                    return Optional.of(new Lib(f.toString(), NativeLibraries.open(f)));
                } catch (IllegalArgumentException e) {
                    // a file that does not open (wrong architecture, missing dependency): keep looking
                }
            }
        }
        return NativeLibraries.openByName(name).map(l -> new Lib(l.find(probeSymbol(name)).flatMap(NativeLibraries::fileOf)
                .orElse(name + " (dynamic linker search)"), l));
    }

    /** A function every version of the library exports, to ask the dynamic linker where it came from. */
    private static String probeSymbol(String libraryName) {
        return libraryName.startsWith("libcublas") ? "cublasCreate_v2" : "cudaGetDeviceCount";
    }
}
