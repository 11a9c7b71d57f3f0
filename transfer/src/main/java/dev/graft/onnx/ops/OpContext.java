package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What an {@link OnnxOp} sees of one node application: the inputs, the attributes with ONNX's
 * defaults, the opset version in force for the node's domain, and an error factory whose messages
 * name the node, its op type, the opset and the input shapes.
 */
public final class OpContext {
    private final OnnxNode node;
    private final int opset;
    private final Tensor[] inputs;

    public OpContext(OnnxNode node, int opset, Tensor[] inputs) {
        this.node = node;
        this.opset = opset;
        this.inputs = inputs;
    }

    public OnnxNode node() {
        return node;
    }

    /** The opset version imported for this node's domain. */
    public int opset() {
        return opset;
    }

    /** Number of inputs listed on the node, including omitted optional ones. */
    public int inputCount() {
        return inputs.length;
    }

    /** Number of outputs listed on the node. */
    public int outputCount() {
        return node.outputs().size();
    }

    /** A required input; an error names it when it is missing. */
    public Tensor input(int i) {
        Tensor t = i < inputs.length ? inputs[i] : null;
        if (t == null) {
            throw error("input " + i + " is required but missing");
        }
        return t;
    }

    /** An optional input, or null when the node omits it. */
    public Tensor optionalInput(int i) {
        return i < inputs.length ? inputs[i] : null;
    }

    public boolean hasInput(int i) {
        return optionalInput(i) != null;
    }

    public boolean hasAttr(String name) {
        return node.attributes().containsKey(name);
    }

    public OnnxAttribute attr(String name) {
        return node.attributes().get(name);
    }

    public long attrInt(String name, long dflt) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            return dflt;
        }
        check(a, OnnxAttribute.Type.INT);
        return a.i();
    }

    /** A required int attribute. */
    public long attrInt(String name) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            throw error("attribute '" + name + "' is required");
        }
        check(a, OnnxAttribute.Type.INT);
        return a.i();
    }

    public float attrFloat(String name, float dflt) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            return dflt;
        }
        check(a, OnnxAttribute.Type.FLOAT);
        return a.f();
    }

    public String attrString(String name, String dflt) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            return dflt;
        }
        check(a, OnnxAttribute.Type.STRING);
        return a.s();
    }

    /** An ints attribute, or {@code dflt} (may be null) when absent. */
    public long[] attrInts(String name, long[] dflt) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            return dflt;
        }
        check(a, OnnxAttribute.Type.INTS);
        return a.ints();
    }

    /** An ints attribute as int[], or {@code dflt} (may be null) when absent. */
    public int[] attrIntArray(String name, int[] dflt) {
        long[] v = attrInts(name, null);
        return v == null ? dflt : toInts(v, name);
    }

    public float[] attrFloats(String name, float[] dflt) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            return dflt;
        }
        check(a, OnnxAttribute.Type.FLOATS);
        return a.floats();
    }

    public List<String> attrStrings(String name, List<String> dflt) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            return dflt;
        }
        check(a, OnnxAttribute.Type.STRINGS);
        return a.strings();
    }

    public Tensor attrTensor(String name) {
        OnnxAttribute a = attr(name);
        if (a == null) {
            return null;
        }
        check(a, OnnxAttribute.Type.TENSOR);
        return a.t();
    }

    /** Converts int64 values (from attributes or shape tensors) to int, with a named error on overflow. */
    public int[] toInts(long[] v, String what) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] > Integer.MAX_VALUE || v[i] < Integer.MIN_VALUE) {
                throw error(what + " value " + v[i] + " does not fit in 32 bits");
            }
            r[i] = (int) v[i];
        }
        return r;
    }

    /** The values of a small integer tensor (shape inputs such as Reshape's shape), as longs. */
    public long[] longs(Tensor t) {
        if (t.dtype().isFloating()) {
            throw error("expected an integer tensor, got " + t.dtype());
        }
        return t.contiguous().toLongArray();
    }

    private void check(OnnxAttribute a, OnnxAttribute.Type expected) {
        if (a.type() != expected) {
            throw error("attribute '" + a.name() + "' has type " + a.type() + ", expected " + expected);
        }
    }

    /** An error naming this node, op type, opset and input shapes. */
    public OnnxException error(String message) {
        StringBuilder sb = new StringBuilder();
        sb.append(node.describe()).append(" (opset ").append(opset).append(", inputs ");
        for (int i = 0; i < inputs.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Tensor t = inputs[i];
            sb.append(t == null ? "-" : t.dtype().toString().toLowerCase(Locale.ROOT) + Arrays.toString(t.shape()));
        }
        return new OnnxException(sb.append("): ").append(message).toString());
    }

    /** Normalises a possibly negative axis against {@code rank}, with a named error when out of range. */
    public int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1) && !(rank == 0 && a == 0)) {
            throw error("axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }
}
