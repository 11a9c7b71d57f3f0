package dev.graft.optim;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loop of the fused Adam step ({@link AdamUpdate.AdamPass#scalar} element by
 * element, the same float32 operations in the same order, so lanes and tail agree). In its own
 * class so that nothing loads the incubator module when it is absent.
 */
final class AdamVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AdamVector() {
    }

    /** Updates [from, to) in whole vectors; returns where the scalar tail starts. */
    static int run(AdamUpdate.AdamPass a, int from, int to) {
        int i = from;
        int vl = S.length();
        boolean amsgrad = a.max() != null;
        for (; i + vl <= to; i += vl) {
            FloatVector p = FloatVector.fromArray(S, a.p(), a.po() + i).mul(a.decay());
            FloatVector g = FloatVector.fromArray(S, a.g(), a.go() + i).mul(a.sign()).add(p.mul(a.l2()));
            FloatVector m = FloatVector.fromArray(S, a.mIn(), a.mo() + i).mul(a.b1()).add(g.mul(a.c1()));
            FloatVector v = FloatVector.fromArray(S, a.vIn(), a.vo() + i).mul(a.b2()).add(g.mul(a.c2()).mul(g));
            FloatVector second = v;
            if (amsgrad) {
                second = FloatVector.fromArray(S, a.maxIn(), a.xo() + i).max(v);
                second.intoArray(a.max(), i);
            }
            m.intoArray(a.m(), i);
            v.intoArray(a.v(), i);
            p.add(m.mul(a.negStep()).div(second.sqrt().div(a.bc2Sqrt()).add(a.eps()))).intoArray(a.p(), a.po() + i);
        }
        return i;
    }
}
