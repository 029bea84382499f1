package io.invoicesync.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.invoicesync.cli.Pipeline;
import io.invoicesync.testkit.InvoiceGenerator;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.IngestService;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.projector.QueryStoreWriter;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.testkit.InvoiceFixtures;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Measures, in one run on embedded infrastructure (everything on this machine): the Debezium
 * capture ceiling, the end-to-end pipeline on the same kind of workload, latency percentiles at
 * fixed offered loads, the Kafka round trip and the batched upsert ceilings, CPU time and peak
 * RSS. Writes a table to the terminal and {@code bench/results/latest.md}, {@code latest.json},
 * {@code latency.png}. No assertions: numbers only.
 *
 * <p>Run: {@code mvn -B package -DskipTests && bin/invoice-sync-bench [--quick]}.
 *
 * <p>Size: over 400 lines; splitting the steps into classes with typed results (issue 12, item 7) is the next step.
 */
public final class Bench {

  private final boolean quick;
  private final Path work;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final List<double[]> latencies = new ArrayList<>(); // {offered, p50, p95, p99}

  private final java.util.Set<String> only;

  private Bench(boolean quick, Path work, java.util.Set<String> only) {
    this.quick = quick;
    this.work = work;
    this.only = only;
  }

  /** Steps, by the names {@code --only=} takes. */
  static final List<String> STEPS = List.of("capture", "e2e", "kafka", "upsert", "peer", "reconcile");

  private boolean runs(String step) {
    return only.isEmpty() || only.contains(step);
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    java.util.Set<String> only = new java.util.LinkedHashSet<>();
    for (String a : args) {
      if (a.equals("--quick")) {
        quick = true;
      } else if (a.startsWith("--only=")) {
        for (String step : a.substring("--only=".length()).split(",")) {
          if (!STEPS.contains(step)) {
            System.err.println("unknown step '" + step + "' in " + a + "; steps: " + String.join(",", STEPS));
            System.exit(2);
          }
          only.add(step);
        }
      } else {
        System.err.println("unknown argument '" + a + "'; usage: invoice-sync-bench [--quick] [--only=" + String.join(",", STEPS) + "]");
        System.exit(2);
      }
    }
    Path work = Files.createTempDirectory("invoice-sync-bench");
    // a partial run does not replace the committed results
    Path out = only.isEmpty() ? Path.of(System.getProperty("bench.out", "bench/results")) : work.resolve("results");
    System.setProperty("invoicesync.log.file", work.resolve("bench.log").toString());
    Bench b = new Bench(quick, work, only);
    long t0 = System.nanoTime();
    b.run();
    b.results.put("bench_seconds", Math.round((System.nanoTime() - t0) / 1e9));
    b.write(out);
    System.exit(0);
  }

