/**
 * BERT as a native Graft module tree: {@link dev.graft.transfer.bert.BertModel} and its layers,
 * named exactly like Hugging Face's {@code BertModel} ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.3.attention.self.query.weight}, …) so state dicts and fine-tuning recipes
 * carry over; {@link dev.graft.transfer.bert.BertOnnxLoader}, which fills it from an exported
 * ONNX file (mapping the anonymous MatMul weights through their consuming nodes); and
 * {@link dev.graft.transfer.bert.SentenceEmbeddings}, the masked mean pooling and L2 normalisation
 * of sentence-transformers.
 *
 * <p>Depends on tensor, autograd, layers and {@code dev.graft.onnx} (for reading the file) only.
 */
package dev.graft.transfer.bert;
