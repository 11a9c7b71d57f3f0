package dev.graft.transfer.bert;

import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.Tensor;

/** The feed-forward expansion: activation(dense(x)), H -> intermediate, child {@code dense}. */
public class BertIntermediate extends Module {
    private final Linear dense;
    private final BertConfig.Activation activation;

    public BertIntermediate(BertConfig config, WeightSource ws) {
        dense = registerModule("dense", new BertLinear(config.hidden(), config.intermediate(), ws.pp("dense")));
        activation = config.activation();
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = dense.forward(x);
        return switch (activation) {
            case GELU -> h.gelu();
            case GELU_TANH -> h.geluTanh();
            case RELU -> h.relu();
        };
    }

    public Linear dense() {
        return dense;
    }

    @Override
    protected String extraRepr() {
        return "activation=" + activation.name().toLowerCase(java.util.Locale.ROOT);
    }
}
