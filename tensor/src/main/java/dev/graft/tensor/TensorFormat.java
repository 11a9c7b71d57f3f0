package dev.graft.tensor;

import java.util.Locale;

/**
 * NumPy-style printing: nested brackets, columns aligned to the widest element, long dimensions
 * summarised with "..." (three items at each end once a tensor has more than 1000 elements), and
 * the dtype shown unless it is float32.
 */
final class TensorFormat {
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;

    private TensorFormat() {
    }

    static String format(Tensor t) {
        DType dt = t.dtype(); // before conversion: a float16 tensor still says dtype=float16
        if (!t.dtype().isComputable()) {
            t = t.to(DType.FLOAT32);
        }
        String prefix = "tensor(";
        boolean summarise = t.numel() > THRESHOLD;
        int[] shape = t.shape();
        Style style = Style.of(t, summarise);
        StringBuilder sb = new StringBuilder(prefix);
        if (t.numel() == 0) {
            sb.append("[]");
            if (shape.length != 1) {
                sb.append(", shape=").append(Shape.str(shape));
            }
        } else {
            append(sb, t, 0, new int[shape.length], style, summarise, prefix.length());
        }
        if (dt != DType.FLOAT32 && dt != DType.INT64 && dt != DType.BOOL) {
            sb.append(", dtype=").append(dt);
        }
        return sb.append(')').toString();
    }

    private static void append(StringBuilder sb, Tensor t, int d, int[] idx, Style style, boolean summarise, int indent) {
        int[] shape = t.shape();
        if (d == shape.length) {
            String text = t.dtype().isIntegral() && t.dtype() != DType.BOOL ? Long.toString(t.getLong(idx)) : style.text(t.get(idx));
            sb.append(style.pad(text));
            return;
        }
        sb.append('[');
        int n = shape[d];
        for (int i = 0; i < n; i++) {
            if (summarise && n > 2 * EDGE && i == EDGE) {
                sb.append(d == shape.length - 1 ? "..., " : "...,\n" + " ".repeat(indent + d + 1));
                i = n - EDGE;
            }
            idx[d] = i;
            append(sb, t, d + 1, idx, style, summarise, indent);
            if (i < n - 1) {
                sb.append(',');
                if (d == shape.length - 1) {
                    sb.append(' ');
                } else {
                    sb.append("\n".repeat(shape.length - 1 - d)).append(" ".repeat(indent + d + 1));
                }
            }
        }
        sb.append(']');
    }

    /** How elements print: integers plainly, floats fixed with 4 decimals or scientific when the range needs it. */
    private record Style(DType dtype, boolean scientific, int width) {
        static Style of(Tensor t, boolean summarise) {
            double[] v = t.numel() == 0 ? new double[0] : t.toDoubleArray();
            boolean sci = false;
            if (t.dtype().isFloating()) {
                double maxAbs = 0;
                double minAbs = Double.POSITIVE_INFINITY;
                for (double x : v) {
                    if (Double.isFinite(x) && x != 0) {
                        maxAbs = Math.max(maxAbs, Math.abs(x));
                        minAbs = Math.min(minAbs, Math.abs(x));
                    }
                }
                sci = maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs > 0) || (maxAbs / minAbs > 1e3 && maxAbs > 1e4);
            }
            Style s = new Style(t.dtype(), sci, 0);
            int w = 0;
            int limit = summarise ? Math.min(v.length, 4096) : v.length;
            for (int i = 0; i < limit; i++) {
                w = Math.max(w, s.text(v[i]).length());
            }
            if (summarise) {
                for (int i = Math.max(limit, v.length - 4096); i < v.length; i++) {
                    w = Math.max(w, s.text(v[i]).length());
                }
            }
            return new Style(t.dtype(), sci, w);
        }

        String text(double x) {
            if (dtype == DType.BOOL) {
                return x != 0 ? "True" : "False";
            }
            if (dtype.isIntegral()) {
                return Long.toString((long) x);
            }
            if (Double.isNaN(x)) {
                return "nan";
            }
            if (Double.isInfinite(x)) {
                return x > 0 ? "inf" : "-inf";
            }
            return scientific ? String.format(Locale.ROOT, "%.4e", x) : String.format(Locale.ROOT, "%.4f", x);
        }

        String pad(String s) {
            return " ".repeat(Math.max(0, width - s.length())) + s;
        }
    }
}
