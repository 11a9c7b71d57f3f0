package dev.graft.nativeblas;

import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;

/** Run in a child JVM by FallbackTest: prints the backend chosen, a product, and the doctor report. */
public final class FallbackMain {
    private FallbackMain() {
    }

    public static void main(String[] args) {
        Tensor a = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.fromArray(new float[] {7, 8, 9, 10, 11, 12}, 3, 2);
        System.out.println("backend=" + Backends.current().name());
        System.out.println("product=" + java.util.Arrays.toString(a.matmul(b).toFloatArray()));
        System.out.println(Backends.report());
    }
}
