package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.count;
import static io.invoicesync.bench.BenchRun.sql;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.InvoiceGenerator;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One window of offered load on a running pipeline: the generator offers {@code rate} issuing
 * events/s for a number of seconds after a 3 s warm-up; what it measured is read back from the
 * query store once the window's invoices are through: percentiles of source commit to projector
 * commit ({@code projected_at - source_commit_ts}), CPU by stage, PostgreSQL's top statements.
 *
 * @param offered        issuing events/s offered
 * @param achieved       invoices/s the issuing database took in the window
 * @param achievedEvents issuing events/s (creations and status changes) it took
 * @param p50            commit-to-visible median, ms; {@code p95}, {@code p99} likewise
 * @param p50FirstThird  median of the invoices committed in the window's first third, ms
 * @param p50LastThird   median of those of its last third, ms (a growing lag shows here)
 * @param cpuSeconds     CPU seconds by stage over the window
 * @param topStatements  PostgreSQL's costliest statements in the window, per invoice
 * @param p50Thirds      p50 of each third of the window (by source commit time), ms, NaN for a third without invoices
 * @param p99Thirds      p99 likewise: the window's own spread (issue 23's repeatability), at no extra run time
 */
record LoadWindow(int offered, double achieved, double achievedEvents, double p50, double p95, double p99, double p50FirstThird,
                  double p50LastThird, Map<String, Double> cpuSeconds, List<String> topStatements, List<Double> p50Thirds,
                  List<Double> p99Thirds) {

  LoadWindow {
    p50Thirds = List.copyOf(p50Thirds);
    p99Thirds = List.copyOf(p99Thirds);
  }

  /** Bounded: the generator achieved at least 90% of the offer and the lag did not grow by more than 300 ms over the window. */
  boolean bounded() {
    return achievedEvents >= 0.9 * offered && p50LastThird - p50FirstThird <= 300;
  }

  @Override
  public String toString() {
    return String.format("achieved %.0f invoices/s, commit-to-visible p50 %.0f ms, p95 %.0f ms, p99 %.0f ms (p50 first third %.0f ms, last third %.0f ms)",
        achieved, p50, p95, p99, p50FirstThird, p50LastThird);
  }

  static LoadWindow measure(BenchRun run, EmbeddedPostgresServer pg, String prefix, int rate, int seconds) throws Exception {
    sql(pg, "postgres", "SELECT pg_stat_statements_reset()");
    AtomicBoolean stop = new AtomicBoolean();
    InvoiceGenerator g = run.generator(pg, prefix + "-", rate);
    List<Thread> workers = g.startAtRate(rate, rate > 300 ? 2 : 1, stop::get);
    Thread.sleep(3000); // warm-up excluded from the window (the generator paces itself; nothing to wait for)
    CpuBreakdown cpu = CpuBreakdown.start(run.work().resolve("pg-e2e"));
    Instant from = Instant.now();
    long issuedAtFrom = g.issuedCount();
    long eventsAtFrom = g.eventCount();
    Thread.sleep(seconds * 1000L); // the measuring window itself
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
    long deadline = System.nanoTime() + Duration.ofMinutes(run.quick() ? 2 : 10).toNanos();
    String window = "id LIKE '" + prefix + "-%' AND source_commit_ts BETWEEN '" + Timestamp.from(from) + "+00' AND '" + Timestamp.from(to) + "+00'";
    while (count(pg, "querystore", "SELECT count(*) FROM invoice WHERE " + window) < issuedInWindow * 0.93 && System.nanoTime() < deadline) {
      Thread.sleep(200); // measurement poll of an external condition: the window's invoices drain
    }
    String lag = "extract(epoch FROM projected_at - source_commit_ts) * 1000";
    String firstThird = "'" + Timestamp.from(from.plusMillis(seconds * 1000L / 3)) + "+00'";
    String lastThird = "'" + Timestamp.from(to.minusMillis(seconds * 1000L / 3)) + "+00'";
    String thirds = "percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY " + lag + ") FILTER (WHERE %s)";
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY " + lag + "), "
            + "percentile_cont(0.5) WITHIN GROUP (ORDER BY " + lag + ") FILTER (WHERE source_commit_ts < " + firstThird + "), "
            + "percentile_cont(0.5) WITHIN GROUP (ORDER BY " + lag + ") FILTER (WHERE source_commit_ts >= " + lastThird + "), "
            + String.format(thirds, "source_commit_ts < " + firstThird) + ", "
            + String.format(thirds, "source_commit_ts >= " + firstThird + " AND source_commit_ts < " + lastThird) + ", "
            + String.format(thirds, "source_commit_ts >= " + lastThird) + " "
            + "FROM invoice WHERE " + window)) {
      rs.next();
      Double[] p = (Double[]) rs.getArray(1).getArray();
      List<Double> p50s = new ArrayList<>();
      List<Double> p99s = new ArrayList<>();
      for (int col = 4; col <= 6; col++) {
        Array a = rs.getArray(col);
        Double[] t = a == null ? null : (Double[]) a.getArray();
        p50s.add(t == null || t[0] == null ? Double.NaN : t[0]);
        p99s.add(t == null || t[1] == null ? Double.NaN : t[1]);
      }
      return new LoadWindow(rate, achieved, achievedEvents, p[0], p[1], p[2], rs.getDouble(2), rs.getDouble(3), spent, top, p50s, p99s);
    }
  }

  /** The statements PostgreSQL spent most time executing since the last reset, per invoice issued. */
  static List<String> topStatements(EmbeddedPostgresServer pg, long invoices) throws Exception {
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
}
