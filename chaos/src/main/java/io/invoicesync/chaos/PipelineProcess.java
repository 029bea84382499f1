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

  /**
   * The class archive every pipeline process maps at start, as bin/invoice-sync's do (AppCDS): a
   * restarted process then loads its classes from the archive instead of parsing and verifying
   * them again, which on two cores is CPU the other stages need while they catch up. Null: none.
   */
  private static volatile Path classArchive;

  /**
   * Writes the class archive once, before the first scenario: one whole pipeline started on
   * {@code config}, waited for until ready, and stopped cleanly (the JVM archives the classes it
   * loaded when it exits). {@code INVOICESYNC_CDS=off} skips it, as it does for bin/invoice-sync.
   */
  static void archiveClasses(Path config, Path logs, Path archive, Duration timeout) throws IOException, InterruptedException {
    if ("off".equals(System.getenv("INVOICESYNC_CDS")) || Files.exists(archive)) {
      classArchive = "off".equals(System.getenv("INVOICESYNC_CDS")) ? null : archive;
      return;
    }
    Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
    PipelineProcess writer = new PipelineProcess("class-archive", "ingest,streams,projector,api", config, logs);
    writer.jvmOptions = List.of("-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    writer.start(timeout);
    writer.stop();
    if (Files.exists(tmp)) {
      Files.move(tmp, archive, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      classArchive = archive;
    }
  }

  private List<String> jvmOptions;

  /** Starts the process and waits until it is ready (every component UP), at most {@code timeout}. */
  void start(Duration timeout) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
    Path archive = classArchive;
    if (jvmOptions != null) {
      cmd.addAll(jvmOptions);
    } else if (archive != null) {
      cmd.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.invoicesync.cli.InvoiceSyncCommand", "run", "--config",
        config.toString(), "--components", components));
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
