package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxDataType;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

import static dev.graft.onnx.ops.ShapeOps.checked;
import static dev.graft.onnx.ops.ShapeOps.one;

/**
 * The value-producing members of {@link ShapeOps}: Cast and CastLike, Constant, ConstantOfShape
 * and Dropout.
 *
 * <p>Cast converts to the Graft dtype that holds the ONNX target type and then reproduces the
 * target's own value set: float16 and bfloat16 are rounded to their precision (Graft holds them
 * widened to float32), int8/int16/uint16/uint32 wrap like a C conversion to the narrow type.
 */
final class ShapeOpsValues {
    private ShapeOpsValues() {
    }

    static void register(OpRegistry r) {
        r.register("Cast", checked(ShapeOpsValues::cast, (node, opset) -> {
            var to = node.attributes().get("to");
            if (to == null) {
                return "attribute 'to' is missing";
            }
            return castTargetRefusal(to.i());
        }));
        r.register("CastLike", ctx -> one(castTo(ctx, ctx.input(0), OnnxDataType.fromGraft(ctx.input(1).dtype()))));
        r.register("Constant", checked(ShapeOpsValues::constant, ShapeOpsValues::constantRefusal));
        r.register("ConstantOfShape", ShapeOpsValues::constantOfShape);
        r.register("Dropout", ShapeOpsValues::dropout);
    }

    // ------------------------------------------------------------------ Cast

    private static String castTargetRefusal(long code) {
        OnnxDataType t;
        try {
            t = OnnxDataType.of(code);
        } catch (RuntimeException e) {
            return "'to' names unknown data type " + code;
        }
        return t.graft == null ? "casting to " + t + " is not supported (Graft has no " + t + " tensors)" : null;
    }

    private static Tensor[] cast(OpContext ctx) {
        long to = ctx.attrInt("to");
        String refusal = castTargetRefusal(to);
        if (refusal != null) {
            throw ctx.error(refusal);
        }
        return one(castTo(ctx, ctx.input(0), OnnxDataType.of(to)));
    }

