package dev.graft.optim;

import dev.graft.autograd.NoGrad;
import dev.graft.tensor.DType;
import dev.graft.tensor.Shape;
import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A first-order optimizer over {@link ParamGroup}s, PyTorch's {@code torch.optim.Optimizer}.
 *
 * <p>Each group carries its own options; options a group leaves unset take the optimizer's
 * defaults (PyTorch's defaults, overridden by the {@code defaults} group given to the
 * constructor). A parameter may belong to one group only. {@link #step()} runs under
 * {@link NoGrad} and updates, in place, every parameter that requires grad and has a gradient;
 * the others (frozen, or unused in the last backward pass) are skipped and their state is left
 * as it was.
 *
 * <p>Checkpoints: {@link #stateTensors()} and {@link #stateMetadata()} give the state as named
 * tensors ({@code state.<i>.<buffer>}, {@code state.<i>.step}, where {@code i} counts parameters
 * across groups in order) and strings (class, group options); {@link #loadState} validates
 * everything before changing anything, so loading the state saved after step k into a fresh
 * optimizer over the same parameters gives a bit-identical step k+1.
 *
 * <p>A subclass gives its option defaults, validates option values, and implements
 * {@link #update} for one parameter; {@link #stateNames} lists the buffers a stepped parameter has.
 */
public abstract class Optimizer {
    private static final Pattern STATE_KEY = Pattern.compile("state\\.(\\d+)\\.([A-Za-z0-9_]+)");
    private static final String META = "optimizer.";

    private final Map<String, Double> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Tensor, Location> locations = new IdentityHashMap<>();
    private final Map<Tensor, ParamState> state = new IdentityHashMap<>();

    private record Location(int group, int position, int global) {
    }

    /**
     * @param groups   the parameter groups (at least one; a group may be empty)
     * @param defaults options for groups that leave them unset (a group without parameters), or null
     * @param builtIn  every option this optimizer knows with PyTorch's default; NaN marks an option
     *                 without a default (SGD's lr), which the defaults or every group must give
     */
    protected Optimizer(List<ParamGroup> groups, ParamGroup defaults, Map<String, Double> builtIn) {
        Map<String, Double> d = new LinkedHashMap<>(builtIn);
        if (defaults != null) {
            if (!defaults.params().isEmpty()) {
                throw new IllegalArgumentException(name() + ": the defaults group must not hold parameters ("
                        + defaults.params().size() + " given); use ParamGroup.defaults()");
            }
            for (Map.Entry<String, Double> e : defaults.options().entrySet()) {
                if (!builtIn.containsKey(e.getKey())) {
                    throw unknownOption("defaults", e.getKey(), builtIn);
                }
                d.put(e.getKey(), e.getValue());
            }
        }
        Map<String, Double> given = new LinkedHashMap<>(d);
        given.values().removeIf(v -> v.isNaN());
        validateOptions("defaults", given);
        this.defaults = Collections.unmodifiableMap(d);
        if (groups.isEmpty()) {
            throw new IllegalArgumentException(name() + ": got an empty list of parameter groups");
        }
        for (ParamGroup g : groups) {
            addParamGroup(g);
        }
        if (params().isEmpty()) {
            throw new IllegalArgumentException(name() + ": got an empty parameter list");
        }
    }

    /** The optimizer's name in messages and checkpoints: its class's simple name. */
    public String name() {
        return getClass().getSimpleName();
    }

    /** The groups, in order; change their options (lr, …) freely between steps. */
    public final List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** The default of every option (NaN where there is none). */
    public final Map<String, Double> defaults() {
        return defaults;
    }

    /** Every parameter, group by group; a parameter's position here is its index in checkpoint keys. */
    public final List<Tensor> params() {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : groups) {
            all.addAll(g.params());
        }
        return all;
    }

    /**
     * Adds a group (fine-tuning: unfreeze a block and give it its own rate). Unset options take the
     * defaults; nothing is added if any check fails.
     */
    public final void addParamGroup(ParamGroup group) {
        int gi = groups.size();
        String where = "param group " + gi;
        Map<String, Double> merged = new LinkedHashMap<>(group.options());
        for (String key : merged.keySet()) {
            if (!defaults.containsKey(key) && !key.equals(ParamGroup.INITIAL_LR)) {
                throw unknownOption(where, key, defaults);
            }
        }
        for (Map.Entry<String, Double> e : defaults.entrySet()) {
            if (!merged.containsKey(e.getKey())) {
                if (e.getValue().isNaN()) {
                    throw new IllegalArgumentException(name() + ": " + where + " has no '" + e.getKey()
                            + "' and the optimizer has no default for it; set it on the group or in the defaults");
                }
                merged.put(e.getKey(), e.getValue());
            }
        }
        validateOptions(where, merged);
        Map<Tensor, Location> added = new IdentityHashMap<>();
        int global = locations.size();
        for (int pi = 0; pi < group.params().size(); pi++) {
            Tensor p = group.params().get(pi);
            if (p == null) {
                throw new IllegalArgumentException(name() + ": " + where + " holds null at position " + pi);
            }
            String desc = describe(group, pi, p);
            if (!p.dtype().isFloating()) {
                throw new IllegalArgumentException(name() + ": " + desc + " is " + p.dtype()
                        + "; only floating tensors can be optimized");
            }
            if (!p.isLeaf()) {
                throw new IllegalArgumentException(name() + ": " + desc
                        + " is not a leaf (an op produced it); optimize the leaf tensors it was computed from");
            }
            Location before = locations.get(p);
            if (before == null) {
                before = added.get(p);
            }
            if (before != null) {
                throw new IllegalArgumentException(name() + ": " + desc + " is already in param group " + before.group()
                        + " (position " + before.position() + "); a parameter may be in only one group");
            }
            added.put(p, new Location(gi, pi, global + pi));
        }
        for (Map.Entry<String, Double> e : merged.entrySet()) {
            group.setDefault(e.getKey(), e.getValue());
        }
        locations.putAll(added);
        groups.add(group);
    }

    // ------------------------------------------------------------------ stepping

    /** One update of every parameter that requires grad and has a gradient; runs under {@link NoGrad}. */
    public final void step() {
        try (var _ = NoGrad.enter()) {
            for (int gi = 0; gi < groups.size(); gi++) {
                ParamGroup g = groups.get(gi);
                checkOptions(gi, g);
                for (int pi = 0; pi < g.params().size(); pi++) {
                    Tensor p = g.params().get(pi);
                    Tensor grad = p.grad();
                    if (!p.requiresGrad() || grad == null) {
                        continue;
                    }
                    if (!Arrays.equals(grad.shape(), p.shape())) {
                        throw new IllegalStateException(name() + ": the gradient of " + describe(g, pi, p) + " has shape "
                                + Shape.str(grad.shape()) + ", not the parameter's shape");
                    }
                    Tensor gr = grad.detach();
                    if (gr.dtype() != p.dtype()) {
                        gr = gr.to(p.dtype());
                    }
                    update(g, p, gr, state.computeIfAbsent(p, k -> new ParamState()));
                }
            }
        }
    }

    /** Evaluates the closure (which computes the loss and calls backward) with grad mode as it is, then steps. */
    public final Tensor step(Supplier<Tensor> closure) {
        Tensor loss = closure.get();
        step();
        return loss;
    }

    /** Clears every parameter's gradient (sets it to null, PyTorch's {@code set_to_none=True}). */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /** With {@code setToNone} false, fills existing gradients with zeros instead (PyTorch 1.x's default). */
    public void zeroGrad(boolean setToNone) {
        try (var _ = NoGrad.enter()) {
            for (ParamGroup g : groups) {
                for (Tensor p : g.params()) {
                    if (setToNone) {
                        p.setGrad(null);
                    } else if (p.grad() != null) {
                        p.grad().fill(0);
                    }
                }
            }
        }
    }

    /**
     * Updates {@code param} in place from its gradient and state, PyTorch's formula for one
     * parameter. Runs under {@link NoGrad}; {@code grad} is detached and has the parameter's dtype.
     */
    protected abstract void update(ParamGroup group, Tensor param, Tensor grad, ParamState state);

    /** The buffers a parameter that has been stepped holds, under the group's options. */
    protected abstract List<String> stateNames(ParamGroup group);

    /** Whether the state holds a step count (Adam's bias correction); SGD's does not. */
    protected abstract boolean countsSteps();

    /**
     * Throws {@link IllegalArgumentException} naming {@code where} and the option if a value is out
     * of range. {@code options} holds every option the group will have.
     */
    protected abstract void validateOptions(String where, Map<String, Double> options);

    /** For {@link #validateOptions}: requires {@code options[key] >= min}. */
    protected final void requireAtLeast(String where, Map<String, Double> options, String key, double min) {
        Double v = options.get(key);
        if (v != null && !(v >= min)) {
            throw new IllegalArgumentException(name() + ": " + where + ": " + key + " must be >= " + min + ", got " + v);
        }
    }

    /** For {@link #validateOptions}: requires {@code lo <= options[key] < hi}. */
    protected final void requireInRange(String where, Map<String, Double> options, String key, double lo, double hi) {
        Double v = options.get(key);
        if (v != null && !(v >= lo && v < hi)) {
            throw new IllegalArgumentException(name() + ": " + where + ": " + key + " must be in [" + lo + ", " + hi
                    + "), got " + v);
        }
    }

    private void checkOptions(int gi, ParamGroup g) {
        String where = "param group " + gi;
        Map<String, Double> o = g.options();
        for (String key : o.keySet()) {
            if (!defaults.containsKey(key) && !key.equals(ParamGroup.INITIAL_LR)) {
                throw unknownOption(where, key, defaults);
            }
        }
        validateOptions(where, o);
    }

    private IllegalArgumentException unknownOption(String where, String key, Map<String, Double> known) {
        return new IllegalArgumentException(name() + ": " + where + " has option '" + key + "', which " + name()
                + " does not have (its options: " + String.join(", ", known.keySet()) + ")");
    }

    private String describe(ParamGroup g, int position, Tensor p) {
        String n = g.paramName(position);
        return (n != null ? "parameter '" + n + "'" : "parameter " + position + " of its group")
                + " (shape " + Shape.str(p.shape()) + ")";
    }

    private String describe(Tensor p) {
        Location l = locations.get(p);
        ParamGroup g = groups.get(l.group());
        String n = g.paramName(l.position());
        return (n != null ? "parameter '" + n + "'" : "parameter " + l.global()) + " (param group " + l.group() + ")";
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * The per-parameter state as {@code state.<i>.<buffer>} (and {@code state.<i>.step}, an int64
     * scalar) for every parameter that has state. The tensors are the optimizer's own; later steps
     * replace rather than modify them, so the map stays valid as a snapshot.
     */
    public Map<String, Tensor> stateTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<Tensor> all = params();
        for (int i = 0; i < all.size(); i++) {
            ParamState s = state.get(all.get(i));
            if (s == null || s.isEmpty()) {
                continue;
            }
            if (countsSteps()) {
                out.put("state." + i + ".step", Tensor.scalar(s.step(), DType.INT64));
            }
            for (Map.Entry<String, Tensor> e : s.buffers().entrySet()) {
                out.put("state." + i + "." + e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /**
     * The class and every group's options and parameter indices, as strings:
     * {@code optimizer.class}, {@code optimizer.param_groups} (the count),
     * {@code optimizer.param_groups.<g>.params} ("0,1,2") and {@code optimizer.param_groups.<g>.<option>}.
     * Numbers are written so that they read back exactly.
     */
    public Map<String, String> stateMetadata() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(META + "class", name());
        out.put(META + "param_groups", Integer.toString(groups.size()));
        int global = 0;
        for (int gi = 0; gi < groups.size(); gi++) {
            ParamGroup g = groups.get(gi);
            String prefix = META + "param_groups." + gi + ".";
            StringBuilder idx = new StringBuilder();
            for (int pi = 0; pi < g.params().size(); pi++) {
                idx.append(pi == 0 ? "" : ",").append(global++);
            }
            out.put(prefix + "params", idx.toString());
            for (Map.Entry<String, Double> e : g.options().entrySet()) {
                out.put(prefix + e.getKey(), formatOption(e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    /**
     * Restores state saved by {@link #stateTensors()} and {@link #stateMetadata()} from an optimizer
     * of the same class over parameters of the same shapes in the same groups: group options
     * (including lr) and every parameter's buffers and step count. Keys outside {@code state.*} and
     * {@code optimizer.*} are ignored, so a whole checkpoint's maps may be passed. Every problem
     * (class, group sizes, unknown or missing buffers, shapes, bad values) is reported at once and
     * nothing changes unless all checks pass.
     */
    public void loadState(Map<String, Tensor> tensors, Map<String, String> metadata) {
        String who = name() + ".loadState";
        String cls = metadata.get(META + "class");
        if (cls == null) {
            throw new IllegalArgumentException(who + ": the metadata has no '" + META + "class'; it holds no optimizer state");
        }
        if (!cls.equals(name())) {
            throw new IllegalArgumentException(who + ": the state was saved by " + cls + "; it cannot be loaded into " + name());
        }
        List<String> problems = new ArrayList<>();
        List<ParamGroup> staged = stageGroups(metadata, problems);
        List<Tensor> all = params();
        Map<Integer, Map<String, Tensor>> buffers = new TreeMap<>();
        Map<Integer, Long> steps = new TreeMap<>();
        Set<String> rejected = new HashSet<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith("state.")) {
                continue;
            }
            Matcher m = STATE_KEY.matcher(key);
            if (!m.matches()) {
                problems.add("'" + key + "' is not of the form state.<param index>.<buffer>");
                continue;
            }
            int i;
            try {
                i = Integer.parseInt(m.group(1));
            } catch (NumberFormatException ex) {
                problems.add("'" + key + "': parameter index out of range");
                continue;
            }
            if (i >= all.size()) {
                problems.add("'" + key + "' is for parameter " + i + ", but the optimizer has " + all.size() + " parameters");
                continue;
            }
            Tensor t = e.getValue();
            Tensor p = all.get(i);
            if (m.group(2).equals("step")) {
                Long s = stepValue(t);
                if (s == null) {
                    rejected.add(key);
                    problems.add("'" + key + "' must be a single non-negative integer, got shape " + Shape.str(t.shape())
                            + " " + t.dtype());
                } else {
                    steps.put(i, s);
                }
            } else if (!Arrays.equals(t.shape(), p.shape())) {
                rejected.add(key);
                problems.add("'" + key + "' has shape " + Shape.str(t.shape()) + " but " + describe(p) + " has shape "
                        + Shape.str(p.shape()));
            } else if (!t.dtype().isFloating() || !t.dtype().isComputable()) {
                rejected.add(key);
                problems.add("'" + key + "' is " + t.dtype() + "; optimizer buffers are float32 or float64");
            } else {
                buffers.computeIfAbsent(i, k -> new LinkedHashMap<>()).put(m.group(2), t);
            }
        }
        if (staged != null) {
            Set<Integer> stepped = new TreeSet<>(buffers.keySet());
            stepped.addAll(steps.keySet());
            for (int i : stepped) {
                Location l = locations.get(all.get(i));
                List<String> required = stateNames(staged.get(l.group()));
                Map<String, Tensor> b = buffers.getOrDefault(i, Map.of());
                for (String name : b.keySet()) {
                    if (!required.contains(name)) {
                        problems.add("'state." + i + "." + name + "' is not a buffer of " + name() + " with param group "
                                + l.group() + "'s options (expected: " + required + ")");
                    }
                }
                for (String name : required) {
                    if (!b.containsKey(name) && !rejected.contains("state." + i + "." + name)) {
                        problems.add("'state." + i + "." + name + "' is missing (" + describe(all.get(i)) + " has other state)");
                    }
                }
                if (countsSteps() && !steps.containsKey(i) && !rejected.contains("state." + i + ".step")) {
                    problems.add("'state." + i + ".step' is missing (" + describe(all.get(i)) + " has buffers)");
                } else if (!countsSteps() && steps.containsKey(i)) {
                    problems.add("'state." + i + ".step' is not part of " + name() + "'s state");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(who + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + ", nothing was loaded:\n  " + String.join("\n  ", problems));
        }
        for (int gi = 0; gi < groups.size(); gi++) {
            for (Map.Entry<String, Double> e : staged.get(gi).options().entrySet()) {
                groups.get(gi).set(e.getKey(), e.getValue());
            }
        }
        state.clear();
        try (var _ = NoGrad.enter()) {
            Set<Integer> stepped = new TreeSet<>(buffers.keySet());
            stepped.addAll(steps.keySet());
            for (int i : stepped) {
                Tensor p = all.get(i);
                ParamState s = new ParamState();
                for (Map.Entry<String, Tensor> e : buffers.getOrDefault(i, Map.of()).entrySet()) {
                    // a private copy in the parameter's dtype: the caller's map may be reused
                    s.put(e.getKey(), e.getValue().detach().to(p.dtype()).clone());
                }
                s.step(steps.getOrDefault(i, 0L));
                state.put(p, s);
            }
        }
    }

    /** The groups' options after loading (copies), or null when the group structure does not match. */
    private List<ParamGroup> stageGroups(Map<String, String> metadata, List<String> problems) {
        String countText = metadata.get(META + "param_groups");
        Integer count = parseInt(countText);
        if (count == null) {
            problems.add("'" + META + "param_groups' must be a group count, got " + quote(countText));
            return null;
        }
        if (count != groups.size()) {
            problems.add("the state has " + count + " param groups, this optimizer has " + groups.size());
            return null;
        }
        List<ParamGroup> staged = new ArrayList<>();
        int global = 0;
        boolean structureOk = true;
        for (int gi = 0; gi < count; gi++) {
            ParamGroup current = groups.get(gi);
            ParamGroup copy = new ParamGroup(current.params());
            for (Map.Entry<String, Double> e : current.options().entrySet()) {
                copy.set(e.getKey(), e.getValue());
            }
            String prefix = META + "param_groups." + gi + ".";
            String idx = metadata.get(prefix + "params");
            StringBuilder expected = new StringBuilder();
            for (int pi = 0; pi < current.params().size(); pi++) {
                expected.append(pi == 0 ? "" : ",").append(global++);
            }
            if (idx == null) {
                problems.add("'" + prefix + "params' is missing");
                structureOk = false;
            } else if (!idx.equals(expected.toString())) {
                int saved = idx.isEmpty() ? 0 : idx.split(",").length;
                problems.add("param group " + gi + " was saved with " + saved + " parameters [" + idx + "], this optimizer's has "
                        + current.params().size() + " [" + expected + "]");
                structureOk = false;
            }
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!e.getKey().startsWith(prefix) || e.getKey().equals(prefix + "params")) {
                    continue;
                }
                String option = e.getKey().substring(prefix.length());
                if (!defaults.containsKey(option) && !option.equals(ParamGroup.INITIAL_LR)) {
                    problems.add("'" + e.getKey() + "': " + name() + " has no option '" + option + "'");
                    continue;
                }
                Double v = parseOption(option, e.getValue());
                if (v == null) {
                    problems.add("'" + e.getKey() + "' = " + quote(e.getValue()) + " is not a valid value");
                } else {
                    copy.set(option, v);
                }
            }
            try {
                validateOptions("param group " + gi, copy.options());
            } catch (IllegalArgumentException ex) {
                problems.add(ex.getMessage());
            }
            staged.add(copy);
        }
        return structureOk ? staged : null;
    }

    private static String formatOption(String key, double v) {
        if (ParamGroup.BOOLEAN_OPTIONS.contains(key)) {
            return v != 0 ? "true" : "false";
        }
        return Double.toString(v);
    }

    private static Double parseOption(String key, String text) {
        if (text == null) {
            return null;
        }
        if (ParamGroup.BOOLEAN_OPTIONS.contains(key)) {
            return switch (text) {
                case "true" -> 1.0;
                case "false" -> 0.0;
                default -> null;
            };
        }
        try {
            double v = Double.parseDouble(text);
            return Double.isNaN(v) ? null : v;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer parseInt(String text) {
        if (text == null) {
            return null;
        }
        try {
            int v = Integer.parseInt(text.trim());
            return v >= 0 ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long stepValue(Tensor t) {
        if (t.numel() != 1) {
            return null;
        }
        double v = t.toDoubleArray()[0];
        if (t.dtype() == DType.INT64) {
            long l = t.toLongArray()[0];
            return l >= 0 ? l : null;
        }
        return v >= 0 && v == Math.rint(v) && v < 9.0e15 ? (long) v : null;
    }

    private static String quote(String s) {
        return s == null ? "nothing" : "'" + s + "'";
    }
}
