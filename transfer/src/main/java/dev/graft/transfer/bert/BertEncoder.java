package dev.graft.transfer.bert;

import dev.graft.nn.Module;
import dev.graft.nn.ModuleList;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.Tensor;

/** The stack of encoder layers, child {@code layer} ({@code layer.0}, {@code layer.1}, …). */
public class BertEncoder extends Module {
    private final ModuleList layer;
    private final BertLayer[] layers;

    public BertEncoder(BertConfig config, WeightSource ws) {
        layers = new BertLayer[config.layers()];
        layer = registerModule("layer", new ModuleList());
        WeightSource lws = ws.pp("layer");
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new BertLayer(config, lws.pp(Integer.toString(i)));
            layer.add(layers[i]);
        }
    }

    /** x [B, T, H], extendedMask [B, 1, 1, T] or null. */
    public Tensor forward(Tensor x, Tensor extendedMask) {
        for (BertLayer l : layers) {
            x = l.forward(x, extendedMask);
        }
        return x;
    }

    public BertLayer layer(int i) {
        return layers[i];
    }

    public int size() {
        return layers.length;
    }
}
