package dev.graft.train;

import java.lang.reflect.InvocationTargetException;

/**
 * Finds optional libraries by class name. The classes that use them are loaded only through
 * {@link #instantiate}, so a missing jar shows up as "not present" here, never as a
 * {@code NoClassDefFoundError} in the middle of training.
 */
final class OptionalLibrary {
    private OptionalLibrary() {
    }

    /** Whether {@code className} can be loaded (without initialising it) by the loader that loaded {@code anchor}. */
    static boolean present(String className, Class<?> anchor) {
        try {
            Class.forName(className, false, anchor.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** A new instance of our class {@code className} (which uses an optional library), or null when it cannot be made. */
    static <T> T instantiate(String className, Class<T> type, Class<?>[] parameterTypes, Object... args) {
        try {
            Class<?> c = Class.forName(className, true, type.getClassLoader());
            return type.cast(c.getDeclaredConstructor(parameterTypes).newInstance(args));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            Throwable cause = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            System.getLogger(OptionalLibrary.class.getName()).log(System.Logger.Level.WARNING,
                    "could not use " + className + " (" + cause + "); continuing without it");
            return null;
        }
    }
}
