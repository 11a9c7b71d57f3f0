/**
 * Sentence embeddings from a BERT-family encoder: tokenise, run the encoder to its last hidden
 * state, mean-pool over the attention mask and L2-normalise ({@link dev.graft.transfer.embed.SentenceEmbedder}).
 */
package dev.graft.transfer.embed;