  private void run() throws Exception {
    int backlog = quick ? 10_000 : 30_000;
    results.put("mode", quick ? "quick" : "full");
    results.put("backlog_invoices", backlog);
    if (runs("capture")) {
      log("1/6 Debezium capture alone (engine -> no-op consumer) over a WAL backlog of %d issued invoices", backlog);
      results.put("debezium_capture_invoices_per_s", captureCeiling(backlog));
    }
    if (runs("e2e")) {
      log("2/6 end to end over the same kind of backlog, then latency at fixed offered loads");
      endToEnd(backlog);
    }
    if (runs("kafka")) {
      log("3/6 Kafka produce + consume of the same bytes");
      results.put("kafka_roundtrip_records_per_s", kafkaRoundTrip(quick ? 50_000 : 200_000));
    }
    if (runs("upsert")) {
      log("4/6 batched upsert of the same rows into PostgreSQL");
      results.put("upsert_invoices_per_s", upsert(quick ? 20_000 : 50_000));
    }
    if (runs("peer")) {
      log("5/6 the peer: Debezium PostgreSQL source + Debezium JDBC sink in Kafka Connect standalone, over the same kind of backlog");
      peer(backlog);
    }
    if (runs("reconcile")) {
      log("6/6 reconcile: 1,000,000 invoices in both databases (COPY), equal, then with %d planted differences", ReconcileBench.PLANTED);
      results.putAll(ReconcileBench.run(work, 1_000_000));
    }
    log("process");
    results.put("cpu_seconds", Math.round(((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9));
    results.put("peak_rss_mb", CpuBreakdown.peakRssMb("self"));
    if (results.get("e2e_invoices_per_s") instanceof Number e2e) {
      if (results.get("debezium_capture_invoices_per_s") instanceof Number capture) {
        results.put("e2e_vs_capture", Math.round(e2e.doubleValue() / capture.doubleValue() * 100) / 100.0);
        if (results.get("e2e_warm_backlog_invoices_per_s") instanceof Number warm) {
          results.put("e2e_warm_backlog_vs_capture", Math.round(warm.doubleValue() / capture.doubleValue() * 100) / 100.0);
        }
      }
    }
    // like for like: both over the same kind of WAL backlog, both timed from a cold start of every stage
    if (results.get("e2e_backlog_invoices_per_s") instanceof Number ours && results.get("peer_invoices_per_s") instanceof Number peer) {
      results.put("e2e_vs_peer", Math.round(ours.doubleValue() / peer.doubleValue() * 10) / 10.0);
      if (results.get("e2e_backlog_steady_invoices_per_s") instanceof Number oursSteady
          && results.get("peer_steady_invoices_per_s") instanceof Number peerSteady) {
        results.put("e2e_vs_peer_from_first_visible", Math.round(oursSteady.doubleValue() / peerSteady.doubleValue() * 10) / 10.0);
      }
    }
  }

  // ---- 5. the peer ------------------------------------------------------------------------

  /**
   * The same backlog through the pipeline a user would otherwise assemble ({@link PeerPipeline}),
   * timed from the Connect JVM's start until every issued invoice and line is in the target tables;
   * measured like {@link #endToEnd}: overall and from the first visible row on.
   */
  private void peer(int n) throws Exception {
    Path lib = Path.of(System.getProperty("bench.peer.lib", "bench-peer/target/lib"));
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(work.resolve("pg-peer"), List.of("issuing", "peer"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(work.resolve("kafka-peer"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      sql(pg, "issuing", "CREATE PUBLICATION peer_pub FOR TABLE issuing.invoice, issuing.invoice_line");
      sql(pg, "issuing", "SELECT pg_create_logical_replication_slot('peer_slot', 'pgoutput')");
      issue(pg, n);
      long invoices = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
      long lines = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice_line");
      CpuBreakdown pgCpu = CpuBreakdown.start(work.resolve("pg-peer"));
      long t0 = System.nanoTime();
      try (PeerPipeline peer = PeerPipeline.start(lib, work.resolve("peer"), kafka.bootstrapServers(), pg.port(), "peer_slot", "peer_pub", "peer")) {
        results.put("peer_config", peer.configs);
        long deadline = System.nanoTime() + Duration.ofMinutes(quick ? 4 : 15).toNanos();
        long firstVisibleAt = 0;
        long visibleAtFirst = 0;
        long[] seen = {0, 0};
        long progressAt = System.nanoTime();
        while (seen[0] < invoices || seen[1] < lines) {
          if (!peer.alive()) {
            throw new IllegalStateException("Kafka Connect exited; the end of its log (" + peer.log + "):\n" + peer.tail());
          }
          if (System.nanoTime() > deadline || System.nanoTime() - progressAt > Duration.ofSeconds(90).toNanos()) {
            results.put("peer_incomplete", "after " + Duration.ofNanos(System.nanoTime() - t0).toSeconds() + " s: " + seen[0] + " of " + invoices
                + " invoices, " + seen[1] + " of " + lines + " lines");
            log("   the peer did not finish: %s", results.get("peer_incomplete"));
            break;
          }
          long[] now = peerRows(pg);
          if (now[0] + now[1] > seen[0] + seen[1]) {
            progressAt = System.nanoTime();
          }
          seen = now;
          if (firstVisibleAt == 0 && seen[0] > 0) {
            firstVisibleAt = System.nanoTime();
            visibleAtFirst = seen[0];
          }
          Thread.sleep(200); // measurement poll of an external condition
        }
        long tEnd = System.nanoTime();
        double seconds = (tEnd - t0) / 1e9;
        double steadySeconds = (tEnd - firstVisibleAt) / 1e9;
        results.put("peer_invoices_per_s", round(seen[0] / seconds));
        results.put("peer_steady_invoices_per_s", round((seen[0] - visibleAtFirst) / steadySeconds));
        results.put("peer_rows_per_s", round((seen[0] + seen[1]) / seconds));
        results.put("peer_cpu_seconds", round(peer.cpuSeconds()));
        Object pgSeconds = pgCpu.stop().get("postgresql");
        if (pgSeconds instanceof Double d) {
          results.put("peer_postgresql_cpu_seconds", round(d));
        }
        results.put("peer_peak_rss_mb", peer.peakRssMb());
        log("   %d invoices + %d lines visible in %.1f s (incl. Connect start); %.0f invoices/s from the first visible one on",
            seen[0], seen[1], seconds, (seen[0] - visibleAtFirst) / steadySeconds);
      }
    }
  }

  /** Rows the peer's sink has written so far: {invoices, lines}; 0 before its tables exist. */
  private static long[] peerRows(EmbeddedPostgresServer pg) throws Exception {
    long[] r = new long[2];
    try (Connection c = pg.connect("peer"); Statement s = c.createStatement()) {
      String[] tables = {"invoice", "invoice_line"};
      for (int i = 0; i < 2; i++) {
        try (ResultSet rs = s.executeQuery("SELECT to_regclass('public." + tables[i] + "') IS NOT NULL")) {
          rs.next();
          if (!rs.getBoolean(1)) {
            continue;
          }
        }
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM public." + tables[i])) {
          rs.next();
          r[i] = rs.getLong(1);
        }
      }
    }
    return r;
  }

  // ---- 1. capture ceiling ---------------------------------------------------------------

  /**
   * Debezium capture alone over a WAL backlog of {@code 2n} issued invoices: the first {@code n}
   * warm the engine up (JIT), the rate is taken over the second {@code n}, so that it compares with
   * the pipeline's sustained (warm) rate. The cold rate, engine start included, is recorded too.
   */
  private double captureCeiling(int n) throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(work.resolve("pg-capture"), List.of("issuing"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      sql(pg, "issuing", "CREATE PUBLICATION invoice_sync FOR TABLE issuing.invoice, issuing.invoice_line, issuing.invoice_sync_heartbeat");
      sql(pg, "issuing", "SELECT pg_create_logical_replication_slot('invoice_sync', 'pgoutput')"); // its own transaction: slots need one without writes
      issue(pg, 2 * n);
      Map<String, Object> cfg = Map.of(IngestConfig.BOOTSTRAP_SERVERS, "unused:9092", IngestConfig.DATABASE_PORT, pg.port(),
          IngestConfig.SNAPSHOT_MODE, "no_data");
      Properties p = new IngestService(new IngestConfig(cfg), new SimpleMeterRegistry()).engineProperties();
      p.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
      AtomicLong headers = new AtomicLong();
      CountDownLatch warm = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(1);
      DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(io.debezium.embedded.Connect.class))
          .using(p)
          .notifying((records, committer) -> {
            for (RecordChangeEvent<SourceRecord> r : records) {
              if (r.record().value() instanceof Struct s && s.schema().field("source") != null && s.schema().field("op") != null
                  && "invoice".equals(s.getStruct("source").getString("table")) && "c".equals(s.getString("op"))) {
                long seen = headers.incrementAndGet();
                if (seen == n) {
                  warm.countDown();
                } else if (seen >= 2L * n) {
                  done.countDown();
                }
              }
              committer.markProcessed(r);
            }
            committer.markBatchFinished();
          }).build();
      ExecutorService ex = Executors.newSingleThreadExecutor();
      long t0 = System.nanoTime();
      ex.execute(engine);
      if (!warm.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("capture saw " + headers.get() + " of " + n + " invoices");
      }
      long tWarm = System.nanoTime();
      CpuBreakdown cpu = CpuBreakdown.start(work.resolve("pg-capture"));
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("capture saw " + headers.get() + " of " + 2 * n + " invoices");
      }
      long tDone = System.nanoTime();
      Map<String, Double> spent = cpu.stop();
      engine.close();
      ex.shutdownNow();
      double cold = n / ((tWarm - t0) / 1e9);
      double seconds = (tDone - tWarm) / 1e9;
      results.put("debezium_capture_cold_invoices_per_s", round(cold));
      results.put("debezium_capture_cpu_ms_per_invoice_by_stage", perInvoice(spent, n));
      log("   first %d invoices in %.1f s (engine start and JIT warm-up: %.0f/s); the next %d in %.1f s; CPU ms per invoice: %s",
          n, (tWarm - t0) / 1e9, cold, n, seconds, results.get("debezium_capture_cpu_ms_per_invoice_by_stage"));
      return round(n / seconds);
    }
  }

  /** Issues {@code n} invoice transactions as fast as two generator threads go (the generator's usual mix). */
  private InvoiceGenerator issue(EmbeddedPostgresServer pg, int n) throws InterruptedException {
    return issue(pg, n, "bench-");
  }

  private InvoiceGenerator issue(EmbeddedPostgresServer pg, int n, String prefix) throws InterruptedException {
    InvoiceGenerator g = new InvoiceGenerator(pg.jdbcUrl("issuing"), prefix, 5, false);
    long t0 = System.nanoTime();
    for (Thread t : g.startAtRate(1_000_000, 2, () -> g.issuedCount() >= n)) {
      t.join();
    }
    log("   issued %d invoices in %.1f s (%.0f/s, two generator threads)", g.issuedCount(), (System.nanoTime() - t0) / 1e9,
        g.issuedCount() / ((System.nanoTime() - t0) / 1e9));
    return g;
  }

  // ---- 2. end to end ----------------------------------------------------------------------

  private void endToEnd(int n) throws Exception {
    // pg_stat_statements: which statements the server spends its time on, for the bottleneck analysis
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(work.resolve("pg-e2e"), "logical", List.of("issuing", "querystore"), 0,
             Map.of("shared_preload_libraries", "pg_stat_statements", "pg_stat_statements.track", "all"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(work.resolve("kafka-e2e"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      sql(pg, "postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      sql(pg, "issuing", "CREATE PUBLICATION invoice_sync FOR TABLE issuing.invoice, issuing.invoice_line, issuing.invoice_sync_heartbeat");
      sql(pg, "issuing", "SELECT pg_create_logical_replication_slot('invoice_sync', 'pgoutput')"); // its own transaction: slots need one without writes
      issue(pg, n);
      long expected = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, work.resolve("streams"));
      cfg.put("ingest.snapshot.mode", "no_data");
      try (Pipeline pipeline = new Pipeline(cfg, EnumSet.of(Pipeline.Component.INGEST, Pipeline.Component.STREAMS, Pipeline.Component.PROJECTOR))) {
        CpuBreakdown cpu = CpuBreakdown.start(work.resolve("pg-e2e"));
        long t0 = System.nanoTime();
        pipeline.start();
        // done when every issued invoice is decided: visible, or rejected (the ~5% invalid ones)
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        long firstVisibleAt = 0;
        long visibleAtFirst = 0;
        long decided;
        while ((decided = count(pg, "querystore", "SELECT count(*) FROM invoice") + (long) rejected(pipeline)) < expected * 0.999) {
          if (firstVisibleAt == 0 && decided > 0) {
            firstVisibleAt = System.nanoTime();
            visibleAtFirst = decided;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("end to end did not drain " + expected + " invoices in 15 minutes");
          }
          Thread.sleep(100); // measurement poll of an external condition
        }
        long tEnd = System.nanoTime();
        double seconds = (tEnd - t0) / 1e9;
        double steadySeconds = (tEnd - firstVisibleAt) / 1e9;
        results.put("e2e_backlog_invoices_per_s", round(expected / seconds));
        results.put("e2e_backlog_steady_invoices_per_s", round((expected - visibleAtFirst) / steadySeconds));
        log("   %d invoices visible or rejected in %.1f s (incl. start of every stage); %.0f/s from the first visible one on",
            expected, seconds, (expected - visibleAtFirst) / steadySeconds);
        Map<String, Double> spent = cpu.stop();
        results.put("e2e_backlog_cpu_seconds_by_stage", spent);
        log("   CPU seconds while draining (%.1f s wall, 2 cores = %.1f CPU s available): %s", seconds, seconds * Runtime.getRuntime().availableProcessors(), spent);

        int[] loads = quick ? new int[] {200, 1000} : new int[] {200, 1000, 5000};
        int windowSeconds = quick ? 20 : 45;
        for (int load : loads) {
          Window w = window(pg, "lat" + load, load, windowSeconds);
          latencies.add(new double[] {load, w.p50, w.p95, w.p99});
          results.put("p50_ms_at_" + load, round(w.p50));
          results.put("p95_ms_at_" + load, round(w.p95));
          results.put("p99_ms_at_" + load, round(w.p99));
          results.put("achieved_per_s_at_" + load, round(w.achieved));
          log("   offered %d/s: %s", load, w);
        }
        sustained(pg);
        warmBacklog(pg, pipeline, n);
      }
    }
  }

  /**
   * The like-for-like counterpart of the warm capture ceiling: with every stage warm, ingest is
   * stopped, {@code n} invoices are issued into the WAL, ingest is started again, and the drain is
   * timed until every one of them is visible or rejected. No generator runs during the drain.
   */
  private void warmBacklog(EmbeddedPostgresServer pg, Pipeline pipeline, int n) throws Exception {
    pipeline.stopIngest();
    long before = count(pg, "querystore", "SELECT count(*) FROM invoice") + (long) rejected(pipeline);
    long issuedBefore = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
    issue(pg, n, "warm-");
    long expected = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice") - issuedBefore;
    // the generator's backends must be gone first, or the server's reaped-children time would book their inserts to the drain
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (count(pg, "issuing", "SELECT count(*) FROM pg_stat_activity WHERE datname = 'issuing' AND backend_type = 'client backend' "
        + "AND pid <> pg_backend_pid()") > 0 && System.nanoTime() < until) {
      Thread.sleep(20); // measurement poll of an external condition
    }
    CpuBreakdown cpu = CpuBreakdown.start(work.resolve("pg-e2e"));
    long t0 = System.nanoTime();
    pipeline.startIngest();
    long firstAt = 0;
    long decided;
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while ((decided = count(pg, "querystore", "SELECT count(*) FROM invoice") + (long) rejected(pipeline) - before) < expected * 0.999) {
      if (firstAt == 0 && decided > 0) {
        firstAt = System.nanoTime();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the warm backlog of " + expected + " invoices did not drain in 10 minutes: " + decided + " decided");
      }
      Thread.sleep(50); // measurement poll of an external condition
    }
    long tEnd = System.nanoTime();
    Map<String, Double> spent = cpu.stop();
    double withRestart = expected / ((tEnd - t0) / 1e9);
    double fromFirst = expected / ((tEnd - firstAt) / 1e9);
    results.put("e2e_warm_backlog_invoices_per_s", round(fromFirst));
    results.put("e2e_warm_backlog_incl_ingest_restart_invoices_per_s", round(withRestart));
    results.put("e2e_warm_backlog_cpu_ms_per_invoice_by_stage", perInvoice(spent, expected));
    log("   warm backlog: %d invoices drained at %.0f/s from the first visible one (%.0f/s counting the ingest restart); CPU ms per invoice %s",
        expected, fromFirst, withRestart, results.get("e2e_warm_backlog_cpu_ms_per_invoice_by_stage"));
  }

  /**
   * The highest offered load whose lag stays bounded, climbing a ladder of loads; the reported
   * throughput is the invoices/s the issuing database achieved at that load (all of which became
   * visible or rejected with bounded lag). Bounded means: the generator achieved at least 90% of the
   * offer; the median commit-to-visible lag of the window's last third is at most 300 ms above the
   * first third's (a pipeline slower than the offer accumulates lag linearly: 5% too slow over a
   * 12 s window adds about 400 ms). A load that fails gets a second window before the search stops.
   */
  private void sustained(EmbeddedPostgresServer pg) throws Exception {
    int[] ladder = quick ? new int[] {1600, 2000, 2400, 2800, 3200, 4000, 5000}
        : new int[] {1200, 1400, 1600, 1800, 2000, 2200, 2400, 2600, 2800, 3000, 3500, 4000, 5000};
    int windowSeconds = quick ? 12 : 30;
    Window best = null;
    List<Map<String, Object>> steps = new ArrayList<>();
    for (int load : ladder) {
      Window w = window(pg, "sus" + load, load, windowSeconds);
      boolean bounded = bounded(w, load);
      if (!bounded) { // a transient (a checkpoint, a compaction) can fail a window: the load gets a second one
        log("   search: offered %d/s: %s -> not bounded, trying it once more", load, w);
        w = window(pg, "sus" + load + "b", load, windowSeconds);
        bounded = bounded(w, load);
      }
      log("   search: offered %d/s: %s -> %s; CPU ms per invoice %s", load, w, bounded ? "bounded" : "NOT bounded",
          perInvoice(w.cpu, w.achieved * windowSeconds));
      w.topStatements.forEach(t -> log("      %s", t));
      Map<String, Object> step = new LinkedHashMap<>();
      step.put("offered_events_per_s", load);
      step.put("achieved_invoices_per_s", round(w.achieved));
      step.put("p50_ms_first_third", round(w.p50FirstThird));
      step.put("p50_ms_last_third", round(w.p50LastThird));
      step.put("p99_ms", round(w.p99));
      step.put("bounded", bounded);
      steps.add(step);
      if (!bounded) {
        break;
      }
      best = w;
    }
    results.put("e2e_load_search", steps);
    if (best != null) {
      results.put("e2e_invoices_per_s", round(best.achieved));
      results.put("e2e_cpu_ms_per_invoice_by_stage", perInvoice(best.cpu, best.achieved * windowSeconds));
      results.put("e2e_postgresql_top_statements", best.topStatements);
      log("   sustained: %.0f invoices/s; CPU ms per invoice by stage at that load: %s", best.achieved, results.get("e2e_cpu_ms_per_invoice_by_stage"));
    } else {
      results.put("e2e_invoices_per_s", 0);
    }
  }

  /** The statements PostgreSQL spent most time executing since the last reset, per invoice issued. */
  private static List<String> topStatements(EmbeddedPostgresServer pg, long invoices) throws Exception {
    List<String> top = new ArrayList<>();
    try (Connection c = pg.connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT d.datname, s.calls, s.total_exec_time, s.rows, regexp_replace(left(s.query, 90), '\\s+', ' ', 'g') "
            + "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid ORDER BY s.total_exec_time DESC LIMIT 8")) {
      while (rs.next()) {
        top.add(String.format("%s: %.3f ms/invoice, %.2f calls/invoice, %.1f rows/call: %s", rs.getString(1), rs.getDouble(3) / invoices,
            rs.getLong(2) / (double) invoices, rs.getLong(4) / (double) Math.max(1, rs.getLong(2)), rs.getString(5)));
      }
    }
    return top;
  }

  private static boolean bounded(Window w, int offered) {
    return w.achievedEvents >= 0.9 * offered && w.p50LastThird - w.p50FirstThird <= 300;
  }

  private static Map<String, Double> perInvoice(Map<String, Double> cpuSeconds, double invoices) {
    Map<String, Double> out = new LinkedHashMap<>();
    cpuSeconds.forEach((k, v) -> out.put(k, Math.round(v * 1000 / invoices * 1000) / 1000.0));
    return out;
  }

  private static double rejected(Pipeline p) {
    var c = p.metrics().find("invoicesync.streams.rejected").counter();
    return c == null ? 0 : c.count();
  }

  /** What one window of offered load showed: invoices/s issued, commit-to-visible percentiles (ms), CPU by stage. */
  private record Window(double achieved, double achievedEvents, double p50, double p95, double p99, double p50FirstThird, double p50LastThird, Map<String, Double> cpu,
                        List<String> topStatements) {
    @Override
    public String toString() {
      return String.format("achieved %.0f invoices/s, commit-to-visible p50 %.0f ms, p95 %.0f ms, p99 %.0f ms (p50 first third %.0f ms, last third %.0f ms)",
          achieved, p50, p95, p99, p50FirstThird, p50LastThird);
    }
  }

  /**
   * Offers {@code rate} issuing events/s for {@code seconds} after a 3 s warm-up; percentiles of
   * source commit -> projector commit of the invoices issued in the window, once they are through.
   */
  private Window window(EmbeddedPostgresServer pg, String prefix, int rate, int seconds) throws Exception {
    sql(pg, "postgres", "SELECT pg_stat_statements_reset()");
    AtomicBoolean stop = new AtomicBoolean();
    InvoiceGenerator g = new InvoiceGenerator(pg.jdbcUrl("issuing"), prefix + "-", rate, false);
    List<Thread> workers = g.startAtRate(rate, rate > 300 ? 2 : 1, stop::get);
    Thread.sleep(3000); // warm-up excluded from the window
    CpuBreakdown cpu = CpuBreakdown.start(work.resolve("pg-e2e"));
    Instant from = Instant.now();
    long issuedAtFrom = g.issuedCount();
    long eventsAtFrom = g.eventCount();
    Thread.sleep(seconds * 1000L); // the measuring window: the generator paces itself
    Instant to = Instant.now();
    long invoicesInWindow = g.issuedCount() - issuedAtFrom;
    double achieved = invoicesInWindow / (double) seconds;
    double achievedEvents = (g.eventCount() - eventsAtFrom) / (double) seconds;
    Map<String, Double> spent = cpu.stop();
    List<String> top = topStatements(pg, Math.max(1, invoicesInWindow));
    stop.set(true);
    for (Thread w : workers) {
      w.join();
    }
    long issuedInWindow = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice WHERE id LIKE '" + prefix + "-%' AND created_at BETWEEN '"
        + Timestamp.from(from) + "+00' AND '" + Timestamp.from(to) + "+00'");
    long deadline = System.nanoTime() + Duration.ofMinutes(quick ? 2 : 10).toNanos();
    String window = "id LIKE '" + prefix + "-%' AND source_commit_ts BETWEEN '" + Timestamp.from(from) + "+00' AND '" + Timestamp.from(to) + "+00'";
    while (count(pg, "querystore", "SELECT count(*) FROM invoice WHERE " + window) < issuedInWindow * 0.93 && System.nanoTime() < deadline) {
      Thread.sleep(200); // drain
    }
    String lag = "extract(epoch FROM projected_at - source_commit_ts) * 1000";
    String firstThird = "'" + Timestamp.from(from.plusMillis(seconds * 1000L / 3)) + "+00'";
    String lastThird = "'" + Timestamp.from(to.minusMillis(seconds * 1000L / 3)) + "+00'";
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY " + lag + "), "
            + "percentile_cont(0.5) WITHIN GROUP (ORDER BY " + lag + ") FILTER (WHERE source_commit_ts < " + firstThird + "), "
            + "percentile_cont(0.5) WITHIN GROUP (ORDER BY " + lag + ") FILTER (WHERE source_commit_ts >= " + lastThird + ") "
            + "FROM invoice WHERE " + window)) {
      rs.next();
      Double[] p = (Double[]) rs.getArray(1).getArray();
      return new Window(achieved, achievedEvents, p[0], p[1], p[2], rs.getDouble(2), rs.getDouble(3), spent, top);
    }
  }

