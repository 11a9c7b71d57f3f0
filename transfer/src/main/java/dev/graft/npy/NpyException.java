package dev.graft.npy;

/** A {@code .npy} file that cannot be read or a tensor that cannot be written; the message names the file and the problem. */
public final class NpyException extends RuntimeException {
    public NpyException(String message) {
        super(message);
    }
}
