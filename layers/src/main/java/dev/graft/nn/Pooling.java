package dev.graft.nn;

import dev.graft.tensor.Tensor;

/** Pooling and reshaping layers without parameters. */
public final class Pooling {
    private Pooling() {
    }

    public static final class MaxPool2d extends Module {
        private final int[] kernel;
        private final int[] stride;
        private final int[] padding;
        private final int[] dilation;

        public MaxPool2d(int kernel) {
            this(new int[] {kernel, kernel}, new int[] {kernel, kernel}, new int[] {0, 0}, new int[] {1, 1});
        }

        public MaxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation) {
            this.kernel = kernel.clone();
            this.stride = stride.clone();
            this.padding = padding.clone();
            this.dilation = dilation.clone();
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.maxPool2d(kernel, stride, padding, dilation);
        }
    }

    public static final class AvgPool2d extends Module {
        private final int[] kernel;
        private final int[] stride;
        private final int[] padding;
        private final boolean countIncludePad;

        public AvgPool2d(int kernel) {
            this(new int[] {kernel, kernel}, new int[] {kernel, kernel}, new int[] {0, 0}, true);
        }

        public AvgPool2d(int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
            this.kernel = kernel.clone();
            this.stride = stride.clone();
            this.padding = padding.clone();
            this.countIncludePad = countIncludePad;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.avgPool2d(kernel, stride, padding, countIncludePad);
        }
    }

    public static final class AdaptiveAvgPool2d extends Module {
        private final int outH;
        private final int outW;

        public AdaptiveAvgPool2d(int outH, int outW) {
            this.outH = outH;
            this.outW = outW;
        }

        @Override
        public Tensor forward(Tensor x) {
            return Functional.adaptiveAvgPool2d(x, outH, outW);
        }
    }

    /** Flattens dimensions start..end (default 1..-1, keeping the batch). */
    public static final class Flatten extends Module {
        private final int start;
        private final int end;

        public Flatten() {
            this(1, -1);
        }

        public Flatten(int start, int end) {
            this.start = start;
            this.end = end;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.flatten(start, end);
        }
    }
}
