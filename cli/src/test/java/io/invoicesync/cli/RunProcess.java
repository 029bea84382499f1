package io.invoicesync.cli;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An {@code invoice-sync} process of the tests' own classpath, in its own JVM, its output in a file; and what the ITs read from it. */
final class RunProcess {

  static final Pattern MANAGEMENT = Pattern.compile("management: http://localhost:(\\d+)/health/ready");
  static final Pattern API = Pattern.compile("api: https?://localhost:(\\d+)");

  private RunProcess() {
  }

  /** Starts {@code invoice-sync ARGS} with {@code env} added, stdout and stderr to {@code out}. */
  static Process start(Path out, String heap, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap, "-cp",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), InvoiceSyncCommand.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  /** The port the process printed in the line {@code pattern} matches; fails with its output if it exits first. */
  static int port(Process p, Path out, Pattern pattern) {
    int[] port = {0};
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!p.isAlive()) {
        throw new AssertionError(out.getFileName() + ": exited with " + p.exitValue() + ":\n" + Files.readString(out));
      }
      Matcher m = pattern.matcher(Files.readString(out));
      if (m.find()) {
        port[0] = Integer.parseInt(m.group(1));
        return true;
      }
      return false;
    });
    return port[0];
  }
}
