package dev.graft.transfer.bert;

import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.Tensor;

/**
 * One post-LayerNorm transformer encoder layer: {@code attention} (with children {@code self} and
 * {@code output}), {@code intermediate} and {@code output}, Hugging Face's {@code BertLayer}.
 */
public class BertLayer extends Module {
    private final Attention attention;
    private final BertIntermediate intermediate;
    private final BertOutput output;

    /** {@code self} (the heads) and {@code output} (projection, residual, LayerNorm): HF's {@code BertAttention}. */
    public static class Attention extends Module {
        private final BertSelfAttention self;
        private final BertOutput output;

        public Attention(BertConfig config, WeightSource ws) {
            self = registerModule("self", new BertSelfAttention(config, ws.pp("self")));
            output = registerModule("output", new BertOutput(config, config.hidden(), ws.pp("output")));
        }

        public Tensor forward(Tensor x, Tensor extendedMask) {
            return output.forward(self.forward(x, extendedMask), x);
        }

        public BertSelfAttention self() {
            return self;
        }

        public BertOutput output() {
            return output;
        }
    }

    public BertLayer(BertConfig config, WeightSource ws) {
        attention = registerModule("attention", new Attention(config, ws.pp("attention")));
        intermediate = registerModule("intermediate", new BertIntermediate(config, ws.pp("intermediate")));
        output = registerModule("output", new BertOutput(config, config.intermediate(), ws.pp("output")));
    }

    /** x [B, T, H], extendedMask [B, 1, 1, T] or null. */
    public Tensor forward(Tensor x, Tensor extendedMask) {
        Tensor a = attention.forward(x, extendedMask);
        return output.forward(intermediate.forward(a), a);
    }

    public Attention attention() {
        return attention;
    }

    public BertIntermediate intermediate() {
        return intermediate;
    }

    public BertOutput output() {
        return output;
    }
}
