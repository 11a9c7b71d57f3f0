package dev.graft.tensor.backend.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;

/** The preferred vector species of this machine; touching this class requires the incubator module. */
public final class SimdShape {
    private SimdShape() {
    }

    public static String describe() {
        return "preferred " + VectorShape.preferredShape().vectorBitSize() + " bits: float32 x "
                + FloatVector.SPECIES_PREFERRED.length() + ", float64 x " + DoubleVector.SPECIES_PREFERRED.length();
    }
}
