package dev.graft.examples;

import dev.graft.autograd.NoGrad;
import dev.graft.checkpoint.Checkpoint;
import dev.graft.loss.Losses;
import dev.graft.nn.Module;
import dev.graft.optim.Adam;
import dev.graft.optim.Optimizer;
import dev.graft.safetensors.SafeTensors;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint written by Graft, read by PyTorch: the script check_graft_checkpoint.py loads the
 * model part into the same torch CNN and compares outputs. Needs Debian's python3-torch
 * (.ci/run installs it); skipped, with the reason, where it is absent. The other direction
 * (PyTorch-written safetensors into Graft) is covered by LayersGoldenTest on every run.
 */
class PyTorchInteropTest {
    @Test
    void pyTorchLoadsAGraftCheckpoint(@TempDir Path dir) throws Exception {
        String python = pythonWithTorch();
        Assumptions.assumeTrue(python != null, "no python3 with torch found; .ci/run installs Debian's python3-torch");
        Module model = DigitsTrainingTest.cnn(3);
        Optimizer opt = new Adam(model.parameters(), 1e-3);
        Tensor x = Tensor.rand(new Generator(8), 4, 1, 8, 8);
        Tensor y = Tensor.fromArray(new long[] {1, 2, 3, 4});
        Tensor loss = Losses.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step(); // so the optimizer has state to save
        model.eval();
        Tensor out;
        try (var g = NoGrad.enter()) {
            out = model.forward(x);
        }
        Path ckpt = dir.resolve("graft.safetensors");
        Checkpoint.save(ckpt, model, opt, Map.of("epoch", "1"), null);
        Map<String, Tensor> io = new LinkedHashMap<>();
        io.put("x", x);
        io.put("out", out);
        Path ioFile = dir.resolve("io.safetensors");
        SafeTensors.write(ioFile, io, null);
        Path script = Path.of(PyTorchInteropTest.class.getResource("/interop/check_graft_checkpoint.py").toURI());
        Process p = new ProcessBuilder(python, script.toString(), ckpt.toString(), ioFile.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python timed out");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.startsWith("OK"), output);
        assertTrue(Files.size(ckpt) > 0);
    }

    /** Debian's interpreter first: a pyenv or venv python3 earlier on PATH usually lacks the system torch. */
    private static String pythonWithTorch() {
        for (String candidate : new String[] {"/usr/bin/python3", "python3"}) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch, numpy").redirectErrorStream(true).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (Exception e) {
                // try the next one
            }
        }
        return null;
    }
}
