package dev.graft.onnx;

import java.util.List;

/**
 * A model that uses ops (or op variants) Graft cannot run, found at load time: every offending op
 * type is listed with its domain, opset, the names of its nodes and the reason.
 */
public final class UnsupportedOpsException extends OnnxException {
    /** One unsupported op type (or variant) and the nodes that use it. */
    public record Entry(String opType, String domain, int opset, List<String> nodes, String reason) {
        @Override
        public String toString() {
            return (domain.isEmpty() ? "" : domain + ".") + opType + " (opset " + opset + "; " + reason + "; nodes "
                    + (nodes.size() > 5 ? String.join(", ", nodes.subList(0, 5)) + ", … " + nodes.size() + " in all" : String.join(", ", nodes)) + ")";
        }
    }

    private final List<Entry> entries;

    public UnsupportedOpsException(String source, List<Entry> entries) {
        super(source + ": unsupported ONNX ops: " + String.join("; ", entries.stream().map(Entry::toString).toList()));
        this.entries = List.copyOf(entries);
    }

    public List<Entry> entries() {
        return entries;
    }
}
