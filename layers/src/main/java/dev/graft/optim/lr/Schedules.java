package dev.graft.optim.lr;

import java.util.Map;

/** Reading and writing scheduler state strings, shared by every scheduler in this package. */
final class Schedules {
    private Schedules() {
    }

    static String join(double[] values) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            b.append(i == 0 ? "" : ",").append(values[i]);
        }
        return b.toString();
    }

    static String join(int[] values) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            b.append(i == 0 ? "" : ",").append(values[i]);
        }
        return b.toString();
    }

    static void checkClassAndConfig(String name, Map<String, String> metadata, Map<String, String> config) {
        String cls = metadata.get("scheduler.class");
        if (cls == null) {
            throw new IllegalArgumentException(name + ".loadState: the metadata has no 'scheduler.class'; it holds no scheduler state");
        }
        if (!cls.equals(name)) {
            throw new IllegalArgumentException(name + ".loadState: the state was saved by " + cls + "; it cannot be loaded into " + name);
        }
        StringBuilder diff = new StringBuilder();
        for (Map.Entry<String, String> e : config.entrySet()) {
            String saved = metadata.get("scheduler." + e.getKey());
            if (!e.getValue().equals(saved)) {
                diff.append("\n  ").append(e.getKey()).append(": saved ").append(saved == null ? "nothing" : "'" + saved + "'")
                        .append(", this scheduler '").append(e.getValue()).append("'");
            }
        }
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException(name + ".loadState: the saved schedule has other settings; nothing was loaded:" + diff);
        }
    }

    static int parseInt(String name, Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        try {
            int i = Integer.parseInt(v == null ? "" : v.trim());
            if (i >= 0) {
                return i;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + ".loadState: '" + key + "' must be a non-negative integer, got "
                + (v == null ? "nothing" : "'" + v + "'"));
    }

    static double parseDouble(String name, Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        try {
            return Double.parseDouble(v == null ? "" : v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ".loadState: '" + key + "' must be a number, got "
                    + (v == null ? "nothing" : "'" + v + "'"));
        }
    }

    static double[] parseDoubles(String name, Map<String, String> metadata, String key) {
        String v = metadata.get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + ".loadState: '" + key + "' is missing");
        }
        if (v.isEmpty()) {
            return new double[0];
        }
        String[] parts = v.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + ".loadState: '" + key + "' must be numbers separated by commas, got '"
                        + v + "'");
            }
        }
        return out;
    }
}
