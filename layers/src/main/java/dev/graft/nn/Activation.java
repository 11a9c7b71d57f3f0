package dev.graft.nn;

import dev.graft.tensor.Tensor;

import java.util.function.UnaryOperator;

/** Activation functions as parameterless modules (ReLU, GELU, … ); each is a named function of its input. */
public class Activation extends Module {
    private final String name;
    private final UnaryOperator<Tensor> fn;

    protected Activation(String name, UnaryOperator<Tensor> fn) {
        this.name = name;
        this.fn = fn;
    }

    @Override
    public Tensor forward(Tensor x) {
        return fn.apply(x);
    }

    @Override
    public String toString() {
        return name + "()";
    }

    public static final class ReLU extends Activation {
        public ReLU() {
            super("ReLU", Tensor::relu);
        }
    }

    public static final class LeakyReLU extends Activation {
        public LeakyReLU(double slope) {
            super("LeakyReLU", x -> x.leakyRelu(slope));
        }

        public LeakyReLU() {
            this(0.01);
        }
    }

    public static final class GELU extends Activation {
        public GELU() {
            super("GELU", Tensor::gelu);
        }

        /** approximate: "none" (erf) or "tanh". */
        public GELU(String approximate) {
            super("GELU", switch (approximate) {
                case "none" -> (UnaryOperator<Tensor>) Tensor::gelu;
                case "tanh" -> Tensor::geluTanh;
                default -> throw new IllegalArgumentException("GELU: approximate must be 'none' or 'tanh', got '" + approximate + "'");
            });
        }
    }

    public static final class SiLU extends Activation {
        public SiLU() {
            super("SiLU", Tensor::silu);
        }
    }

    public static final class Tanh extends Activation {
        public Tanh() {
            super("Tanh", Tensor::tanh);
        }
    }

    public static final class Sigmoid extends Activation {
        public Sigmoid() {
            super("Sigmoid", Tensor::sigmoid);
        }
    }

    public static final class Hardswish extends Activation {
        public Hardswish() {
            super("Hardswish", Functional::hardswish);
        }
    }

    public static final class Hardsigmoid extends Activation {
        public Hardsigmoid() {
            super("Hardsigmoid", Functional::hardsigmoid);
        }
    }

    public static final class Softmax extends Activation {
        public Softmax(int dim) {
            super("Softmax", x -> x.softmax(dim));
        }
    }

    public static final class Identity extends Activation {
        public Identity() {
            super("Identity", x -> x);
        }
    }
}
