/**
 * Text to token ids, compatible with Hugging Face {@code tokenizers}: {@link dev.graft.tokenizers.BertTokenizer}
 * reads a BERT WordPiece {@code tokenizer.json} and produces the same ids, type ids and attention
 * masks as the Rust library, plus padded batches as int64 tensors.
 *
 * <p>May depend on tensor (for the batch tensors) and on Jackson (to read {@code tokenizer.json}):
 * parsing JSON is a solved problem, and the transfer module, unlike tensor/autograd/layers, may have
 * dependencies. Nothing here depends on autograd, layers or the command line.
 */
package dev.graft.tokenizers;
