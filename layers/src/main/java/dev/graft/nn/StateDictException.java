package dev.graft.nn;

/** A strict {@link Module#loadStateDict} that found problems; the message lists every one of them. */
public class StateDictException extends IllegalArgumentException {
    private final Module.LoadResult result;

    public StateDictException(String message, Module.LoadResult result) {
        super(message);
        this.result = result;
    }

    public Module.LoadResult result() {
        return result;
    }
}
