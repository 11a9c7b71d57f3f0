package dev.graft.cli;

import dev.graft.transfer.embed.SentenceEmbedder;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code graft embed}: sentence embeddings, one tab-separated line per input, in input order. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {
                "Sentence embeddings: the mean-pooled, L2-normalised last hidden state of a BERT encoder.",
                "Prints one line per input, in input order: the embedding values separated by tabs.",
                "Without --model it uses all-MiniLM-L6-v2 from the classpath (--quantized: its int8 sibling).",
                "",
                "Float models give the same embedding whatever --batch-size is.",
                "Dynamically quantized models compute one activation scale per batch, so their results",
                "depend on which inputs share a batch; --batch-size 1 gives per-sentence results,",
                "computed as ONNX Runtime computes one sentence."})
public final class EmbedCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "M.onnx", description = "ONNX encoder with inputs input_ids, attention_mask[, token_type_ids]")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "T.json", description = "Hugging Face tokenizer.json (BERT WordPiece) for --model")
    Path tokenizer;

    @Option(names = "--quantized", description = "use the int8 MiniLM from the classpath (without --model)")
    boolean quantized;

    @Option(names = "--batch-size", defaultValue = "32", description = "sentences per padded batch (default: ${DEFAULT-VALUE})")
    int batchSize;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--text", required = true, arity = "1..*", description = "texts to embed (repeatable)")
        List<String> texts;

        @Option(names = "--file", required = true, description = "UTF-8 file with one text per line")
        Path file;
    }

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be >= 1, got " + batchSize);
        }
        if ((model == null) != (tokenizer == null)) {
            throw new ParameterException(spec.commandLine(), "--model and --tokenizer go together");
        }
        if (model != null && quantized) {
            throw new ParameterException(spec.commandLine(), "--quantized selects the built-in int8 MiniLM; with --model pass the quantized file itself");
        }
        List<String> texts = source.texts != null ? source.texts : readLines(source.file);
        SentenceEmbedder embedder = model != null ? SentenceEmbedder.of(model, tokenizer) : SentenceEmbedder.miniLm(quantized);
        PrintWriter out = spec.commandLine().getOut();
        StringBuilder line = new StringBuilder();
        for (float[] e : embedder.embed(texts, batchSize)) {
            line.setLength(0);
            for (int i = 0; i < e.length; i++) {
                if (i > 0) {
                    line.append('\t');
                }
                line.append(e[i]);
            }
            out.println(line);
        }
        out.flush();
        return 0;
    }

    private List<String> readLines(Path f) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw new ParameterException(spec.commandLine(), "--file " + f + ": no such file");
        }
        return Files.readAllLines(f, StandardCharsets.UTF_8);
    }
}
