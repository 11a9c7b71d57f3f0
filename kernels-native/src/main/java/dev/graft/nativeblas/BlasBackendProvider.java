package dev.graft.nativeblas;

import dev.graft.nativeblas.cuda.CudaBlas;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BackendProvider;

import java.util.Optional;

/**
 * The {@code blas} backend (priority 200, above java-simd's 100): available when a CBLAS library
 * was found and bound ({@link Cblas#find()}); otherwise unavailable with the reason, logged once,
 * and Graft runs in pure Java. Its doctor lines name the library, its version and core, the
 * matmul crossover, and why CUDA is or is not usable.
 */
public final class BlasBackendProvider implements BackendProvider {
    private static volatile BlasBackend instance;

    @Override
    public String name() {
        return "blas";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Optional<Backend> create() {
        BlasBackend b = instance;
        if (b == null) {
            synchronized (BlasBackendProvider.class) {
                if (instance == null) {
                    BlasBackend.MatmulPath path = BlasBackend.pathFromSystem();
                    instance = BlasBackend.create(path).orElse(null);
                }
                b = instance;
            }
        }
        return Optional.ofNullable(b);
    }

    @Override
    public String unavailableReason() {
        return Cblas.unavailableReason();
    }

    @Override
    public String details() {
        StringBuilder sb = new StringBuilder();
        Optional<Backend> b = create();
        if (b.isPresent()) {
            BlasBackend bb = (BlasBackend) b.get();
            Cblas c = bb.blas();
            sb.append("library:  ").append(c.location()).append(" (").append(c.source()).append(")\n");
            if (!c.config().isEmpty()) {
                sb.append("config:   ").append(c.config()).append('\n');
            }
            sb.append("core:     ").append(c.corename().isEmpty() ? "(not reported)" : c.corename())
                    .append("; BLAS threads ").append(c.threads() < 0 ? "(not reported)" : c.threads())
                    .append(" (set to Graft's kernel threads)\n");
            sb.append("matmul:   ").append(route(bb)).append('\n');
        }
        sb.append("cuda:     ").append(cudaLine()).append('\n');
        return sb.toString();
    }

    /** The routing rule and which path a few shapes take with the current thread count. */
    private static String route(BlasBackend b) {
        StringBuilder sb = new StringBuilder();
        switch (b.path()) {
            case JAVA -> sb.append("every matmul in Java (forced by -D").append(BlasBackend.PATH_PROPERTY).append("=java)");
            case BLAS -> sb.append("every float32/float64 matmul in BLAS (forced by -D").append(BlasBackend.PATH_PROPERTY)
                    .append("=blas)");
            case AUTO -> {
                if (b.javaSgemmIsFast()) {
                    sb.append("float32 -> Java (its SGEMM matches OpenBLAS: bench/RESULTS.md); ");
                }
                sb.append(b.javaSgemmIsFast() ? "float64 -> cblas_dgemm when M*N*K >= " : "float32/float64 -> cblas_sgemm/dgemm when M*N*K >= ").append(b.crossover())
                        .append(b.crossover() == BlasBackend.DEFAULT_CROSSOVER ? " (measured)" : " (-D" + BlasBackend.CROSSOVER_PROPERTY + ")")
                        .append(", except -> Java: K <= 32 with M*N >= 2^16; a batch of >= threads products with")
                        .append(" 2^18 < M*N*K < 2^23; with one thread M <= 16 against K*N >= 2^16. Force with -D")
                        .append(BlasBackend.PATH_PROPERTY).append("=java|blas\n")
                        .append("          with ").append(Parallel.threads()).append(" threads:");
                int[][] shapes = {{1, 2, 2, 2}, {1, 4, 4, 4}, {1, 1024, 1024, 1024}, {1, 512, 16, 512}, {1, 1, 1024, 1024},
                    {64, 32, 32, 32}, {96, 128, 64, 128}};
                for (int i = 0; i < shapes.length; i++) {
                    int[] x = shapes[i];
                    sb.append(i == 0 ? " " : ", ").append(x[0] == 1 ? "" : x[0] + " x ").append(x[1]).append('x').append(x[2]).append('x')
                            .append(x[3]).append(' ').append(b.usesBlas(x[0], x[1], x[3], x[2]) ? "blas" : "java");  // the float64 rule
                }
                sb.append(" (float64, batches x MxKxN)");
            }
        }
        return sb.toString();
    }

    private static String cudaLine() {
        try {
            return CudaBlas.status() + (CudaBlas.available() ? "; device tensors: tensor.to(Device.cuda(0)), matmul in cuBLAS" : "");
        } catch (Throwable t) { // LinkageError included: doctor reports, it does not crash
            return "probe failed: " + t;
        }
    }
}
