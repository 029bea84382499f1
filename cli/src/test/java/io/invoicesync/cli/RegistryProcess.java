package io.invoicesync.cli;

import static org.awaitility.Awaitility.await;

import io.invoicesync.testkit.TestHttp;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real Apicurio Registry without Docker: the runnable Quarkus application Apicurio publishes to Maven
 * Central ({@code io.apicurio:apicurio-registry-app:3.3.3:tar.gz:all}, unpacked by the cli module's
 * build into {@code target/apicurio-registry}), in a child JVM with its default in-memory H2 storage.
 * Registry 3.x needs Java 21 or newer: {@code INVOICESYNC_REGISTRY_JAVA}, else a JDK 21+ under
 * {@code /usr/lib/jvm} (this machine's Temurin 25).
 */
final class RegistryProcess implements AutoCloseable {

  static final Path APP = Path.of("target", "apicurio-registry", "quarkus-run.jar");

  private final Process process;
  private final int port;

  /** Why it cannot run here (to skip saying so), or empty. */
  static Optional<String> unavailable() {
    if (!Files.isRegularFile(APP)) {
      return Optional.of(APP + " is missing (the cli module's build unpacks io.apicurio:apicurio-registry-app:3.3.3:tar.gz:all there)");
    }
    if (java().isEmpty()) {
      return Optional.of("no Java 21 or newer for Apicurio Registry 3 (set INVOICESYNC_REGISTRY_JAVA, or install one under /usr/lib/jvm)");
    }
    return Optional.empty();
  }

  RegistryProcess(Path logDir) throws IOException {
    this.port = freePort();
    List<String> cmd = new ArrayList<>(List.of(java().orElseThrow(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
        "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + freePort(),
        "-Dquarkus.http.access-log.enabled=false", "-jar", APP.toAbsolutePath().toString()));
    Files.createDirectories(logDir);
    this.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logDir.resolve("apicurio-registry.log").toFile()).start();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("the registry exited with " + process.exitValue() + "; see " + logDir.resolve("apicurio-registry.log"));
      }
      try {
        return TestHttp.get(URI.create(base() + "/apis/registry/v3/system/info")).statusCode() == 200;
      } catch (IOException notYet) {
        return false;
      }
    });
  }

  /** {@code http://127.0.0.1:PORT}: the core API is under /apis/registry/v3, the Confluent-compatible one under /apis/ccompat/v7. */
  String base() {
    return "http://127.0.0.1:" + port;
  }

  /** A Java 21 or newer: {@code INVOICESYNC_REGISTRY_JAVA}, this JVM, or a JDK under /usr/lib/jvm (for the registry and Keycloak). */
  static Optional<String> java() {
    String env = System.getenv("INVOICESYNC_REGISTRY_JAVA");
    if (env != null && Files.isExecutable(Path.of(env))) {
      return Optional.of(env);
    }
    if (Runtime.version().feature() >= 21) {
      return Optional.of(ProcessHandle.current().info().command().orElse("java"));
    }
    try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
      return jdks.filter(d -> Files.isExecutable(d.resolve("bin/java")) && feature(d) >= 21).sorted().map(d -> d.resolve("bin/java").toString())
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The feature version a JDK directory's {@code release} file names (0 when it cannot tell). */
  private static int feature(Path jdk) {
    try {
      for (String line : Files.readAllLines(jdk.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=")) {
          String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
          return Integer.parseInt(v.split("[.+-]")[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
