package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.NativeLibraries;

import java.io.IOException;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds {@code libcudart} and {@code libcublas} of one CUDA major version (13, then 12). Nothing
 * is downloaded; the two libraries are taken from the same major version.
 *
 * <p>{@code -Dgraft.cuda.library.path=DIR[:DIR…]} is an explicit choice: only those folders are
 * searched, and when the libraries are not there the reason names the setting (a missing folder is
 * called one); {@code =none} turns CUDA off. Without it, the search looks in:
 * <ol>
 *   <li>{@code $CUDA_HOME/lib64}, {@code lib} and {@code targets/x86_64-linux/lib};</li>
 *   <li>the folders of {@code $LD_LIBRARY_PATH};</li>
 *   <li>{@code /usr/local/cuda/lib64} (and {@code lib}, {@code targets/x86_64-linux/lib}), then
 *       {@code /usr/local/cuda-13*}, {@code /usr/local/cuda-12*};</li>
 *   <li>NVIDIA's pip wheels inside Python environments: {@code site-packages/nvidia/cu13/lib}
 *       (CUDA 13 wheels) and every {@code site-packages/nvidia/*}{@code /lib} ({@code cublas/lib},
 *       {@code cuda_runtime/lib}: CUDA 12 wheels), under {@code $VIRTUAL_ENV}, {@code $CONDA_PREFIX},
 *       {@code /opt/*}{@code /.venv}, {@code /opt/*}{@code /venv}, {@code /opt/conda}, {@code ~/.venv},
 *       {@code ~/.local}, {@code /usr/local} and {@code /usr} ({@code lib/python3*}/{@code site-packages}
 *       or {@code dist-packages});</li>
 *   <li>then the dynamic linker's own search by versioned file name ({@code libcudart.so.13},
 *       {@code libcublas.so.12} …).</li>
 * </ol>
 * When nothing is found, {@link Found#searched()} lists the folders that exist and were looked in.
 */
final class CudaLibraries {
    static final String PATH_PROPERTY = "graft.cuda.library.path";
    static final int[] MAJORS = {13, 12};

    /** One library that opened: where, and its symbols. */
    record Lib(String location, SymbolLookup lookup) {
    }

    /**
     * What was found: cudart (maybe), cublas (maybe), and what was tried, for messages. {@code explicit}
     * is the {@code -Dgraft.cuda.library.path} value when the search was restricted to it, else null.
     */
    record Found(int major, Lib cudart, Lib cublas, String searched, String explicit) {
    }

    /**
     * Where to look. {@code explicit}: the property's value (null when unset); {@code env}: the
     * environment; {@code home}: the user's home folder; {@code root}: prefix for the fixed system
     * folders ({@code /} normally; a temporary folder in tests).
     */
    record Settings(String explicit, Map<String, String> env, Path home, Path root) {
        static Settings fromSystem() {
            String p = System.getProperty(PATH_PROPERTY);
            return new Settings(p == null || p.isBlank() ? null : p.trim(), System.getenv(),
                    Path.of(System.getProperty("user.home", "/nonexistent")), Path.of("/"));
        }

        Settings withExplicit(String value) {
            return new Settings(value, env, home, root);
        }
    }

    private CudaLibraries() {
    }

    /** True when {@code -Dgraft.cuda.library.path=none} turned CUDA off. */
    static boolean turnedOff(Settings s) {
        return "none".equals(s.explicit());
    }

    /** The folders to search, in order, existing or not (the explicit ones alone when the property is set). */
    static List<Path> folders(Settings s) {
        Set<Path> dirs = new LinkedHashSet<>();
        if (s.explicit() != null) {
            for (String d : s.explicit().split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d.trim()));
                }
            }
            return new ArrayList<>(dirs);
        }
        String home = s.env().get("CUDA_HOME");
        if (home != null && !home.isBlank()) {
            addToolkit(dirs, Path.of(home.trim()));
        }
        String ld = s.env().get("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d.trim()));
                }
            }
        }
        Path local = s.root().resolve("usr/local");
        addToolkit(dirs, local.resolve("cuda"));
        for (String pattern : new String[] {"cuda-13*", "cuda-12*"}) {
            for (Path p : children(local, pattern)) {
                addToolkit(dirs, p);
            }
        }
        for (Path site : pythonSitePackages(s)) {
            dirs.add(site.resolve("nvidia/cu13/lib"));
            dirs.addAll(children(site.resolve("nvidia"), "*").stream().map(p -> p.resolve("lib")).toList());
        }
        return new ArrayList<>(dirs);
    }

    private static void addToolkit(Set<Path> dirs, Path home) {
        dirs.add(home.resolve("lib64"));
        dirs.add(home.resolve("lib"));
        dirs.add(home.resolve("targets/x86_64-linux/lib"));
    }

    /** {@code site-packages} and {@code dist-packages} folders of the Python environments we know to look in. */
    static List<Path> pythonSitePackages(Settings s) {
        List<Path> prefixes = new ArrayList<>();
        for (String var : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = s.env().get(var);
            if (v != null && !v.isBlank()) {
                prefixes.add(Path.of(v.trim()));
            }
        }
        Path opt = s.root().resolve("opt");
        for (Path p : children(opt, "*")) {
            prefixes.add(p.resolve(".venv"));
            prefixes.add(p.resolve("venv"));
        }
        prefixes.add(opt.resolve("conda"));
        prefixes.add(opt.resolve("venv"));
        prefixes.add(s.home().resolve(".venv"));
        prefixes.add(s.home().resolve(".local"));
        prefixes.add(s.root().resolve("usr/local"));
        prefixes.add(s.root().resolve("usr"));
        List<Path> sites = new ArrayList<>();
        for (Path prefix : prefixes) {
            for (Path py : children(prefix.resolve("lib"), "python3*")) {
                sites.add(py.resolve("site-packages"));
                sites.add(py.resolve("dist-packages"));
            }
        }
        sites.add(s.root().resolve("usr/lib/python3/dist-packages"));
        return sites;
    }

    /** The entries of {@code dir} matching the glob, sorted by name (newest versions last); empty when dir is not a folder. */
    private static List<Path> children(Path dir, String glob) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                if (Files.isDirectory(p)) {
                    out.add(p);
                }
                if (out.size() > 256) {
                    break; // a huge folder: the first entries are enough
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }

    /** {@link #locate(Settings)} with the system's settings. */
    static Found locate() {
        return locate(Settings.fromSystem());
    }

    /** The first major version with both libraries, else the first with a cudart, else nothing found. Never throws. */
    static Found locate(Settings s) {
        Found partial = null;
        for (int major : MAJORS) {
            Found f = locate(s, major);
            if (f.cudart() != null && f.cublas() != null) {
                return f;
            }
            if (partial == null && f.cudart() != null) {
                partial = f;
            }
        }
        return partial != null ? partial : locate(s, 0);
    }

    /**
     * The libraries of one major version: cudart (maybe) and, when there is one, its cublas (maybe).
     * Major 0 opens nothing and only describes the search. Never throws.
     */
    static Found locate(Settings s, int major) {
        List<Path> all = folders(s);
        List<Path> dirs = all.stream().filter(Files::isDirectory).toList();
        boolean linker = s.explicit() == null;
        String searched = describe(s, all, dirs);
        if (turnedOff(s) || major == 0) {
            return new Found(0, null, null, searched, s.explicit());
        }
        Optional<Lib> rt = open(dirs, "libcudart.so." + major, linker);
        if (rt.isEmpty()) {
            return new Found(major, null, null, searched, s.explicit());
        }
        // libcublas needs libcublasLt of the same version; open it first from the same folder if it is there
        Optional<Lib> blas = openCublas(dirs, major, linker);
        return new Found(major, rt.get(), blas.orElse(null), searched, s.explicit());
    }

    private static String describe(Settings s, List<Path> all, List<Path> existing) {
        if (s.explicit() != null) {
            List<Path> missing = all.stream().filter(p -> !Files.isDirectory(p)).toList();
            return "-D" + PATH_PROPERTY + "=" + s.explicit() + " (only there; "
                    + (missing.isEmpty() ? "" : "no such folder: " + missing.stream().map(Path::toString).toList() + "; ")
                    + "nothing else is searched when it is set)";
        }
        return existing.stream().map(Path::toString).toList() + " (the folders that exist among " + all.size()
                + " candidates from $CUDA_HOME, $LD_LIBRARY_PATH, /usr/local/cuda*, and NVIDIA pip wheels"
                + " (site-packages/nvidia/cu13/lib, site-packages/nvidia/*/lib) in $VIRTUAL_ENV, $CONDA_PREFIX, /opt/*/.venv,"
                + " ~/.local and /usr) and the dynamic linker's path";
    }

    private static Optional<Lib> openCublas(List<Path> dirs, int major, boolean linker) {
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
        return open(dirs, "libcublas.so." + major, linker);
    }

    private static Optional<Lib> open(List<Path> dirs, String name, boolean linker) {
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
        if (!linker) {
            return Optional.empty();
        }
        return NativeLibraries.openByName(name).map(l -> new Lib(l.find(probeSymbol(name)).flatMap(NativeLibraries::fileOf)
                .orElse(name + " (dynamic linker search)"), l));
    }

    /**
     * {@code libnvrtc.so.<major>} (the run-time compiler for Graft's own kernels), looked for in the
     * same folders as cudart and cuBLAS, then (unless the folders were given explicitly) by the
     * dynamic linker; empty when it is not there or CUDA is turned off. Never throws.
     */
    static Optional<Lib> nvrtc(Settings s, int major) {
        if (turnedOff(s)) {
            return Optional.empty();
        }
        try {
            List<Path> dirs = folders(s).stream().filter(Files::isDirectory).toList();
            return open(dirs, "libnvrtc.so." + major, s.explicit() == null);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A function every version of the library exports, to ask the dynamic linker where it came from. */
    private static String probeSymbol(String libraryName) {
        if (libraryName.startsWith("libnvrtc")) {
            return "nvrtcVersion";
        }
        return libraryName.startsWith("libcublas") ? "cublasCreate_v2" : "cudaGetDeviceCount";
    }
}
