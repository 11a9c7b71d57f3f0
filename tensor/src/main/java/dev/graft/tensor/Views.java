package dev.graft.tensor;

/** Stride arithmetic for views that share storage. */
final class Views {
    private Views() {
    }

    /**
     * Strides that present the elements of (oldShape, oldStrides) in row-major order as newShape,
     * or null when no such strides exist and a copy is needed. Dimensions of the old view are
     * grouped into runs that are contiguous with each other; each run can be re-split freely.
     */
    static int[] viewStrides(int[] oldShape, int[] oldStrides, int[] newShape) {
        int[] out = new int[newShape.length];
        int n = Shape.numel(oldShape);
        if (n == 0 || oldShape.length == 0) {
            return n == 0 || Shape.numel(newShape) == 1 ? Shape.contiguousStrides(newShape) : null;
        }
        int viewD = newShape.length - 1;
        long runBase = oldStrides[oldShape.length - 1];
        long runNumel = 1;
        long viewNumel = 1;
        for (int d = oldShape.length - 1; d >= 0; d--) {
            runNumel *= oldShape[d];
            boolean runEnds = d == 0 || (oldShape[d - 1] != 1 && oldStrides[d - 1] != runNumel * runBase);
            if (runEnds) {
                while (viewD >= 0 && (viewNumel < runNumel || newShape[viewD] == 1)) {
                    out[viewD] = (int) (viewNumel * runBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != runNumel) {
                    return null;
                }
                if (d > 0) {
                    runBase = oldStrides[d - 1];
                    runNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? out : null;
    }
}
