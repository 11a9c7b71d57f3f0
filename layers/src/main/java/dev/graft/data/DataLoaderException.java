package dev.graft.data;

/**
 * Loading a batch failed. When the batch was built on the prefetch thread, this is thrown on the
 * thread that iterates, with the original exception as its cause.
 */
public class DataLoaderException extends RuntimeException {
    public DataLoaderException(String message, Throwable cause) {
        super(message, cause);
    }
}
