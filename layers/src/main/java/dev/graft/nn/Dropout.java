package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;

/** Inverted dropout in training mode, identity in eval mode. Its mask comes from its own seeded generator. */
public class Dropout extends Module {
    private final double p;
    private final Generator generator;

    public Dropout(double p) {
        this(p, new Generator(Init.defaultGenerator().nextLong()));
    }

    public Dropout(double p, Generator generator) {
        if (p < 0 || p > 1) {
            throw new IllegalArgumentException("Dropout: probability must be in [0, 1], got " + p);
        }
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.dropout(x, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