    /** Converts x to the values and Graft dtype of ONNX type {@code t}. */
    static Tensor castTo(OpContext ctx, Tensor x, OnnxDataType t) {
        return switch (t) {
            case FLOAT -> x.to(DType.FLOAT32);
            case DOUBLE -> x.to(DType.FLOAT64);
            case FLOAT16 -> roundTo(x, DType.FLOAT16);
            case BFLOAT16 -> roundTo(x, DType.BFLOAT16);
            case BOOL -> x.to(DType.BOOL);
            case UINT8 -> x.to(DType.UINT8);
            case INT32 -> x.to(DType.INT32);
            case INT64, UINT64 -> x.to(DType.INT64);
            case INT8, INT16, UINT16 -> {
                long[] v = x.to(DType.INT64).toLongArray();
                int[] w = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    w[i] = switch (t) {
                        case INT8 -> (byte) v[i];
                        case INT16 -> (short) v[i];
                        default -> (char) v[i];
                    };
                }
                yield Tensor.fromArray(w, x.shape());
            }
            case UINT32 -> {
                long[] v = x.to(DType.INT64).toLongArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] &= 0xFFFFFFFFL;
                }
                yield Tensor.fromArray(v, x.shape());
            }
            default -> throw ctx.error("casting to " + t + " is not supported");
        };
    }

    /**
     * float32 values rounded to a half-precision format's nearest value (round to nearest even),
     * still held as float32. The gradient passes straight through, as for any cast.
     */
    private static Tensor roundTo(Tensor x, DType half) {
        Tensor f = x.to(DType.FLOAT32);
        Tensor rounded = f.detach().to(half).to(DType.FLOAT32);
        if (!f.requiresGrad()) {
            return rounded;
        }
        // f + (rounded - f) is exactly rounded (Sterbenz), and its gradient is the identity
        return f.add(rounded.sub(f.detach()));
    }

    // ------------------------------------------------------------------ constants

    private static String constantRefusal(OnnxNode node, int opset) {
        var attrs = node.attributes();
        for (String unsupported : new String[] {"sparse_value", "value_string", "value_strings"}) {
            if (attrs.containsKey(unsupported)) {
                return "attribute '" + unsupported + "' is not supported (Graft has no " + (unsupported.startsWith("sparse")
                        ? "sparse" : "string") + " tensors)";
            }
        }
        for (String a : new String[] {"value", "value_float", "value_floats", "value_int", "value_ints"}) {
            if (attrs.containsKey(a)) {
                return null;
            }
        }
        return "no value attribute (value, value_float(s) or value_int(s))";
    }

    private static Tensor[] constant(OpContext ctx) {
        OnnxAttribute a;
        if ((a = ctx.attr("value")) != null) {
            Tensor t = ctx.attrTensor("value");
            if (t == null) {
                throw ctx.error("attribute 'value' holds no tensor (type " + a.type() + ")");
            }
            return one(t);
        }
        if (ctx.hasAttr("value_float")) {
            return one(Tensor.scalar(ctx.attrFloat("value_float", 0f), DType.FLOAT32));
        }
        if (ctx.hasAttr("value_floats")) {
            return one(Tensor.fromArray(ctx.attrFloats("value_floats", new float[0])));
        }
        if (ctx.hasAttr("value_int")) {
            return one(ShapeOps.longScalar(ctx.attrInt("value_int")));
        }
        if (ctx.hasAttr("value_ints")) {
            return one(ShapeOps.longVector(ctx.attrInts("value_ints", new long[0])));
        }
        throw ctx.error("has no supported value attribute");
    }

    private static Tensor[] constantOfShape(OpContext ctx) {
        Tensor shapeInput = ctx.input(0);
        if (shapeInput.dim() > 1) {
            throw ctx.error("the shape input must be 1-D, got shape " + Arrays.toString(shapeInput.shape()));
        }
        int[] shape = ShapeOps.checkedShape(ctx, ctx.longs(shapeInput), "shape");
        Tensor value = ctx.attrTensor("value");
        if (value == null) {
            value = Tensor.scalar(0, DType.FLOAT32);
        } else if (value.numel() != 1) {
            throw ctx.error("attribute 'value' must hold one element, got shape " + Arrays.toString(value.shape()));
        }
        // expand + clone keeps int64 values exact (no detour through double)
        return one(value.detach().reshape().expand(shape).clone());
    }

    // ------------------------------------------------------------------ Dropout

    private static Tensor[] dropout(OpContext ctx) {
        Tensor x = ctx.input(0);
        double ratio;
        boolean training;
        if (ctx.opset() >= 12) {
            Tensor r = ctx.optionalInput(1);
            ratio = r == null ? 0.5 : r.reshape(-1).get(0);
            Tensor t = ctx.optionalInput(2);
            training = t != null && t.reshape(-1).get(0) != 0;
        } else {
            ratio = ctx.attrFloat("ratio", 0.5f);
            training = false; // before opset 12 ONNX Runtime, like Graft, runs Dropout as inference
        }
        if (ratio < 0 || ratio > 1) {
            throw ctx.error("ratio " + ratio + " must be in [0, 1]");
        }
        boolean wantMask = ctx.outputCount() > 1 && !ctx.node().outputs().get(1).isEmpty();
        DType maskType = ctx.opset() >= 10 ? DType.BOOL : x.dtype();
        if (!training || ratio == 0) {
            return wantMask ? new Tensor[] {x, Tensor.full(1, maskType, x.shape())} : one(x);
        }
        if (!ctx.hasAttr("seed")) {
            throw ctx.error("training_mode=true with ratio " + ratio + " drops random elements; Graft runs a training-mode"
                    + " Dropout only with a 'seed' attribute, which makes it reproducible");
        }
        Tensor keep = ShapeOpsRandom.uniform(ctx.attrInt("seed"), x.shape()).ge(ratio);
        Tensor y = ratio >= 1 ? x.mul(0) : x.mul(keep.to(x.dtype())).mul(1 / (1 - ratio));
        return wantMask ? new Tensor[] {y, keep.to(maskType)} : one(y);
    }
}
