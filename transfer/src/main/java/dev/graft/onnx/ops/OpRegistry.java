package dev.graft.onnx.ops;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The operator implementations Graft knows, by domain and op type. {@link #standard()} holds every
 * built-in op; a user may register more (or replace one) on a copy before loading a model.
 */
public final class OpRegistry {
    private final Map<String, OnnxOp> ops = new TreeMap<>();

    /** A registry with all of Graft's built-in ONNX ops. */
    public static OpRegistry standard() {
        OpRegistry r = new OpRegistry();
        MathOps.register(r);
        ShapeOps.register(r);
        NnOps.register(r);
        QuantOps.register(r);
        return r;
    }

    /** Registers an op of the default domain. */
    public OpRegistry register(String opType, OnnxOp op) {
        return register("", opType, op);
    }

    public OpRegistry register(String domain, String opType, OnnxOp op) {
        ops.put(key(domain, opType), op);
        return this;
    }

    /** The op, or null when none is registered. */
    public OnnxOp find(String domain, String opType) {
        return ops.get(key(domain, opType));
    }

    /** The registered op types, as "Op" or "domain.Op". */
    public Set<String> names() {
        return java.util.Collections.unmodifiableSet(ops.keySet());
    }

    private static String key(String domain, String opType) {
        return domain == null || domain.isEmpty() || domain.equals("ai.onnx") ? opType : domain + "." + opType;
    }
}
