package dev.graft.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new GraftCli());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new String[] {Integer.toString(rc), out.toString(), err.toString()};
    }

    @Test
    void gemmPrintsOneParsableLine() {
        String[] r = run("bench", "gemm", "--size", "32", "--threads", "1");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].matches("gemm n=32 threads=1 backend=java gflops=[0-9.]+\\R"), r[1]);
    }

    @Test
    void badArgumentsAreClearErrors() {
        String[] r = run("bench", "gemm", "--size", "0");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--size must be in 1..16384"), r[2]);
        r = run("bench", "train", "--model", "resnet");
        assertTrue(r[2].contains("--model must be mlp or cnn"), r[2]);
        r = run("bench", "gemm", "--size", "8", "--backend", "cuda");
        assertTrue(r[2].contains("--backend must be java or blas"), r[2]);
    }

    @Test
    void everySubcommandHasHelp() {
        for (String[] cmd : new String[][] {{"bench", "--help"}, {"bench", "gemm", "--help"}, {"bench", "train", "--help"}}) {
            String[] r = run(cmd);
            assertEquals("0", r[0]);
            assertTrue(r[1].contains("Usage:"), r[1]);
        }
    }
}
