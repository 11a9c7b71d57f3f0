package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The same op on the same input gives the same bits from the first call (interpreted) to the
 * thousandth (JIT-compiled). The Vector API's own transcendental operators do not guarantee this,
 * which once made a resumed training run diverge in the last bit of its eleventh loss.
 */
class JitStabilityTest {
    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void transcendentalsGiveTheSameBitsBeforeAndAfterCompilation(Backend backend) {
        Tensor x = Tensor.uniform(new Generator(5), -30, 30, DType.FLOAT32, 1027);
        Tensor pos = x.abs().add(1e-3);
        String[] names = {"exp", "log", "sigmoid", "silu", "gelu", "erf", "softmax", "tanh", "pow"};
        @SuppressWarnings("unchecked")
        UnaryOperator<Tensor>[] ops = new UnaryOperator[] {
            t -> x.exp(), t -> pos.log(), t -> x.sigmoid(), t -> x.silu(), t -> x.gelu(), t -> x.erf(),
            t -> x.reshape(13, 79).softmax(1), t -> x.tanh(), t -> pos.pow(1.7)};
        Backends.with(backend, () -> {
            for (int k = 0; k < ops.length; k++) {
                float[] first = ops[k].apply(null).toFloatArray();
                for (int rep = 0; rep < 3000; rep++) {
                    float[] again = ops[k].apply(null).toFloatArray();
                    if (rep % 500 == 499) {
                        assertArrayEquals(first, again, 0f, names[k] + " changed after " + (rep + 1) + " calls");
                    }
                }
            }
        });
    }
}
