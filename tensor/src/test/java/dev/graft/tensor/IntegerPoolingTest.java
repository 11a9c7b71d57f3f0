package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Max pooling of integer tensors pads with the dtype's lowest value, so padding never wins over negative data. */
class IntegerPoolingTest {

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void paddedMaxPoolOfNegativeIntegers(Backend backend) {
        Backends.with(backend, () -> {
            long[] expected = {-5, -3, -3, -5, -1, -1, -7, -1, -1};
            Tensor i32 = Tensor.fromArray(new int[] {-5, -3, -7, -1}, 1, 1, 2, 2);
            Tensor i64 = Tensor.fromArray(new long[] {-5, -3, -7, -1}, 1, 1, 2, 2);
            int[] k = {2, 2};
            int[] one = {1, 1};
            assertArrayEquals(expected, i32.maxPool2d(k, one, one, one).toLongArray(), "int32");
            assertArrayEquals(expected, i64.maxPool2d(k, one, one, one).toLongArray(), "int64");
            Tensor extreme = Tensor.fromArray(new int[] {Integer.MIN_VALUE, Integer.MIN_VALUE}, 1, 1, 1, 2);
            assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE},
                    extreme.maxPool2d(new int[] {1, 2}, one, new int[] {0, 1}, one).toLongArray(), "int32 minimum");
        });
    }
}
