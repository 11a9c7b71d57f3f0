package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `graft embed` in-process: line per input, 384 tab-separated values of unit norm, batch-size independence, errors. */
class EmbedCommandTest {

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private static double[][] parse(String out) {
    return out.lines().map(l -> java.util.Arrays.stream(l.split("\t")).mapToDouble(Double::parseDouble).toArray())
        .toArray(double[][]::new);
  }

  @Test
  void embedsEachTextInOrder(@TempDir Path dir) throws Exception {
    CliRun r = run("embed", "--text", "hello world", "--text", "the cat sat on the mat", "--batch-size", "1");
    assertEquals(0, r.exit(), r.err());
    double[][] v = parse(r.out());
    assertEquals(2, v.length);
    for (double[] row : v) {
      assertEquals(384, row.length);
      double n = 0;
      for (double x : row) {
        n += x * x;
      }
      assertEquals(1.0, n, 1e-5);
    }
    assertNotEquals(v[0][0], v[1][0]);
    // the same texts from a file, in one padded batch: same numbers (fp32 results do not depend on batching)
    Path f = dir.resolve("texts.txt");
    Files.write(f, List.of("hello world", "the cat sat on the mat"));
    CliRun fromFile = run("embed", "--file", f.toString(), "--batch-size", "32");
    assertEquals(0, fromFile.exit(), fromFile.err());
    double[][] w = parse(fromFile.out());
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 384; j++) {
        assertEquals(v[i][j], w[i][j], 1e-5, "text " + i + " value " + j);
      }
    }
  }

  @Test
  void badArgumentsAreRefusedWithReasons() {
    CliRun zero = run("embed", "--text", "x", "--batch-size", "0");
    assertNotEquals(0, zero.exit());
    assertTrue(zero.err().contains("--batch-size must be >= 1"), zero.err());
    CliRun half = run("embed", "--text", "x", "--model", "m.onnx");
    assertNotEquals(0, half.exit());
    assertTrue(half.err().contains("--model and --tokenizer go together"), half.err());
    CliRun none = run("embed");
    assertNotEquals(0, none.exit());
    assertTrue(none.err().contains("--text") || none.err().contains("--file"), none.err());
  }
}
