package dev.graft.checkpoint;

import dev.graft.nn.Module;
import dev.graft.optim.Optimizer;
import dev.graft.safetensors.SafeTensors;
import dev.graft.safetensors.SafeTensorsException;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training checkpoints as one safetensors file, written atomically (temporary file, fsync,
 * rename). The model's state dict is stored under its plain PyTorch names, so the file loads in
 * PyTorch/Hugging Face tooling after dropping the keys with the {@value #OPTIMIZER_PREFIX} prefix;
 * the optimizer's tensors live under that prefix, and its hyperparameters, step counts, the
 * caller's metadata (epoch, step, …) and named generator states go in {@code __metadata__}.
 * Restoring all of them lets training continue exactly: the next step's loss is bit-identical to
 * an uninterrupted run's.
 */
public final class Checkpoint {
    /** Prefix of optimizer-state tensor names inside a checkpoint file. */
    public static final String OPTIMIZER_PREFIX = "_optimizer.";
    private static final String META_OPTIMIZER = "optimizer.";
    private static final String META_GENERATOR = "generator.";
    private static final String FORMAT = "graft.checkpoint";

    private Checkpoint() {
    }

    /** The model weights only, as a plain safetensors state dict (what PyTorch's safetensors.torch.save_file writes). */
    public static void saveWeights(Path path, Module model, Map<String, String> metadata) throws IOException {
        SafeTensors.write(path, model.stateDict(), metadata);
    }

    /**
     * Writes model, optimizer (may be null), caller metadata and generator states. Metadata keys
     * starting with "optimizer.", "generator." or "graft." are reserved.
     */
    public static void save(Path path, Module model, Optimizer optimizer, Map<String, String> metadata,
                            Map<String, Generator> generators) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (var e : model.stateDict().entrySet()) {
            if (e.getKey().startsWith(OPTIMIZER_PREFIX)) {
                throw new SafeTensorsException("checkpoint " + path + ": model key '" + e.getKey() + "' collides with the reserved prefix "
                        + OPTIMIZER_PREFIX);
            }
            tensors.put(e.getKey(), e.getValue());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        if (metadata != null) {
            for (var e : metadata.entrySet()) {
                if (e.getKey().startsWith(META_OPTIMIZER) || e.getKey().startsWith(META_GENERATOR) || e.getKey().startsWith("graft.")) {
                    throw new IllegalArgumentException("checkpoint: metadata key '" + e.getKey() + "' uses a reserved prefix");
                }
                meta.put(e.getKey(), e.getValue());
            }
        }
        meta.put(FORMAT, "1");
        if (optimizer != null) {
            for (var e : optimizer.stateTensors().entrySet()) {
                tensors.put(OPTIMIZER_PREFIX + e.getKey(), e.getValue());
            }
            for (var e : optimizer.stateMetadata().entrySet()) {
                meta.put(META_OPTIMIZER + e.getKey(), e.getValue());
            }
        }
        if (generators != null) {
            for (var e : generators.entrySet()) {
                long[] st = e.getValue().state();
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < st.length; i++) {
                    sb.append(i == 0 ? "" : ",").append(Long.toHexString(st[i]));
                }
                meta.put(META_GENERATOR + e.getKey(), sb.toString());
            }
        }
        SafeTensors.write(path, tensors, meta);
    }

    /** What a checkpoint held besides tensors: the caller's metadata, and the generator states that were restored. */
    public record Restored(Map<String, String> metadata, Module.LoadResult modelLoad) {
    }

    /**
     * Loads a checkpoint into an existing model (strictly or not), optimizer (may be null; its
     * parameter groups must match the saved ones) and named generators (restored in place).
     */
    public static Restored load(Path path, Module model, Optimizer optimizer, Map<String, Generator> generators, boolean strict)
            throws IOException {
        Map<String, Tensor> all = SafeTensors.read(path, false);
        Map<String, String> meta = SafeTensors.readMetadata(path);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, Tensor> optTensors = new LinkedHashMap<>();
        for (var e : all.entrySet()) {
            if (e.getKey().startsWith(OPTIMIZER_PREFIX)) {
                optTensors.put(e.getKey().substring(OPTIMIZER_PREFIX.length()), e.getValue());
            } else {
                weights.put(e.getKey(), e.getValue());
            }
        }
        Map<String, String> optMeta = new LinkedHashMap<>();
        Map<String, String> user = new LinkedHashMap<>();
        Map<String, String> gens = new LinkedHashMap<>();
        for (var e : meta.entrySet()) {
            if (e.getKey().startsWith(META_OPTIMIZER)) {
                optMeta.put(e.getKey().substring(META_OPTIMIZER.length()), e.getValue());
            } else if (e.getKey().startsWith(META_GENERATOR)) {
                gens.put(e.getKey().substring(META_GENERATOR.length()), e.getValue());
            } else if (!e.getKey().equals(FORMAT)) {
                user.put(e.getKey(), e.getValue());
            }
        }
        Module.LoadResult result;
        try {
            result = model.loadStateDict(weights, strict);
        } catch (IllegalArgumentException e) {
            throw new SafeTensorsException("checkpoint " + path + ": " + e.getMessage());
        }
        if (optimizer != null) {
            if (optMeta.isEmpty()) {
                throw new SafeTensorsException("checkpoint " + path + " holds no optimizer state");
            }
            try {
                optimizer.loadState(optTensors, optMeta);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new SafeTensorsException("checkpoint " + path + ": optimizer state: " + e.getMessage());
            }
        }
        if (generators != null) {
            for (var e : generators.entrySet()) {
                String s = gens.get(e.getKey());
                if (s == null) {
                    throw new SafeTensorsException("checkpoint " + path + " has no state for generator '" + e.getKey() + "'; it has "
                            + gens.keySet());
                }
                String[] parts = s.split(",");
                long[] st = new long[parts.length];
                try {
                    for (int i = 0; i < parts.length; i++) {
                        st[i] = Long.parseUnsignedLong(parts[i], 16);
                    }
                    e.getValue().restore(st);
                } catch (IllegalArgumentException ex) {
                    throw new SafeTensorsException("checkpoint " + path + ": generator '" + e.getKey() + "' state is malformed: " + s);
                }
            }
        }
        return new Restored(user, result);
    }
}
