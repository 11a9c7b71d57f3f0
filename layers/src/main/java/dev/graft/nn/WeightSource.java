package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.nn.init.Initializer;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Where a layer's weights come from (DESIGN.md decision 6): one constructor serves "initialise
 * new" and "load pretrained". A layer asks for {@code get("weight", shape, initializer)}; a fresh
 * source runs the initializer, a map source looks up {@code prefix + "weight"} and checks the shape.
 * {@link #pp(String)} descends one level of the name hierarchy, e.g. {@code ws.pp("encoder").pp("layer").pp("0")}.
 */
public abstract class WeightSource {
    private final String prefix;

    protected WeightSource(String prefix) {
        this.prefix = prefix;
    }

    /** The full dotted name of a local tensor name under this source. */
    public final String path(String name) {
        return prefix + name;
    }

    /** The tensor named {@code name} (relative to this source), of exactly {@code shape}. */
    public abstract Tensor get(String name, int[] shape, Initializer init);

    /** A source for a child module: names are prefixed with {@code child + "."}. */
    public abstract WeightSource pp(String child);

    /** True if this source can provide {@code name} without initialising it (map sources); fresh sources say false. */
    public abstract boolean contains(String name);

    /** Fresh initialisation from a seeded generator. */
    public static WeightSource fresh(Generator g) {
        return new Fresh("", g);
    }

    public static WeightSource fresh(long seed) {
        return fresh(new Generator(seed));
    }

    /** Fresh initialisation from the default generator ({@link Init#manualSeed}). */
    public static WeightSource defaults() {
        return fresh(Init.defaultGenerator());
    }

    /** Pretrained tensors by dotted name (a checkpoint, an ONNX initializer map, …). */
    public static WeightSource of(Map<String, Tensor> tensors) {
        return new Lookup("", tensors, UnaryOperator.identity(), null);
    }

    /**
     * Pretrained tensors whose names differ from Graft's: {@code renamer} maps a Graft name to the
     * file's name. Names the map lacks are initialised fresh when {@code fallback} is non-null
     * (e.g. a new classification head), and are an error otherwise.
     */
    public static WeightSource of(Map<String, Tensor> tensors, UnaryOperator<String> renamer, Generator fallback) {
        return new Lookup("", tensors, renamer, fallback);
    }

    private static final class Fresh extends WeightSource {
        private final Generator g;

        Fresh(String prefix, Generator g) {
            super(prefix);
            this.g = g;
        }

        @Override
        public Tensor get(String name, int[] shape, Initializer init) {
            synchronized (g) {
                return init.create(shape, g);
            }
        }

        @Override
        public WeightSource pp(String child) {
            return new Fresh(path(child) + ".", g);
        }

        @Override
        public boolean contains(String name) {
            return false;
        }
    }

    private static final class Lookup extends WeightSource {
        private final Map<String, Tensor> tensors;
        private final UnaryOperator<String> renamer;
        private final Generator fallback;

        Lookup(String prefix, Map<String, Tensor> tensors, UnaryOperator<String> renamer, Generator fallback) {
            super(prefix);
            this.tensors = tensors;
            this.renamer = renamer;
            this.fallback = fallback;
        }

        @Override
        public Tensor get(String name, int[] shape, Initializer init) {
            String key = renamer.apply(path(name));
            Tensor t = tensors.get(key);
            if (t == null) {
                if (fallback != null) {
                    synchronized (fallback) {
                        return init.create(shape, fallback);
                    }
                }
                throw new TensorShapeException("weights: no tensor named '" + key + "' (needed with shape "
                        + Arrays.toString(shape) + "); names under '" + path("") + "': " + near(key));
            }
            if (!Arrays.equals(t.shape(), shape)) {
                throw new TensorShapeException("weights: tensor '" + key + "' has shape " + Arrays.toString(t.shape())
                        + ", the layer expects " + Arrays.toString(shape));
            }
            // a private float32 copy: the model owns and trains it; the source stays untouched
            return t.dtype() == DType.FLOAT32 ? t.detach().clone() : t.to(DType.FLOAT32).detach();
        }

        private String near(String key) {
            String stem = key.contains(".") ? key.substring(0, key.lastIndexOf('.') + 1) : "";
            TreeSet<String> names = new TreeSet<>();
            for (String k : tensors.keySet()) {
                if (k.startsWith(stem)) {
                    names.add(k);
                }
                if (names.size() >= 8) {
                    break;
                }
            }
            return names.isEmpty() ? "(none)" : names.toString();
        }

        @Override
        public WeightSource pp(String child) {
            return new Lookup(path(child) + ".", tensors, renamer, fallback);
        }

        @Override
        public boolean contains(String name) {
            return tensors.containsKey(renamer.apply(path(name)));
        }
    }
}
