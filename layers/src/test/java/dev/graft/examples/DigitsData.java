package dev.graft.examples;

import dev.graft.data.Sample;
import dev.graft.data.Splits;
import dev.graft.data.Split;
import dev.graft.data.TensorDataset;
import dev.graft.tensor.Tensor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** The scikit-learn 8x8 digits (see src/test/resources/data/digits/PROVENANCE.md), pixels scaled to [0, 1]. */
final class DigitsData {
    private DigitsData() {
    }

    /** All 1,797 images as [N, 1, 8, 8] float32 and labels [N] int64. */
    static TensorDataset load() throws IOException {
        List<float[]> rows = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        try (InputStream in = DigitsData.class.getResourceAsStream("/data/digits/digits.csv.gz");
             BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] p = line.split(",");
                if (p.length != 65) {
                    throw new IOException("digits.csv.gz: line " + (rows.size() + 1) + " has " + p.length + " fields, expected 65");
                }
                float[] f = new float[64];
                for (int i = 0; i < 64; i++) {
                    f[i] = Float.parseFloat(p[i]) / 16f;
                }
                rows.add(f);
                labels.add(Long.parseLong(p[64]));
            }
        }
        int n = rows.size();
        float[] x = new float[n * 64];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows.get(i), 0, x, i * 64, 64);
            y[i] = labels.get(i);
        }
        return new TensorDataset(Tensor.fromArray(x, n, 1, 8, 8), Tensor.fromArray(y, n));
    }

    /** A stratified 80/20 split with a fixed seed. */
    static Split<Sample> split(TensorDataset all) {
        return Splits.stratifiedSplit(all, 0.2, 2026);
    }
}
