package dev.graft.transfer.embed;

import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.ops.OpRegistry;
import dev.graft.optim.AdamW;
import dev.graft.tensor.Tensor;
import dev.graft.tokenizers.BatchEncoding;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The imported ONNX graph itself (not a rebuilt model) fine-tuned with a Graft optimizer: freeze
 * everything, unfreeze the last encoder layer by its ONNX initializer names, take AdamW steps on a
 * similarity loss through tokenizer → ONNX graph → pooling, and check that the loss falls, the
 * unfrozen tensors move and the frozen ones get no gradient and keep their bits.
 */
class OnnxFineTuneTest {

    @Test
    void freezeUnfreezeByNameAndFineTuneTheImportedGraph() {
        OnnxModule model = OnnxModule.of(OnnxModel.parse(ByteBuffer.wrap(SentenceEmbedder.resource(SentenceEmbedder.MINILM)),
                "all-minilm-l6-v2.onnx", null), OpRegistry.standard());
        SentenceEmbedder embedder = new SentenceEmbedder(TokenEncoder.onnx(model), SentenceEmbedder.miniLmTokenizer());
        model.requiresGrad(false);
        int unfrozen = 0;
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            if (e.getKey().startsWith("encoder.layer.5.")) {
                e.getValue().requiresGrad(true);
                unfrozen++;
            }
        }
        assertTrue(unfrozen >= 8, "layer 5 has named biases and LayerNorm parameters, found " + unfrozen);
        Map<String, float[]> before = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> before.put(k, v.contiguous().toFloatArray()));

        // pull two paraphrases together and away from an unrelated sentence
        BatchEncoding enc = embedder.tokenizer().encodeBatch(List.of(
                "A man is playing a guitar.", "Someone strums a guitar.", "The stock market fell sharply today."));
        AdamW opt = new AdamW(model.parameters().stream().filter(Tensor::requiresGrad).toList(), 2e-3);
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 4; step++) {
            Tensor e = embedder.forward(enc);                      // [3, 384], unit rows, differentiable
            Tensor a = e.select(0, 0);
            Tensor b = e.select(0, 1);
            Tensor c = e.select(0, 2);
            Tensor loss = a.mul(b).sum().mul(-1).add(a.mul(c).sum()).add(1);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            last = loss.item();
            if (step == 0) {
                first = last;
            }
        }
        assertTrue(last < first - 1e-3, "loss " + first + " -> " + last);
        Map<String, Tensor> after = model.namedParameters();
        for (Map.Entry<String, float[]> e : before.entrySet()) {
            Tensor now = after.get(e.getKey());
            if (e.getKey().startsWith("encoder.layer.5.")) {
                continue;
            }
            assertNull(now.grad(), e.getKey() + " is frozen but got a gradient");
            assertArrayEquals(e.getValue(), now.contiguous().toFloatArray(), e.getKey() + " is frozen but changed");
        }
        assertFalse(Arrays.equals(before.get("encoder.layer.5.output.LayerNorm.weight"),
                after.get("encoder.layer.5.output.LayerNorm.weight").contiguous().toFloatArray()), "unfrozen weights moved");
    }
}
