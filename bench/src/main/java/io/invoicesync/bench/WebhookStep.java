package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.invoicesync.cli.Pipeline;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.webhooks.Endpoints;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Step webhooks (issue 27's {@code webhook_p99_ms_at_200}): the pipeline with the webhooks component,
 * one endpoint on this machine (a real HTTP server answering 204) subscribed to invoice.visible.
 * At 200 invoices/s offered: commit-to-delivered p50/p99 (the source commit time the body carries
 * to the receiver's clock), and how much of it is after the invoice became visible (its
 * {@code projectedAt}); then a burst issued as fast as the generator goes, and deliveries per second
 * from its first delivery to its last.
 */
final class WebhookStep {

  /**
   * @param commitToDeliveredMs p50, p95, p99 at 200/s over the window (ms)
   * @param visibleToDeliveredMs the same, from the invoice's projectedAt
   * @param p99Thirds the p99 of each third of the window
   * @param coldCommitToDeliveredMs p50, p95, p99 over the load's first window, while the JIT compiler is still busy
   * @param warmupSeconds how long the load ran before the measured window
   * @param jitSettled whether the JIT compiler had settled by then (false: the warm-up's limit ended it)
   * @param legsMs where the time after visible goes (fan-out, queued, attempt, recorded), p50/p95/p99 each
   * @param cpuMsPerInvoice CPU by stage over the measured window, ms per invoice offered
   */
  record Result(int offered, int windowSeconds, long delivered, List<Double> commitToDeliveredMs, List<Double> visibleToDeliveredMs,
                List<Double> p99Thirds, long burstInvoices, double burstDeliveriesPerS, List<Double> coldCommitToDeliveredMs, double warmupSeconds,
                boolean jitSettled, Map<String, List<Double>> legsMs, Map<String, Double> cpuMsPerInvoice) {

    double p99() {
      return commitToDeliveredMs.get(2);
    }
  }

  /** One delivery as the receiver saw it. */
  private record Received(String invoiceId, Instant at, Instant committed, Instant projected) {
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private WebhookStep() {
  }

  static Result run(BenchRun run) throws Exception {
    int offered = 200;
    int window = run.quick() ? 30 : 60;
    List<Received> received = new CopyOnWriteArrayList<>();
    Map<String, Boolean> ids = new ConcurrentHashMap<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
    AtomicInteger receiverThreads = new AtomicInteger();
    receiver.setExecutor(Executors.newFixedThreadPool(8, r -> new Thread(r, "bench-receiver-" + receiverThreads.incrementAndGet())));
    receiver.createContext("/erp", exchange -> {
      Instant at = Instant.now();
      byte[] raw;
      try (InputStream in = exchange.getRequestBody()) {
        raw = in.readAllBytes();
      }
      String id = exchange.getRequestHeaders().getFirst("webhook-id");
      if (ids.putIfAbsent(id, Boolean.TRUE) == null) {
        JsonNode inv = JSON.readTree(raw).get("data").get("invoice");
        JsonNode sync = inv.get("sync");
        received.add(new Received(inv.get("id").asText(), at, Instant.parse(sync.get("sourceCommitTs").asText()),
            Instant.parse(sync.get("projectedAt").asText())));
      }
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    Path pgDir = run.work().resolve("pg-webhooks");
    // track_commit_timestamp: when each message was enqueued, its body row's (insert-only) commit time
    try (EmbeddedPostgresServer pg = EndToEndStep.startPostgres(pgDir, Map.of("track_commit_timestamp", "on"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-webhooks"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      BenchRun.sql(pg, "postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, run.work().resolve("streams-webhooks"));
      PGSimpleDataSource store = new PGSimpleDataSource();
      store.setUrl(pg.jdbcUrl("querystore"));
      store.setUser("postgres");
      new Endpoints(store).create(Tenant.ALL, new Endpoints.Spec("http://127.0.0.1:" + receiver.getAddress().getPort() + "/erp", "bench ERP",
          List.of("invoice.visible"), null, null, null), true, true);
      try (Pipeline pipeline = new Pipeline(cfg, EnumSet.of(Pipeline.Component.INGEST, Pipeline.Component.STREAMS, Pipeline.Component.PROJECTOR,
          Pipeline.Component.WEBHOOKS)).start()) {
        pipeline.awaitIngestStreaming(Duration.ofMinutes(2));
        pipeline.awaitStreamsRunning(Duration.ofMinutes(2));
        // first a burst, which also warms every stage up (as step e2e's cold backlog does before its latency windows)
        int burst = run.quick() ? 5_000 : 20_000;
        run.issue(pg, burst, "whb-");
        long expected = BenchRun.count(pg, "issuing", "SELECT count(*) FROM issuing.invoice WHERE id LIKE 'whb-%'");
        awaitDelivered(pg, received, "whb-", Duration.ofMinutes(10));
        List<Received> burstGot = received.stream().filter(r -> r.invoiceId().startsWith("whb-")).toList();
        double seconds = burstGot.isEmpty() ? 0 : Duration.between(burstGot.get(0).at(), burstGot.get(burstGot.size() - 1).at()).toMillis() / 1000.0;
        double perS = seconds == 0 ? 0 : round(burstGot.size() / seconds);
        log("   burst: %d invoices issued, %d deliveries in %.1f s: %.0f deliveries/s", expected, burstGot.size(), seconds, perS);

        // then 200/s: a first window while the JVM still compiles (cold), the load going on until the JIT compiler has settled, and the
        // measured window (steady state); the load never stops in between
        InvoiceGenerator g = run.generator(pg, "wh-", offered);
        AtomicBoolean stop = new AtomicBoolean();
        long loadStart = System.nanoTime();
        List<Thread> threads = g.startAtRate(offered, 1, stop::get);
        Thread.sleep(5_000); // the load's first seconds stay out of the cold window
        Instant coldFrom = Instant.now();
        Thread.sleep(window * 1000L);
        Instant coldTo = Instant.now();
        boolean settled = JitCompiler.awaitSettled(Duration.ofSeconds(run.quick() ? 180 : 300));
        double warmup = (System.nanoTime() - loadStart) / 1e9;
        BenchRun.sql(pg, "postgres", "SELECT pg_stat_statements_reset()");
        Instant from = Instant.now();
        CpuBreakdown cpu = CpuBreakdown.start(pgDir);
        Thread.sleep(window * 1000L);
        stop.set(true);
        for (Thread t : threads) {
          t.join();
        }
        Instant to = Instant.now();
        Map<String, Double> cpuMs = BenchRun.perInvoice(cpu.stop(), offered * Duration.between(from, to).toMillis() / 1000.0);
        awaitDelivered(pg, received, "wh-", Duration.ofMinutes(2)); // the window's last invoices arrive
        List<Double> cold = percentiles(window(received, coldFrom, coldTo).stream()
            .map(r -> (double) Duration.between(r.committed(), r.at()).toMillis()).toList());
        List<Received> inWindow = window(received, from, to);
        List<Double> total = percentiles(inWindow.stream().map(r -> (double) Duration.between(r.committed(), r.at()).toMillis()).toList());
        List<Double> afterVisible = percentiles(inWindow.stream().map(r -> (double) Duration.between(r.projected(), r.at()).toMillis()).toList());
        List<Double> thirds = new ArrayList<>();
        long third = Duration.between(from, to).toMillis() / 3;
        for (int i = 0; i < 3; i++) {
          Instant a = from.plusMillis(third * i);
          Instant b = from.plusMillis(third * (i + 1));
          thirds.add(percentiles(inWindow.stream().filter(r -> !r.committed().isBefore(a) && r.committed().isBefore(b))
              .map(r -> (double) Duration.between(r.committed(), r.at()).toMillis()).toList()).get(2));
        }
        Map<String, List<Double>> legs = breakdown(pg, from, to);
        log("   %d/s offered, cold (the load's first %d s after 5 s): commit->delivered p50/p95/p99 %s ms", offered, window, cold);
        log("   %d/s offered, steady (after %.0f s of the load, the JIT compiler %s) for %d s: %d delivered, commit->delivered p50/p95/p99 %s ms, "
            + "visible->delivered %s ms", offered, warmup, settled ? "settled" : "still busy", window, inWindow.size(), total, afterVisible);
        log("   of which p50/p95/p99 (ms): %s", legs);
        log("   CPU ms per invoice in the steady window, by stage: %s", cpuMs);
        LoadWindow.topStatements(pg, Math.max(1, inWindow.size())).forEach(t -> log("   statement: %s", t));
        return new Result(offered, window, inWindow.size(), total, afterVisible, thirds, expected, perS, cold, round(warmup), settled, legs, cpuMs);
      }
    } finally {
      receiver.stop(0);
    }
  }

  /**
   * Where the time after visible goes, for the window's first attempts: the fan-out (projected_at to the enqueue's commit), the
   * dispatcher's queue (enqueued to the attempt's start), the attempt itself, and its record (to delivered_at).
   */
  static Map<String, List<Double>> breakdown(EmbeddedPostgresServer pg, Instant from, Instant to) throws Exception {
    String sql = "WITH w AS (SELECT i.projected_at, pg_xact_commit_timestamp(b.xmin) AS enqueued, a.started_at, a.duration_ms, m.delivered_at "
        + "FROM webhook_message m JOIN webhook_body b ON b.id = m.id JOIN invoice i ON i.id = m.invoice_id AND i.version = m.version "
        + "JOIN webhook_attempt a ON a.message_seq = m.seq AND a.attempt = 1 "
        + "WHERE m.invoice_id LIKE 'wh-%' AND i.source_commit_ts >= ? AND i.source_commit_ts < ?) "
        + "SELECT s.k, percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY s.v) FROM w CROSS JOIN LATERAL (VALUES "
        + "(1, 'fan-out', extract(epoch FROM w.enqueued - w.projected_at) * 1000), "
        + "(2, 'queued', extract(epoch FROM w.started_at - w.enqueued) * 1000), "
        + "(3, 'attempt', w.duration_ms::numeric), "
        + "(4, 'recorded', extract(epoch FROM w.delivered_at - w.started_at) * 1000 - w.duration_ms)) AS s (o, k, v) GROUP BY s.o, s.k ORDER BY s.o";
    Map<String, List<Double>> out = new LinkedHashMap<>();
    try (Connection c = pg.connect("querystore"); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setTimestamp(1, Timestamp.from(from));
      ps.setTimestamp(2, Timestamp.from(to));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Double[] v = (Double[]) rs.getArray(2).getArray();
          out.put(rs.getString(1), Arrays.stream(v).map(BenchRun::round).toList());
        }
      }
    }
    return out;
  }

  /** The window's deliveries: invoices of the load (not the burst) committed in [from, to). */
  private static List<Received> window(List<Received> received, Instant from, Instant to) {
    return received.stream().filter(r -> r.invoiceId().startsWith("wh-") && !r.committed().isBefore(from) && r.committed().isBefore(to)).toList();
  }

  /** Until every invoice of {@code prefix} visible in the store has reached the receiver, and that for 2 s (or {@code atMost}). */
  private static void awaitDelivered(EmbeddedPostgresServer pg, List<Received> received, String prefix, Duration atMost) throws Exception {
    long deadline = System.nanoTime() + atMost.toNanos();
    int stable = 0;
    long lastVisible = -1;
    while (stable < 4 && System.nanoTime() < deadline) {
      Thread.sleep(500); // the pipeline and the endpoint draining
      long visible = BenchRun.count(pg, "querystore", "SELECT count(*) FROM invoice WHERE id LIKE '" + prefix + "%'");
      long got = received.stream().filter(r -> r.invoiceId().startsWith(prefix)).map(Received::invoiceId).distinct().count();
      stable = visible == lastVisible && got >= visible && visible > 0 ? stable + 1 : 0;
      lastVisible = visible;
    }
  }

  /** [p50, p95, p99] in ms, one decimal; NaN when there is nothing to rank. */
  private static List<Double> percentiles(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    v.sort(Double::compare);
    if (v.isEmpty()) {
      return List.of(Double.NaN, Double.NaN, Double.NaN);
    }
    return List.of(at(v, 0.50), at(v, 0.95), at(v, 0.99));
  }

  private static double at(List<Double> sorted, double q) {
    return round(sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)));
  }
}
