package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** MatMulInteger keeps B's centered float copy between calls; it must follow every change of B or of its zero point. */
class QuantOpsCacheTest {

    private static Tensor u8(int[] v, int... shape) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return Tensor.fromStorage(Storage.wrap(DType.UINT8, b), shape, "u8");
    }

    private static long[] exact(int[] a, int[] b, int azp, int bzp, int m, int k, int n) {
        long[] c = new long[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                for (int p = 0; p < k; p++) {
                    c[i * n + j] += (long) (a[i * k + p] - azp) * (b[p * n + j] - bzp);
                }
            }
        }
        return c;
    }

    @Test
    void cachedWeightFollowsInPlaceChangesAndOtherZeroPoints() {
        OnnxNode node = OpsTestSupport.node("MatMulInteger", 4, 1);
        int[] av = {1, 200, 3, 4, 5, 250};
        int[] bv = {7, 8, 9, 10, 11, 12, 13, 255, 0};
        Tensor a = u8(av, 2, 3);
        Tensor b = u8(bv, 3, 3);
        Tensor azp = u8(new int[] {2}, 1);
        Tensor bzp = u8(new int[] {5}, 1);
        long[] first = OpsTestSupport.runNode(node, 10, a, b, azp, bzp)[0].toLongArray();
        assertArrayEquals(exact(av, bv, 2, 5, 2, 3, 3), first);
        // same objects again: the cached copy gives the same result
        assertArrayEquals(first, OpsTestSupport.runNode(node, 10, a, b, azp, bzp)[0].toLongArray());
        // B changed in place (a new storage version): recomputed
        int[] bv2 = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        b.copyFrom(u8(bv2, 3, 3));
        assertArrayEquals(exact(av, bv2, 2, 5, 2, 3, 3), OpsTestSupport.runNode(node, 10, a, b, azp, bzp)[0].toLongArray());
        // another zero-point tensor with the same B: recomputed
        Tensor bzp2 = u8(new int[] {9}, 1);
        assertArrayEquals(exact(av, bv2, 2, 9, 2, 3, 3), OpsTestSupport.runNode(node, 10, a, b, azp, bzp2)[0].toLongArray());
        // the zero point changed in place
        bzp2.copyFrom(u8(new int[] {0}, 1));
        assertArrayEquals(exact(av, bv2, 2, 0, 2, 3, 3), OpsTestSupport.runNode(node, 10, a, b, azp, bzp2)[0].toLongArray());
    }
}
