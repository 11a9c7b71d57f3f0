package dev.graft.onnx.ops;

import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.graft.onnx.ops.ShapeOps.longVector;

/**
 * ONNX Unique, a member of {@link ShapeOps}: the distinct elements (or, with {@code axis}, the
 * distinct slices along that axis) in ascending order or in order of first occurrence, with each
 * one's first index, the inverse mapping and the counts. The values output is an index selection of
 * the input, so its gradient reaches the input.
 */
final class ShapeOpsUnique {
    private ShapeOpsUnique() {
    }

    static void register(OpRegistry r) {
        r.register("Unique", ShapeOpsUnique::unique);
    }

    /** One slice's elements as a comparable key: exact longs for integer data, doubles otherwise. */
    private record Key(double[] d, long[] l) implements Comparable<Key> {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(d, k.d) && Arrays.equals(l, k.l);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(d) + Arrays.hashCode(l);
        }

        @Override
        public int compareTo(Key o) {
            return d != null ? Arrays.compare(d, o.d) : Arrays.compare(l, o.l);
        }
    }

    private static Tensor[] unique(OpContext ctx) {
        Tensor x = ctx.input(0);
        boolean sorted = ctx.attrInt("sorted", 1) != 0;
        Tensor rows;
        int axis;
        if (ctx.hasAttr("axis")) {
            if (x.dim() == 0) {
                throw ctx.error("axis is given but the input is 0-d");
            }
            axis = ctx.axis(ctx.attrInt("axis"), x.dim());
            int n = x.size(axis);
            rows = x.detach().transpose(0, axis).contiguous().reshape(n, n == 0 ? 0 : x.numel() / n);
        } else {
            axis = -1;
            rows = x.detach().reshape(x.numel(), 1);
        }
        int n = rows.size(0);
        int width = rows.size(1);
        boolean floating = x.dtype().isFloating();
        double[] dv = floating ? rows.toDoubleArray() : null;
        if (dv != null) {
            for (int i = 0; i < dv.length; i++) {
                dv[i] += 0.0; // -0.0 and 0.0 are one value, as in numpy.unique
            }
        }
        long[] lv = floating ? null : rows.toLongArray();
        // first occurrence order, then (when sorted) ascending order of the keys
        Map<Key, Integer> firstSlot = new HashMap<>();
        List<Key> keys = new ArrayList<>();
        List<Integer> first = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        int[] slotOf = new int[n];
        for (int i = 0; i < n; i++) {
            Key k = floating ? new Key(Arrays.copyOfRange(dv, i * width, (i + 1) * width), null)
                    : new Key(null, Arrays.copyOfRange(lv, i * width, (i + 1) * width));
            Integer slot = firstSlot.get(k);
            if (slot == null) {
                slot = keys.size();
                firstSlot.put(k, slot);
                keys.add(k);
                first.add(i);
                counts.add(0L);
            }
            counts.set(slot, counts.get(slot) + 1);
            slotOf[i] = slot;
        }
        int m = keys.size();
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        if (sorted) {
            Arrays.sort(order, (a, b) -> keys.get(a).compareTo(keys.get(b)));
        }
        int[] rank = new int[m];
        long[] firstIdx = new long[m];
        long[] count = new long[m];
        for (int i = 0; i < m; i++) {
            rank[order[i]] = i;
            firstIdx[i] = first.get(order[i]);
            count[i] = counts.get(order[i]);
        }
        long[] inverse = new long[n];
        for (int i = 0; i < n; i++) {
            inverse[i] = rank[slotOf[i]];
        }
        Tensor y = axis < 0 ? x.reshape(x.numel()).indexSelect(0, longVector(firstIdx)) : x.indexSelect(axis, longVector(firstIdx));
        return new Tensor[] {y, longVector(firstIdx), longVector(inverse), longVector(count)};
    }
}
