package dev.graft.checkpoint;

import dev.graft.nn.Module;
import dev.graft.optim.Optimizer;
import dev.graft.optim.lr.LRScheduler;
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
    private static final String META_SCHEDULER = "lr_scheduler.";
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
        save(path, model, optimizer, null, metadata, generators);
    }

    /** Like {@link #save(Path, Module, Optimizer, Map, Map)}, with an LR scheduler's position and settings too (may be null). */
    public static void save(Path path, Module model, Optimizer optimizer, LRScheduler scheduler, Map<String, String> metadata,
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
                if (e.getKey().startsWith(META_OPTIMIZER) || e.getKey().startsWith(META_GENERATOR) || e.getKey().startsWith(META_SCHEDULER)
                        || e.getKey().startsWith("graft.")) {
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
        if (scheduler != null) {
            for (var e : scheduler.stateMetadata().entrySet()) {
                meta.put(META_SCHEDULER + e.getKey(), e.getValue());
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
        return load(path, model, optimizer, null, generators, strict);
    }

    /**
     * Loads everything {@link #save(Path, Module, Optimizer, LRScheduler, Map, Map)} wrote. All-or-nothing:
     * the model's keys, the optimizer's and scheduler's state and the generator states are all
     * checked before anything is changed, so a failed load (a checkpoint from another optimizer,
     * another architecture, a damaged file) leaves the model, optimizer, scheduler and generators as
     * they were.
     */
    public static Restored load(Path path, Module model, Optimizer optimizer, LRScheduler scheduler, Map<String, Generator> generators,
                                boolean strict) throws IOException {
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
        Map<String, String> schedMeta = new LinkedHashMap<>();
        Map<String, String> user = new LinkedHashMap<>();
        Map<String, String> gens = new LinkedHashMap<>();
        for (var e : meta.entrySet()) {
            if (e.getKey().startsWith(META_OPTIMIZER)) {
                optMeta.put(e.getKey().substring(META_OPTIMIZER.length()), e.getValue());
            } else if (e.getKey().startsWith(META_SCHEDULER)) {
                schedMeta.put(e.getKey().substring(META_SCHEDULER.length()), e.getValue());
            } else if (e.getKey().startsWith(META_GENERATOR)) {
                gens.put(e.getKey().substring(META_GENERATOR.length()), e.getValue());
            } else if (!e.getKey().equals(FORMAT)) {
                user.put(e.getKey(), e.getValue());
            }
        }
        // 1. check, changing nothing
        Module.LoadResult check = model.checkStateDict(weights);
        if (strict && !check.isClean()) {
            throw new SafeTensorsException("checkpoint " + path + ": model: " + check);
        }
        if (optimizer != null && optMeta.isEmpty()) {
            throw new SafeTensorsException("checkpoint " + path + " holds no optimizer state");
        }
        if (scheduler != null && schedMeta.isEmpty()) {
            throw new SafeTensorsException("checkpoint " + path + " holds no LR scheduler state");
        }
        Map<Generator, long[]> generatorStates = new LinkedHashMap<>();
        if (generators != null) {
            for (var e : generators.entrySet()) {
                generatorStates.put(e.getValue(), parseGenerator(path, e.getKey(), gens));
            }
        }
        // 2. optimizer and scheduler validate before they change; undo the first if the second refuses
        Map<String, Tensor> optBefore = optimizer == null ? null : optimizer.stateTensors();
        Map<String, String> optMetaBefore = optimizer == null ? null : optimizer.stateMetadata();
        try {
            if (optimizer != null) {
                optimizer.loadState(optTensors, optMeta);
            }
            if (scheduler != null) {
                scheduler.loadState(schedMeta);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            if (optimizer != null) {
                optimizer.loadState(optBefore, optMetaBefore);
            }
            throw new SafeTensorsException("checkpoint " + path + ": " + e.getMessage());
        }
        // 3. nothing left that can refuse: copy the weights and restore the generators
        Module.LoadResult result = model.loadStateDict(weights, strict);
        for (var e : generatorStates.entrySet()) {
            e.getKey().restore(e.getValue());
        }
        return new Restored(user, result);
    }

    private static long[] parseGenerator(Path path, String name, Map<String, String> gens) throws SafeTensorsException {
        String s = gens.get(name);
        if (s == null) {
            throw new SafeTensorsException("checkpoint " + path + " has no state for generator '" + name + "'; it has " + gens.keySet());
        }
        String[] parts = s.split(",");
        long[] st = new long[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                st[i] = Long.parseUnsignedLong(parts[i], 16);
            }
            new Generator(0).restore(st); // validates the shape of the state
        } catch (IllegalArgumentException ex) {
            throw new SafeTensorsException("checkpoint " + path + ": generator '" + name + "' state is malformed: " + s);
        }
        return st;
    }
}