  // ---- 3. Kafka round trip ----------------------------------------------------------------

  private double kafkaRoundTrip(int n) throws Exception {
    SerdeFactory serdes = SerdeFactory.registryLess();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      Invoice inv = InvoiceFixtures.digitalInvoice("k-" + i, 1 + i % 5);
      values.add(serdes.valueSerde(InvoiceChange.class).serializer().serialize("t", InvoiceFixtures.created(inv, i)));
    }
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(work.resolve("kafka-rt"))) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("roundtrip", 6, (short) 1))).all().get();
      }
      long t0 = System.nanoTime();
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 5,
          "compression.type", "lz4", "acks", "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < n; i++) {
          p.send(new ProducerRecord<>("roundtrip", ("k-" + i).getBytes(), values.get(i % values.size())));
        }
        p.flush();
      }
      long got = 0;
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "group.id", "rt",
          "auto.offset.reset", "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of("roundtrip"));
        while (got < n) {
          got += c.poll(Duration.ofMillis(200)).count();
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      log("   %d records (avg %d bytes) produced and consumed in %.1f s", n, values.stream().mapToInt(v -> v.length).sum() / values.size(), seconds);
      return round(n / seconds);
    }
  }

  // ---- 4. upsert ceiling ------------------------------------------------------------------

  private double upsert(int n) throws Exception {
    List<InvoiceState> states = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      states.add(InvoiceFixtures.synced(InvoiceFixtures.digitalInvoice("u-" + i, 1 + i % 5), 1, i + 1));
    }
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(work.resolve("pg-upsert"), List.of("querystore"))) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(pg.jdbcUrl("querystore"));
      QueryStoreSchema.migrate(ds);
      QueryStoreWriter w = new QueryStoreWriter(ds);
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i += 1000) {
        w.write(states.subList(i, Math.min(n, i + 1000)));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      log("   %d invoices (3 lines average) upserted in %.1f s", n, seconds);
      return round(n / seconds);
    }
  }

  // ---- output -----------------------------------------------------------------------------

  private void write(Path out) throws Exception {
    Files.createDirectories(out);
    results.put("machine", machine());
    results.put("date", Instant.now().toString());
    String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results);
    Files.writeString(out.resolve("latest.json"), json + "\n");
    StringBuilder md = new StringBuilder("# invoice-sync bench (" + results.get("mode") + ")\n\n");
    md.append("Machine: ").append(results.get("machine")).append(", ").append(results.get("date")).append(". Everything in one box: ")
        .append("PostgreSQL (issuing DB and query store), the Kafka broker, every pipeline stage and the load generator share its cores.\n\n");
    md.append(targets());
    md.append("\n| measure | value |\n|---|---|\n");
    results.forEach((k, v) -> {
      if (!(v instanceof Map) && !(v instanceof List) && !k.equals("machine") && !k.equals("date")) {
        md.append("| ").append(k).append(" | ").append(v == null ? "not measured" : v).append(" |\n");
      }
    });
    md.append("\nLatency: source commit timestamp to the projector's commit time recorded with the row (`projected_at`).\n");
    md.append("![latency](latency.png)\n");
    if (results.get("e2e_load_search") instanceof List<?> steps) {
      md.append("\n## Load search (sustained end to end)\n\n| offered events/s | achieved invoices/s | p50 first third ms | p50 last third ms | p99 ms | bounded |\n|---|---|---|---|---|---|\n");
      for (Object o : steps) {
        Map<?, ?> st = (Map<?, ?>) o;
        md.append("| ").append(st.get("offered_events_per_s")).append(" | ").append(st.get("achieved_invoices_per_s")).append(" | ")
            .append(st.get("p50_ms_first_third")).append(" | ").append(st.get("p50_ms_last_third")).append(" | ").append(st.get("p99_ms"))
            .append(" | ").append(st.get("bounded")).append(" |\n");
      }
    }
    md.append(cpuTable());
    if (results.get("e2e_postgresql_top_statements") instanceof List<?> top) {
      md.append("\n## PostgreSQL's top statements at the sustained load (pg_stat_statements)\n\n");
      top.forEach(t -> md.append("- ").append(t).append('\n'));
    }
    if (results.get("peer_config") instanceof Map<?, ?> cfg) {
      md.append("\n## The peer's configuration (Kafka Connect standalone " + org.apache.kafka.common.utils.AppInfoParser.getVersion()
          + ", Debezium " + DebeziumEngine.class.getPackage().getImplementationVersion() + "), as run\n");
      cfg.forEach((file, props) -> {
        md.append("\n`").append(file).append("`\n```properties\n");
        ((Map<?, ?>) props).forEach((k, v) -> md.append(k).append('=').append(v).append('\n'));
        md.append("```\n");
      });
    }
    Files.writeString(out.resolve("latest.md"), md.toString());
    plot(out.resolve("latency.png"));
    System.out.println();
    System.out.print(md);
    System.out.println("\nwritten: " + out.resolve("latest.md") + ", latest.json, latency.png");
  }

  /** The targets of issue 6 (throughput, latency, memory) and issue 11 (reconcile) against this run. */
  private String targets() {
    StringBuilder t = new StringBuilder("| target | this run | |\n|---|---|---|\n");
    target(t, "end to end >= 75% of the Debezium capture ceiling (sustained / warm capture)", results.get("e2e_vs_capture"), 0.75, true);
    target(t, "end to end >= 5x the peer (same backlog, both from a cold start)", results.get("e2e_vs_peer"), 5, true);
    target(t, "p99 commit-to-visible <= 500 ms at 1,000/s offered", results.get("p99_ms_at_1000"), 500, false);
    target(t, "peak RSS of the process hosting the pipeline <= 1.5 GiB (MB)", results.get("peak_rss_mb"), 1536, false);
    target(t, "reconcile 1,000,000 invoices with 100 planted differences <= 15 s (median of 3)", results.get("reconcile_1m_seconds"), 15, false);
    target(t, "reconcile 1,000,000 equal invoices <= 10 s (median of 3)", results.get("reconcile_1m_equal_seconds"), 10, false);
    return t.toString();
  }

  private static void target(StringBuilder t, String name, Object value, double limit, boolean atLeast) {
    String verdict = !(value instanceof Number n) ? "not measured" : (atLeast ? n.doubleValue() >= limit : n.doubleValue() <= limit) ? "met" : "MISSED";
    t.append("| ").append(name).append(" | ").append(value == null ? "-" : value).append(" | ").append(verdict).append(" |\n");
  }

  /** CPU per invoice by stage, side by side: capture alone, the sustained load, the warm backlog. */
  private String cpuTable() {
    String[] keys = {"debezium_capture_cpu_ms_per_invoice_by_stage", "e2e_cpu_ms_per_invoice_by_stage", "e2e_warm_backlog_cpu_ms_per_invoice_by_stage"};
    List<Map<?, ?>> cols = new ArrayList<>();
    java.util.Set<Object> stages = new java.util.LinkedHashSet<>();
    for (String k : keys) {
      Map<?, ?> m = results.get(k) instanceof Map<?, ?> mm ? mm : Map.of();
      cols.add(m);
      stages.addAll(m.keySet());
    }
    if (stages.isEmpty()) {
      return "";
    }
    StringBuilder t = new StringBuilder("\n## CPU ms per invoice, by stage\n\n| stage | capture alone | sustained end to end | warm backlog end to end |\n|---|---|---|---|\n");
    for (Object stage : stages) {
      t.append("| ").append(stage);
      for (Map<?, ?> c : cols) {
        Object v = c.get(stage);
        t.append(" | ").append(v == null ? "" : v);
      }
      t.append(" |\n");
    }
    return t.toString();
  }

  private void plot(Path file) throws Exception {
    int w = 640;
    int h = 400;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    int left = 70;
    int bottom = h - 50;
    int top = 40;
    int right = w - 20;
    double maxY = latencies.stream().mapToDouble(l -> l[3]).max().orElse(1) * 1.1;
    double maxX = latencies.stream().mapToDouble(l -> l[0]).max().orElse(1);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawLine(left, bottom, right, bottom);
    g.drawLine(left, bottom, left, top);
    g.drawString("commit-to-visible latency (ms) vs offered load (invoices/s)", left, 20);
    for (int i = 0; i <= 4; i++) {
      int y = bottom - (bottom - top) * i / 4;
      g.drawString(String.format("%.0f", maxY * i / 4), 10, y + 4);
    }
    String[] names = {"p50", "p95", "p99"};
    Color[] colors = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0xd62728)};
    for (int k = 0; k < 3; k++) {
      g.setColor(colors[k]);
      g.setStroke(new BasicStroke(2));
      int px = -1;
      int py = -1;
      for (double[] l : latencies) {
        int x = left + (int) ((right - left) * (l[0] / maxX));
        int y = bottom - (int) ((bottom - top) * (l[k + 1] / maxY));
        g.fillOval(x - 3, y - 3, 6, 6);
        if (px >= 0) {
          g.drawLine(px, py, x, y);
        }
        px = x;
        py = y;
      }
      g.drawString(names[k], right - 40, top + 15 * (k + 1));
    }
    g.setColor(Color.BLACK);
    for (double[] l : latencies) {
      int x = left + (int) ((right - left) * (l[0] / maxX));
      g.drawString(String.format("%.0f", l[0]), x - 12, bottom + 18);
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static String machine() {
    return Runtime.getRuntime().availableProcessors() + " cores, " + Math.round(
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1e9) + " GB, "
        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
  }

  private static void sql(EmbeddedPostgresServer pg, String db, String sql) throws Exception {
    try (Connection c = pg.connect(db); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static long count(EmbeddedPostgresServer pg, String db, String sql) throws Exception {
    try (Connection c = pg.connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static void log(String fmt, Object... args) {
    System.out.printf(fmt + "%n", args);
    System.out.flush();
  }
}
