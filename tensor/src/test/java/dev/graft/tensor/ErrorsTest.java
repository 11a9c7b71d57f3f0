package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Argument errors: each is a TensorShapeException / TensorTypeException / IllegalArgumentException
 * whose message names the op, the shapes and the expectation; none is an ArrayIndexOutOfBoundsException.
 * (Errors specific to one op family are tested next to it as well.)
 */
class ErrorsTest {

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void broadcastingAndDtypeErrors(Backend backend) {
        Backends.with(backend, () -> {
            Tensor a = Tensor.zeros(2, 3);
            assertThrowsWith(TensorShapeException.class, () -> a.add(Tensor.zeros(4)),
                    "add: shapes [2, 3] and [4] cannot be broadcast (dimension 1: 3 vs 4)");
            assertThrowsWith(TensorShapeException.class, () -> a.lt(Tensor.zeros(3, 3)), "lt", "[2, 3]", "[3, 3]");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.where(Tensor.ones(DType.BOOL, 4), a, a), "where",
                    "[4]", "[2, 3]");
            assertThrowsWith(TensorTypeException.class, () -> a.maskedFill(Tensor.ones(2, 3), 0), "maskedFill", "bool", "float32");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3).maskedFill(Tensor.ones(DType.BOOL, 2, 3), 0),
                    "maskedFill", "[2, 3]", "[3]");
            assertThrowsWith(IllegalArgumentException.class, () -> a.clamp(2, 1), "clamp", "2.0", "1.0");
            assertThrowsWith(ArithmeticException.class, () -> Tensor.arange(3).pow(Tensor.fromArray(new long[] {1, -1, 2})),
                    "pow", "-1");
            assertThrowsWith(TensorTypeException.class, () -> Tensor.arange(3).requiresGrad(true), "requiresGrad", "int64");
            assertThrowsWith(TensorTypeException.class, () -> Storage.wrap(DType.FLOAT32, new double[1]), "Storage.wrap", "float32");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void viewErrors(Backend backend) {
        Backends.with(backend, () -> {
            Tensor a = Tensor.zeros(2, 3);
            assertThrowsWith(TensorShapeException.class, () -> a.reshape(4, -1),
                    "reshape: shape [4, -1] is invalid for a tensor of 6 elements (shape [2, 3])");
            assertThrowsWith(TensorShapeException.class, () -> a.reshape(5), "reshape", "[5]", "[2, 3]", "6");
            assertThrowsWith(TensorShapeException.class, () -> a.view(-1, -1), "view", "only one dimension can be -1");
            assertThrowsWith(TensorShapeException.class, () -> a.reshape(-2, -3), "reshape", "invalid dimension -2");
            assertThrowsWith(TensorShapeException.class, () -> a.permute(0), "permute", "[0]", "[2, 3]");
            assertThrowsWith(TensorShapeException.class, () -> a.permute(1, 1), "permute", "repeats");
            assertThrowsWith(TensorShapeException.class, () -> a.permute(0, 2), "permute", "dimension 2", "rank 2");
            assertThrowsWith(TensorShapeException.class, () -> a.transpose(0, -3), "transpose", "dimension -3");
            assertThrowsWith(TensorShapeException.class, () -> a.expand(3), "expand", "[2, 3]", "fewer");
            assertThrowsWith(TensorShapeException.class, () -> a.expand(-1, 2, 3), "expand", "-1", "leading");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(2, 3, 4).t(), "t", "[2, 3, 4]", "transpose(-2, -1)");
            assertThrowsWith(TensorShapeException.class, () -> a.unsqueeze(3), "unsqueeze", "dimension 3");
            assertThrowsWith(TensorShapeException.class, () -> a.squeeze(2), "squeeze", "dimension 2");
            assertThrowsWith(TensorShapeException.class, () -> a.size(2), "size", "dimension 2");
            assertThrowsWith(TensorShapeException.class, () -> a.split(0, 0), "split", "positive");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.stack(0), "stack", "at least one");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.concat(0), "concat", "at least one");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(-1), "[-1]", "negative");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void zeroDimensionalTensorsNeverIndexOutOfBounds(Backend backend) {
        Backends.with(backend, () -> {
            Tensor s = Tensor.scalar(1.5);
            // ops that need a real dimension refuse a 0-d tensor, like torch
            assertThrowsWith(TensorShapeException.class, () -> s.select(0, 0), "select", "0-d");
            assertThrowsWith(TensorShapeException.class, () -> s.narrow(0, 0, 1), "narrow", "0-d");
            assertThrowsWith(TensorShapeException.class, () -> s.slice(0, 0, 1, 1), "slice", "0-d");
            assertThrowsWith(TensorShapeException.class, () -> s.size(0), "size", "0-d");
            assertThrowsWith(TensorShapeException.class, () -> s.split(1, 0), "split", "0-d");
            assertThrowsWith(TensorShapeException.class, () -> s.chunk(1, 0), "chunk", "0-d");
            assertThrowsWith(TensorShapeException.class, () -> s.topk(2, 0, true), "topk", "k = 2");
            assertThrowsWith(TensorShapeException.class, () -> s.pad(new int[] {1, 1}, PadMode.CONSTANT, 0), "pad");
            // ... and those torch defines on 0-d tensors work
            assertEquals(1.5, s.transpose(0, 0).item());
            assertEquals(1.5, s.transpose(-1, 0).item());
            assertEquals(1.5, s.t().item());
            assertArrayEquals(new int[] {}, s.permute().shape());
            assertEquals(1.5, s.gather(0, Tensor.scalar(0, DType.INT64)).item(), "gather on 0-d, like torch");
            assertEquals(4.0, s.scatterAdd(0, Tensor.scalar(0, DType.INT64), Tensor.scalar(2.5)).item(), "scatterAdd on 0-d");
            assertThrowsWith(TensorShapeException.class, () -> s.gather(0, Tensor.scalar(1, DType.INT64)), "gather", "index 1");
            assertEquals(1.5, s.topk(1, 0, true).values().item());
            assertEquals(1.5, s.cumsum(0).item());
            assertEquals(1.5, s.softmax(0).mul(1.5).item());
            assertEquals(1.5, s.flatten().item());
            assertEquals(1.5, s.unsqueeze(0).squeeze().item());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void threadsAndAutogradErrors(Backend backend) {
        Backends.with(backend, () -> {
            assertThrowsWith(IllegalArgumentException.class, () -> Parallel.setThreads(0), "threads", "0");
            // the tensor module alone has no autograd implementation: backward says what to add
            assertThrowsWith(IllegalStateException.class, () -> Tensor.scalar(1).backward(), "backward", "graft-autograd");
        });
    }
}
