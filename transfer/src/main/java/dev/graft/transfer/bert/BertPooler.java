package dev.graft.transfer.bert;

import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.Tensor;

/** tanh(dense(h[:, 0])): the [CLS] summary of Hugging Face's {@code BertPooler}, child {@code dense}. */
public class BertPooler extends Module {
    private final Linear dense;

    public BertPooler(BertConfig config, WeightSource ws) {
        dense = registerModule("dense", new Linear(config.hidden(), config.hidden(), true, ws.pp("dense")));
    }

    /** lastHidden [B, T, H] -> [B, H]. */
    @Override
    public Tensor forward(Tensor lastHidden) {
        return dense.forward(lastHidden.select(1, 0)).tanh();
    }

    public Linear dense() {
        return dense;
    }
}
