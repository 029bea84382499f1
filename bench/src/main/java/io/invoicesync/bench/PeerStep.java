package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.count;
import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.round;
import static io.invoicesync.bench.BenchRun.sql;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Step 5, the peer: the same kind of backlog through the pipeline a user would otherwise assemble
 * ({@link PeerPipeline}), timed from the Connect JVM's start until every issued invoice and line is
 * in the target tables; measured like the end-to-end backlog: overall and from the first visible
 * row on.
 */
final class PeerStep {

  /**
   * @param invoicesPerS          over the whole run, Connect's start included
   * @param steadyInvoicesPerS    from the first visible invoice on
   * @param rowsPerS              invoices and lines per second
   * @param cpuSeconds            CPU seconds of the Connect JVM
   * @param postgresqlCpuSeconds  CPU seconds of PostgreSQL, or null when not readable
   * @param peakRssMb             peak RSS of the Connect JVM
   * @param configs               the worker, source and sink configurations, as run
   * @param incomplete            null, or what was visible when the peer stopped making progress
   */
  record Result(double invoicesPerS, double steadyInvoicesPerS, double rowsPerS, double cpuSeconds, Double postgresqlCpuSeconds,
                long peakRssMb, Map<String, Map<String, String>> configs, String incomplete) {
  }

  private PeerStep() {
  }

  static Result run(BenchRun run, Path peerLib) throws Exception {
    return run(run, peerLib, run.backlog(), "peer");
  }

  /** The peer over a backlog of {@code n} invoices, its servers and Connect's files under {@code name} in the work directory. */
  static Result run(BenchRun run, Path peerLib, int n, String name) throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(run.work().resolve("pg-" + name), List.of("issuing", "peer"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-" + name))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      sql(pg, "issuing", "CREATE PUBLICATION peer_pub FOR TABLE issuing.invoice, issuing.invoice_line");
      sql(pg, "issuing", "SELECT pg_create_logical_replication_slot('peer_slot', 'pgoutput')");
      run.issue(pg, n, "bench-");
      long invoices = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
      long lines = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice_line");
      return drain(run, pg, kafka.bootstrapServers(), peerLib, name, invoices, lines, "no_data",
          Duration.ofMinutes(n > 30_000 ? 25 : run.quick() ? 4 : 15));
    }
  }

  /**
   * Starts the peer on {@code pg}'s issuing database (slot {@code peer_slot}, publication {@code peer_pub})
   * and times it until {@code invoices} and {@code lines} are in its target database {@code peer}.
   *
   * @param snapshotMode the source's: {@code no_data} streams a WAL backlog, {@code initial} reads the existing rows first
   */
  static Result drain(BenchRun run, EmbeddedPostgresServer pg, String bootstrap, Path peerLib, String name, long invoices, long lines,
                      String snapshotMode, Duration timeout) throws Exception {
    CpuBreakdown pgCpu = CpuBreakdown.start(run.work().resolve("pg-" + name));
    long t0 = System.nanoTime();
    try (PeerPipeline peer = PeerPipeline.start(peerLib, run.work().resolve(name), bootstrap, pg.port(), "peer_slot", "peer_pub",
        "peer", snapshotMode)) {
      long deadline = System.nanoTime() + timeout.toNanos();
      long firstVisibleAt = 0;
      long visibleAtFirst = 0;
      long[] seen = {0, 0};
      long progressAt = System.nanoTime();
      String incomplete = null;
      while (seen[0] < invoices || seen[1] < lines) {
        if (!peer.alive()) {
          throw new IllegalStateException("Kafka Connect exited; the end of its log (" + peer.log + "):\n" + peer.tail());
        }
        if (System.nanoTime() > deadline || System.nanoTime() - progressAt > Duration.ofSeconds(90).toNanos()) {
          incomplete = "after " + Duration.ofNanos(System.nanoTime() - t0).toSeconds() + " s: " + seen[0] + " of " + invoices
              + " invoices, " + seen[1] + " of " + lines + " lines";
          log("   the peer did not finish: %s", incomplete);
          break;
        }
        long[] now = rows(pg);
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
      Double pgSeconds = pgCpu.stop().get("postgresql");
      log("   %d invoices + %d lines visible in %.1f s (incl. Connect start); %.0f invoices/s from the first visible one on",
          seen[0], seen[1], seconds, (seen[0] - visibleAtFirst) / steadySeconds);
      return new Result(round(seen[0] / seconds), round((seen[0] - visibleAtFirst) / steadySeconds), round((seen[0] + seen[1]) / seconds),
          round(peer.cpuSeconds()), pgSeconds == null ? null : round(pgSeconds), peer.peakRssMb(), peer.configs, incomplete);
    }
  }

  /** Rows the peer's sink has written so far: {invoices, lines}; 0 before its tables exist. */
  private static long[] rows(EmbeddedPostgresServer pg) throws Exception {
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
}
