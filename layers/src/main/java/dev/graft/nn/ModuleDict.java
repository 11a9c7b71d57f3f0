package dev.graft.nn;

import java.util.Map;

/** Child modules by name, in insertion order; it has no forward of its own. */
public class ModuleDict extends Module {
    public ModuleDict put(String name, Module m) {
        registerModule(name, m);
        return this;
    }

    public Module get(String name) {
        Module m = child(name);
        if (m == null) {
            throw new IllegalArgumentException("ModuleDict: no module named '" + name + "'; have " + namedChildren().keySet());
        }
        return m;
    }

    public Map<String, Module> asMap() {
        return namedChildren();
    }
}
