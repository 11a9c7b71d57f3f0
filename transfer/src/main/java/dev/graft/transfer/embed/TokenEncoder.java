package dev.graft.transfer.embed;

import dev.graft.tensor.Tensor;

/**
 * A token encoder: int64 {@code inputIds}, {@code attentionMask} and {@code tokenTypeIds}, each
 * {@code [batch, tokens]}, to the last hidden state {@code [batch, tokens, hidden]}. Implemented by
 * an imported ONNX graph ({@link #onnx}) and by Graft's native {@code BertModel}.
 */
@FunctionalInterface
public interface TokenEncoder {
    Tensor lastHiddenState(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds);

    /**
     * An ONNX encoder with inputs named {@code input_ids}, {@code attention_mask} and (optionally)
     * {@code token_type_ids}; its output is the one named {@code last_hidden_state}, else the first.
     */
    static TokenEncoder onnx(dev.graft.onnx.OnnxModule model) {
        java.util.Set<String> names = new java.util.HashSet<>();
        model.inputs().forEach(v -> names.add(v.name()));
        for (String required : new String[] {"input_ids", "attention_mask"}) {
            if (!names.contains(required)) {
                throw new dev.graft.onnx.OnnxException(model.model().source() + ": a sentence encoder needs an input named '"
                        + required + "'; this model's inputs are " + names);
            }
        }
        String out = model.outputs().stream().map(dev.graft.onnx.OnnxValueInfo::name)
                .filter("last_hidden_state"::equals).findFirst().orElse(model.outputs().getFirst().name());
        boolean types = names.contains("token_type_ids");
        return (ids, mask, typeIds) -> {
            java.util.Map<String, Tensor> feeds = new java.util.HashMap<>();
            feeds.put("input_ids", ids);
            feeds.put("attention_mask", mask);
            if (types) {
                feeds.put("token_type_ids", typeIds);
            }
            return model.run(feeds).get(out);
        };
    }
}
