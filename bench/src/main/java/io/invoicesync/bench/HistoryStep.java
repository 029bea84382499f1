package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.count;
import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.round;
import static io.invoicesync.bench.BenchRun.sql;

import io.invoicesync.cli.Pipeline;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.ExistingInvoices;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.outcomes.history.HistoryLoad;
import io.invoicesync.projector.QueryStoreSchema;
import java.nio.file.Path;
import java.sql.Connection;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * Step history (issue 25's {@code history_1m_seconds}): an issuing platform's existing invoices
 * (3 lines on average, all valid), there before capture begins, loaded and visible. Ours: the
 * pipeline started without an initial snapshot, then {@code history load} (a Debezium incremental
 * snapshot, chunked between the stream's events, resumable), timed from the load's start until every
 * invoice is visible. The peer: the stock Debezium source with {@code snapshot.mode=initial} and the
 * JDBC sink, on the same data, timed from Connect's start until every invoice and line is in.
 */
final class HistoryStep {

  /**
   * @param invoices     the existing invoices each side loads
   * @param lines        their lines
   * @param seconds      ours: from the load's start until every invoice is visible
   * @param invoicesPerS ours
   * @param peer         the peer's initial snapshot of the same data
   */
  record Result(int invoices, long lines, double seconds, double invoicesPerS, PeerStep.Result peer, Double peerSeconds) {

    /** The peer's time over ours (above 1: we are faster); null when the peer did not finish. */
    Double ratio() {
      return peerSeconds == null || peer.incomplete() != null ? null : round(peerSeconds / seconds);
    }
  }

  private HistoryStep() {
  }

  static Result run(BenchRun run, Path peerLib, int n) throws Exception {
    long lines;
    double seconds;
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(run.work().resolve("pg-history"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-history"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      lines = fill(pg, n);
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, run.work().resolve("streams-history"));
      cfg.put("ingest.snapshot.mode", "no_data"); // the existing invoices are history: loaded by 'history load'
      try (Pipeline pipeline = new Pipeline(cfg, EnumSet.of(Pipeline.Component.INGEST, Pipeline.Component.STREAMS,
          Pipeline.Component.PROJECTOR)).start()) {
        pipeline.awaitIngestStreaming(Duration.ofMinutes(2));
        pipeline.awaitStreamsRunning(Duration.ofMinutes(2));
        RunConfig rc = RunConfig.of(cfg);
        HistoryLoad load = new HistoryLoad(rc.resyncer(), rc.storeForWriter(), null);
        long t0 = System.nanoTime();
        HistoryLoad.Progress p = load.start(null);
        long deadline = System.nanoTime() + Duration.ofMinutes(n > 100_000 ? 120 : 20).toNanos();
        long visible = 0;
        long logged = System.nanoTime();
        while (visible < n && System.nanoTime() < deadline) {
          Thread.sleep(500); // measurement poll of an external condition
          visible = count(pg, "querystore", "SELECT count(*) FROM invoice");
          if (System.nanoTime() - logged > Duration.ofSeconds(30).toNanos()) {
            p = load.measure(p);
            log("   history load: %d of %d visible, %.0f/s", visible, n, p.ratePerSecond() == null ? 0.0 : p.ratePerSecond());
            logged = System.nanoTime();
          }
        }
        seconds = (System.nanoTime() - t0) / 1e9;
        if (visible < n) {
          throw new IllegalStateException("history load: " + visible + " of " + n + " visible when the step gave up");
        }
        log("   %d existing invoices (%d lines) loaded and visible in %.1f s: %.0f/s", n, lines, seconds, n / seconds);
      }
    }
    log("   our side's issuing database, query store, Kafka and state held %d MB (deleted)",
        run.discard("pg-history", "kafka-history", "streams-history"));
    log("   the peer's initial snapshot of the same %d invoices", n);
    PeerStep.Result peer;
    double peerSeconds;
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(run.work().resolve("pg-peer-history"), List.of("issuing", "peer"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-peer-history"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      sql(pg, "issuing", "CREATE PUBLICATION peer_pub FOR TABLE issuing.invoice, issuing.invoice_line");
      fill(pg, n);
      // the sink subscribes by pattern: a topic the source creates mid-snapshot would be found only at the next metadata refresh
      // (5 minutes), so both exist before Connect starts, as an operator running the snapshot would have them
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("peer.issuing.invoice", 1, (short) 1), new NewTopic("peer.issuing.invoice_line", 1, (short) 1)))
            .all().get();
      }
      long t0 = System.nanoTime();
      peer = PeerStep.drain(run, pg, kafka.bootstrapServers(), peerLib, "peer-history", n, lines, "initial",
          Duration.ofMinutes(n > 100_000 ? 180 : 30));
      peerSeconds = (System.nanoTime() - t0) / 1e9;
    }
    return new Result(n, lines, round(seconds), round(n / seconds), peer, peer.incomplete() == null ? round(peerSeconds) : null);
  }

  /** {@code n} valid existing invoices with 1 to 5 lines each (3 on average); returns the lines. */
  static long fill(EmbeddedPostgresServer pg, int n) throws Exception {
    try (Connection c = pg.connect("issuing")) {
      long lines = ExistingInvoices.insert(c, "hist-", 0, n, 5);
      sql(pg, "issuing", "ANALYZE issuing.invoice");
      return lines;
    }
  }

}
