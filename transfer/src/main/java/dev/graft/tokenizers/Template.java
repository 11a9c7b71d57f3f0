package dev.graft.tokenizers;

/**
 * The post-processor for one sequence: the special tokens around it and the type ids of every part,
 * as Hugging Face's TemplateProcessing {@code single} template (or BertProcessing) gives them.
 */
record Template(int[] prefixIds, String[] prefixTokens, int[] prefixTypes, int sequenceType, int[] suffixIds, String[] suffixTokens,
                int[] suffixTypes) {
    /** No post-processor: the sequence alone, type id 0. */
    static final Template NONE = new Template(new int[0], new String[0], new int[0], 0, new int[0], new String[0], new int[0]);

    /** How many special tokens the template adds, which truncation keeps room for. */
    int specialCount() {
        return prefixIds.length + suffixIds.length;
    }
}
