package io.invoicesync.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.invoicesync.cli.Pipeline;
import io.invoicesync.generator.InvoiceGenerator;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The child JVM of step startup ({@link StartupStep}): what {@code invoice-sync demo} does once
 * its embedded PostgreSQL and Kafka are up, timed. From {@code main}'s first line: the query
 * store's Flyway migrations and {@code new Pipeline(every component).start()} (as the demo: the migration
 * beside the topics and the Kafka stages' start), the wait for ingest to stream from its slot and for sync-streams to run (as the
 * demo waits before its generator starts), then the demo's generator (50 issuing events/s, one
 * thread) and a 10 ms poll of the query store until the first invoice is visible. Prints one line,
 * {@value #RESULT_PREFIX} and the timings as JSON, and halts (the pipeline's shutdown is not measured).
 *
 * <p>Argument: a properties file: the pipeline's configuration, plus {@code bench.issuing.url},
 * {@code bench.seed} and {@code bench.rate} for the generator.
 */
final class StartupProbe {

  static final String RESULT_PREFIX = "startup-probe-result: ";

  private StartupProbe() {
  }

  public static void main(String[] args) {
    long mainAt = System.currentTimeMillis();
    int code = 0;
    try {
      System.out.println(RESULT_PREFIX + probe(Path.of(args[0]), mainAt));
    } catch (Throwable e) {
      e.printStackTrace(System.out);
      code = 3;
    }
    System.out.flush();
    Runtime.getRuntime().halt(code); // not measured, and the bench tears the servers down anyway
  }

  private static String probe(Path configFile, long mainAt) throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(configFile)) {
      p.load(r);
    }
    Map<String, String> cfg = new HashMap<>();
    p.stringPropertyNames().stream().filter(k -> !k.startsWith("bench.")).forEach(k -> cfg.put(k, p.getProperty(k)));
    String queryStore = cfg.get("projector.jdbc.url");

    cfg.put("projector.migrate", "true"); // as the demo: the pipeline's start migrates the query store beside its Kafka stages
    Pipeline pipeline = new Pipeline(cfg, EnumSet.allOf(Pipeline.Component.class)).start();
    long started = System.currentTimeMillis();
    pipeline.awaitIngestStreaming(Duration.ofSeconds(120));
    long streaming = System.currentTimeMillis();
    pipeline.awaitStreamsRunning(Duration.ofSeconds(120));
    long running = System.currentTimeMillis();

    long visibleAt;
    double commitMs;
    double projectedMs;
    AtomicBoolean stop = new AtomicBoolean();
    try (Connection c = DriverManager.getConnection(queryStore); PreparedStatement ps = c.prepareStatement(
        "SELECT extract(epoch FROM source_commit_ts) * 1000, extract(epoch FROM projected_at) * 1000 FROM invoice ORDER BY projected_at LIMIT 1")) {
      InvoiceGenerator generator = new InvoiceGenerator(p.getProperty("bench.issuing.url"), "first-", Long.parseLong(p.getProperty("bench.seed")),
          false);
      generator.startAtRate(Double.parseDouble(p.getProperty("bench.rate", "50")), 1, stop::get);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            visibleAt = System.currentTimeMillis();
            commitMs = rs.getDouble(1);
            projectedMs = rs.getDouble(2);
            break;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no invoice visible 120 s after the generator started");
        }
        Thread.sleep(10); // measurement poll of an external condition: the first invoice's arrival
      }
    } finally {
      stop.set(true);
    }
    // what the start cost: the JVM's CPU (every thread) and, of it, the JIT compilers' (on 2 cores they compete with the start)
    double cpuSeconds = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    double jitSeconds = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() / 1000.0;
    long peakRssAtVisible = CpuBreakdown.peakRssMb("self");
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    ObjectNode j = new ObjectMapper().createObjectNode();
    j.put("jvm_start_to_main_s", seconds(mainAt - jvmStart));
    j.put("pipeline_started_s", seconds(started - mainAt));
    j.put("ingest_streaming_s", seconds(streaming - mainAt));
    j.put("streams_running_s", seconds(running - mainAt));
    j.put("first_commit_s", seconds(Math.round(commitMs) - mainAt));
    j.put("first_visible_s", seconds(visibleAt - mainAt));
    j.put("first_commit_to_visible_ms", Math.round(projectedMs - commitMs));
    j.put("peak_rss_mb", peakRssAtVisible);
    j.put("cpu_s", Math.round(cpuSeconds * 100) / 100.0);
    j.put("jit_compiler_s", Math.round(jitSeconds * 100) / 100.0);
    return j.toString();
  }

  private static double seconds(long millis) {
    return millis / 1000.0;
  }
}
