package dev.graft.autograd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Semantics of the engine: accumulation, scopes, freed graphs, in-place guards, hooks, custom functions, memory. */
class EngineTest {
    private static Tensor leaf(double... v) {
        return Tensor.fromArray(v, v.length).requiresGrad(true);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Tensor x = leaf(1, 2, 3);
        x.mul(x).sum().backward(); // d/dx sum(x^2) = 2x, the leaf used twice in one op
        assertArrayEquals(new double[] {2, 4, 6}, x.grad().toDoubleArray(), 0);
        x.mul(3).sum().backward();
        assertArrayEquals(new double[] {5, 7, 9}, x.grad().toDoubleArray(), 0);
        Autograd.zeroGrad(x);
        assertNull(x.grad());
        x.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void leafReachedByTwoPathsGetsTheSum() {
        Tensor x = leaf(2);
        Tensor y = x.exp().add(x.mul(x)).add(x.sin());
        y.backward();
        assertEquals(Math.exp(2) + 4 + Math.cos(2), x.grad().item(), 1e-12);
    }

    @Test
    void detachAndNoGradStopRecording() {
        Tensor x = leaf(1, 2);
        Tensor d = x.detach().mul(5);
        assertFalse(d.requiresGrad());
        try (var g = NoGrad.enter()) {
            try (var inner = NoGrad.enter()) {
                assertFalse(GradMode.isEnabled());
            }
            assertFalse(GradMode.isEnabled(), "scopes nest");
            Tensor y = x.mul(2);
            assertFalse(y.requiresGrad());
            assertTrue(y.isLeaf());
        }
        assertTrue(GradMode.isEnabled());
        Tensor z = x.mul(d).sum(); // d is a constant
        z.backward();
        assertArrayEquals(new double[] {5, 10}, x.grad().toDoubleArray(), 0);
        assertFalse(x.grad().requiresGrad(), "second-order gradients are not recorded");
    }

    @Test
    void retainGradKeepsNonLeafGradients() {
        Tensor x = leaf(1, -2);
        Tensor h = Autograd.retainGrad(x.mul(3));
        Tensor other = x.mul(4);
        h.square().sum().add(other.sum()).backward();
        assertArrayEquals(new double[] {6, -12}, h.grad().toDoubleArray(), 0);
        assertNull(other.grad(), "non-leaves drop their gradient unless retained");
    }

    @Test
    void secondBackwardThroughAFreedGraphNamesTheOp() {
        Tensor x = leaf(1, 2);
        Tensor loss = x.matmul(x);
        loss.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("'matmul'") && e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void retainGraphAllowsASecondPass() {
        Tensor x = leaf(1, 2);
        Tensor loss = x.matmul(x);
        Autograd.backward(loss, null, true);
        Autograd.backward(loss, null, false);
        assertArrayEquals(new double[] {4, 8}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void inPlaceOnATensorThatRequiresGradIsRefusedOutsideNoGrad() {
        Tensor w = leaf(1, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.addInPlace(Tensor.ones(DType.FLOAT64, 2), 1));
        assertTrue(e.getMessage().contains("addInPlace") && e.getMessage().contains("NoGrad"), e.getMessage());
        try (var g = NoGrad.enter()) {
            w.addInPlace(Tensor.ones(DType.FLOAT64, 2), -0.5); // what an optimizer step does
        }
        assertArrayEquals(new double[] {0.5, 1.5}, w.toDoubleArray(), 0);
    }

    @Test
    void modifyingASavedInputAfterUseIsDetectedAtBackward() {
        Tensor w = leaf(1, 2);
        Tensor x = Tensor.fromArray(new double[] {3, 4}, 2);
        Tensor loss = w.mul(x).sum(); // saves x for the gradient of w
        x.fill(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("'mul'") && e.getMessage().contains("in place"), e.getMessage());
    }

    @Test
    void leafGradientsNeverShareStorageWithEachOtherTheSeedOrAHooksTensor() {
        // add passes one gradient tensor to both inputs: two leaves must not share it
        Tensor a = leaf(1, 2);
        Tensor b = leaf(3, 4);
        a.add(b).sum().backward();
        assertNotSame(a.grad().storage(), b.grad().storage());
        a.grad().mulInPlace(5);
        assertArrayEquals(new double[] {1, 1}, b.grad().toDoubleArray(), 0);

        // a pass-through rule (clone) hands the caller's seed straight to the leaf
        Tensor c = leaf(1, 2);
        Tensor seed = Tensor.fromArray(new double[] {7, 8}, 2);
        c.clone().backward(seed);
        assertNotSame(seed.storage(), c.grad().storage());
        c.grad().fill(0);
        assertArrayEquals(new double[] {7, 8}, seed.toDoubleArray(), 0);

        // a hook on an intermediate returns the caller's tensor, which reaches the leaf through reshape
        Tensor d = leaf(1, 2, 3, 4);
        Tensor mine = Tensor.fromArray(new double[] {1, 1, 1, 1}, 2, 2);
        Tensor mid = d.reshape(2, 2).mul(1);
        Autograd.registerHook(mid, g -> mine);
        mid.sum().backward();
        assertNotSame(mine.storage(), d.grad().storage());

        // a user's function whose backward returns a tensor it keeps
        Tensor kept = Tensor.fromArray(new double[] {2, 2}, 2);
        Function constGrad = new Function("constGrad") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                return in[0].detach().clone();
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {kept};
            }
        };
        Tensor e = leaf(5, 6);
        constGrad.apply(e).sum().backward();
        assertNotSame(kept.storage(), e.grad().storage());

        // the common case, a dense gradient computed for one leaf, is kept without a copy and is correct
        Tensor w = leaf(1, 2, 3);
        w.mul(w).sum().backward();
        assertArrayEquals(new double[] {2, 4, 6}, w.grad().toDoubleArray(), 0);
    }

    @Test
    void hooksSeeAndReplaceGradients() {
        Tensor x = leaf(1, 2, 3);
        List<double[]> seen = new ArrayList<>();
        Autograd.HookHandle h = Autograd.registerHook(x, g -> {
            seen.add(g.toDoubleArray());
            return g.mul(10);
        });
        Tensor mid = x.mul(2);
        Autograd.registerHook(mid, g -> g.add(1)); // non-leaf hook: upstream of x's
        mid.sum().backward();
        assertEquals(1, seen.size(), "a leaf hook runs once per backward with the summed gradient");
        assertArrayEquals(new double[] {4, 4, 4}, seen.get(0), 0);
        assertArrayEquals(new double[] {40, 40, 40}, x.grad().toDoubleArray(), 0);
        h.remove();
        Autograd.zeroGrad(x);
        x.sum().backward();
        assertArrayEquals(new double[] {1, 1, 1}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void customFunctionGradientReversal() {
        Function reverse = new Function("gradReverse") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.put(0.5);
                return in[0];
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                double lambda = ctx.get(0);
                return new Tensor[] {g.mul(-lambda)};
            }
        };
        Tensor x = leaf(1, 2);
        Tensor y = reverse.apply(x);
        assertArrayEquals(new double[] {1, 2}, y.toDoubleArray(), 0);
        assertNull(x.gradFn(), "the input is untouched");
        y.mul(3).sum().backward();
        assertArrayEquals(new double[] {-1.5, -1.5}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void customFunctionWithSavedTensorsPassesGradCheck() {
        Function cube = new Function("cube") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.saveForBackward(in[0]);
                return in[0].mul(in[0]).mul(in[0]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                Tensor x = ctx.savedTensors().get(0);
                return new Tensor[] {g.mul(x.square()).mul(3)};
            }
        };
        Tensor x = Tensor.uniform(new Generator(3), -1, 1, DType.FLOAT64, 2, 3).requiresGrad(true);
        GradCheck.Result r = GradCheck.check("cube", in -> cube.apply(in[0]).sum(new int[] {1}, false), x);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void gradCheckReportsTheWorstElementOfAWrongRule() {
        Function wrong = new Function("wrongSquare") {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.saveForBackward(in[0]);
                return in[0].square();
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor g) {
                return new Tensor[] {g.mul(ctx.savedTensors().get(0))}; // missing the factor 2
            }
        };
        Tensor x = Tensor.fromArray(new double[] {0.5, -3, 1}, 3).requiresGrad(true);
        GradCheck.Result r = GradCheck.check("wrongSquare", in -> wrong.apply(in[0]), x);
        assertFalse(r.passed());
        assertArrayEquals(new int[] {1}, r.index(), "the largest error is at x = -3");
        assertTrue(r.toString().contains("wrongSquare") && r.toString().contains("[1]"), r.toString());
    }

    @Test
    void integerInputsTakeNoGradient() {
        Tensor x = leaf(1, 2, 3);
        Tensor idx = Tensor.fromArray(new long[] {2, 2, 0}, 3);
        Tensor y = x.gather(0, idx).add(idx).sum(); // int64 + float64 promotes; idx gets nothing
        y.backward();
        assertArrayEquals(new double[] {1, 0, 2}, x.grad().toDoubleArray(), 0);
        assertNull(idx.grad());
        assertThrows(dev.graft.tensor.TensorTypeException.class, () -> idx.requiresGrad(true));
    }

    @Test
    void backwardNeedsAScalarOrAnUpstreamGradient() {
        Tensor x = leaf(1, 2);
        Tensor y = x.mul(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        y.backward(Tensor.fromArray(new double[] {1, 10}, 2));
        assertArrayEquals(new double[] {2, 20}, x.grad().toDoubleArray(), 0);
        Tensor c = Tensor.scalar(1.0, DType.FLOAT64);
        assertThrows(IllegalStateException.class, c::backward, "nothing requires grad");
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Tensor x = leaf(1);
        Tensor y = x;
        for (int i = 0; i < 20000; i++) {
            y = y.mul(1.0);
        }
        y.backward();
        assertEquals(1.0, x.grad().item(), 0);
    }

    @Test
    void graphIsReleasedAfterBackwardEvenWhileTheLossIsKept() throws InterruptedException {
        Tensor w = Tensor.ones(DType.FLOAT32, 1 << 16).requiresGrad(true);
        Tensor big = w.exp(); // a 256 KiB intermediate saved by the graph
        WeakReference<Tensor> ref = new WeakReference<>(big);
        Tensor loss = big.mul(2).sum();
        big = null;
        loss.backward();
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(ref.get(), "the intermediate is still reachable from the kept loss");
        assertNotNull(loss.gradFn());
    }

    @Test
    void thousandsOfStepsRunInBoundedMemory() {
        // Each step builds a graph holding ~4 MiB of intermediates and keeps its loss. If graphs
        // were not released, 3000 steps would retain ~12 GiB and fail under the 2 GiB test heap.
        Tensor w = Tensor.full(0.5, DType.FLOAT32, 1 << 18).requiresGrad(true);
        List<Tensor> losses = new ArrayList<>();
        Runtime rt = Runtime.getRuntime();
        for (int step = 0; step < 3000; step++) {
            Tensor loss = w.mul(w).exp().mean();
            loss.backward();
            losses.add(loss);
            try (var g = NoGrad.enter()) {
                w.addInPlace(w.grad(), -0.01);
            }
            Autograd.zeroGrad(w);
        }
        System.gc();
        long used = rt.totalMemory() - rt.freeMemory();
        assertTrue(used < 512L << 20, "heap in use after 3000 steps: " + (used >> 20) + " MiB");
        assertEquals(3000, losses.size());
    }
}
