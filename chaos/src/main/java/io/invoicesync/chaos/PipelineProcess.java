package io.invoicesync.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code invoice-sync run --config F --components C} in a child JVM, as an orchestrator runs it:
 * started, waited for until its management port says ready, killed with SIGKILL or stopped with
 * SIGTERM, started again on the same configuration and state. Its output goes to a log file per start.
 */
final class PipelineProcess {

  private static final Pattern MANAGEMENT = Pattern.compile("management: http://localhost:(\\d+)/health/ready");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String name;
  private final String components;
  private final Path config;
  private final Path logs;
  private Process process;
  private Path log;
  private int starts;

  PipelineProcess(String name, String components, Path config, Path logs) {
    this.name = name;
    this.components = components;
    this.config = config;
    this.logs = logs;
  }

  /** Starts the process and waits until it is ready (every component UP), at most {@code timeout}. */
  void start(Duration timeout) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-cp", System.getProperty("java.class.path"), "io.invoicesync.cli.InvoiceSyncCommand", "run", "--config", config.toString(),
        "--components", components));
    Files.createDirectories(logs);
    log = logs.resolve(name + "-" + (++starts) + ".log");
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + timeout.toNanos();
    int port = 0;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting; see " + log);
      }
      if (port == 0) {
        Matcher m = MANAGEMENT.matcher(Files.readString(log));
        port = m.find() ? Integer.parseInt(m.group(1)) : 0;
      }
      if (port != 0 && ready(port)) {
        return;
      }
      Thread.sleep(250); // the poll period of a readiness probe
    }
    throw new IllegalStateException(name + " not ready within " + timeout.toSeconds() + " s; see " + log);
  }

  private static boolean ready(int port) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/ready")).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is closed or committed. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * SIGKILL, then started again on the same configuration and state, as an orchestrator restarts it;
   * waits as {@link #start} does. Returns whether the killed process was really gone before the new one started.
   */
  boolean restart(Duration timeout) throws IOException, InterruptedException {
    Process killed = process;
    kill();
    boolean gone = killed != null && !killed.isAlive();
    start(timeout);
    return gone;
  }

  /** SIGTERM, and the clean close that follows. */
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(90, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  Path log() {
    return log;
  }
}
