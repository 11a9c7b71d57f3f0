package dev.graft.train;

import java.util.Arrays;

/**
 * Counts of (actual class, predicted class) pairs: row = actual, column = predicted, as in
 * scikit-learn's {@code confusion_matrix}. Per-class precision, recall and F1 and their macro
 * average follow from it. Usable on its own:
 * <pre>{@code
 * var cm = new ConfusionMatrix(3);
 * cm.add(actual, predicted);
 * double f1 = cm.macroF1();
 * }</pre>
 *
 * <p>Undefined ratios (precision of a class never predicted, recall of a class that never occurs)
 * count as 0, like scikit-learn's {@code zero_division=0}.
 */
public final class ConfusionMatrix {
    private final long[][] counts;

    public ConfusionMatrix(int numClasses) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("ConfusionMatrix: numClasses must be positive, got " + numClasses);
        }
        this.counts = new long[numClasses][numClasses];
    }

    public int numClasses() {
        return counts.length;
    }

    /** Records one example. */
    public void add(int actual, int predicted) {
        check(actual, "actual");
        check(predicted, "predicted");
        counts[actual][predicted]++;
    }

    /** Records examples pairwise. */
    public void add(long[] actual, long[] predicted) {
        if (actual.length != predicted.length) {
            throw new IllegalArgumentException("ConfusionMatrix.add: " + actual.length + " actual labels but " + predicted.length + " predictions");
        }
        for (int i = 0; i < actual.length; i++) {
            check(actual[i], "actual");
            check(predicted[i], "predicted");
        }
        for (int i = 0; i < actual.length; i++) {
            counts[(int) actual[i]][(int) predicted[i]]++;
        }
    }

    /** Adds every count of another matrix of the same size. */
    public void merge(ConfusionMatrix other) {
        if (other.numClasses() != numClasses()) {
            throw new IllegalArgumentException("ConfusionMatrix.merge: " + numClasses() + " vs " + other.numClasses() + " classes");
        }
        for (int a = 0; a < counts.length; a++) {
            for (int p = 0; p < counts.length; p++) {
                counts[a][p] += other.counts[a][p];
            }
        }
    }

    private void check(long c, String what) {
        if (c < 0 || c >= counts.length) {
            throw new IllegalArgumentException("ConfusionMatrix: " + what + " class " + c + " is out of range for " + counts.length + " classes");
        }
    }

    /** How many examples of class {@code actual} were predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        return counts[actual][predicted];
    }

    /** A copy of the counts, {@code [actual][predicted]}. */
    public long[][] toArray() {
        long[][] out = new long[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            out[i] = counts[i].clone();
        }
        return out;
    }

    public long total() {
        long t = 0;
        for (long[] row : counts) {
            for (long c : row) {
                t += c;
            }
        }
        return t;
    }

    /** Examples whose actual class is {@code c} (row sum). */
    public long support(int c) {
        long s = 0;
        for (long v : counts[c]) {
            s += v;
        }
        return s;
    }

    /** Examples predicted as {@code c} (column sum). */
    public long predicted(int c) {
        long s = 0;
        for (long[] row : counts) {
            s += row[c];
        }
        return s;
    }

    /** Fraction on the diagonal; NaN when empty. */
    public double accuracy() {
        long t = total();
        if (t == 0) {
            return Double.NaN;
        }
        long d = 0;
        for (int i = 0; i < counts.length; i++) {
            d += counts[i][i];
        }
        return (double) d / t;
    }

    public double precision(int c) {
        long p = predicted(c);
        return p == 0 ? 0 : (double) counts[c][c] / p;
    }

    public double recall(int c) {
        long s = support(c);
        return s == 0 ? 0 : (double) counts[c][c] / s;
    }

    /** F1 of class {@code c}: {@code 2 TP / (2 TP + FP + FN)}, 0 when the class is neither present nor predicted. */
    public double f1(int c) {
        long tp = counts[c][c];
        long denom = support(c) + predicted(c); // = 2 TP + FN + FP
        return denom == 0 ? 0 : 2.0 * tp / denom;
    }

    /**
     * The unweighted mean of per-class F1 over the classes that occur among the actual labels or
     * the predictions, which is scikit-learn's {@code f1_score(average="macro")} when it infers the
     * labels. A class that occurs but is never predicted contributes an F1 of 0; a class that
     * appears nowhere is left out rather than dragging the mean to 0. NaN when empty.
     */
    public double macroF1() {
        double sum = 0;
        int n = 0;
        for (int c = 0; c < counts.length; c++) {
            if (support(c) + predicted(c) > 0) {
                sum += f1(c);
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfusionMatrix m && Arrays.deepEquals(counts, m.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(counts);
    }

    /** A table with actual classes as rows and predicted classes as columns. */
    @Override
    public String toString() {
        int w = 6;
        for (long[] row : counts) {
            for (long c : row) {
                w = Math.max(w, Long.toString(c).length() + 1);
            }
        }
        StringBuilder sb = new StringBuilder(String.format("%-" + w + "s", "a\\p"));
        for (int p = 0; p < counts.length; p++) {
            sb.append(String.format("%" + w + "d", p));
        }
        for (int a = 0; a < counts.length; a++) {
            sb.append('\n').append(String.format("%-" + w + "d", a));
            for (long c : counts[a]) {
                sb.append(String.format("%" + w + "d", c));
            }
        }
        return sb.toString();
    }
}
