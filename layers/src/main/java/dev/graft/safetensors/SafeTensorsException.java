package dev.graft.safetensors;

import java.io.IOException;

/** A safetensors file that is malformed or cannot be represented; the message names the file, the tensor and the problem. */
public class SafeTensorsException extends IOException {
    public SafeTensorsException(String message) {
        super(message);
    }
}
