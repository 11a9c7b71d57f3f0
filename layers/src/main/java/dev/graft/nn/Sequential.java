package dev.graft.nn;

import dev.graft.tensor.Tensor;

/** Children applied in order; named "0", "1", … like torch.nn.Sequential. */
public class Sequential extends Module {
    private int count;

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    public Sequential add(Module m) {
        registerModule(Integer.toString(count++), m);
        return this;
    }

    public Module get(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("Sequential: index " + i + " out of range for " + count + " modules");
        }
        return child(Integer.toString(i));
    }

    public int size() {
        return count;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = x;
        for (Module m : namedChildren().values()) {
            y = m.forward(y);
        }
        return y;
    }
}
