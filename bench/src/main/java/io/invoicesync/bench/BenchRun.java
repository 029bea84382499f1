package io.invoicesync.bench;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.InvoiceGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every step of one bench run shares: its working directory (one embedded server per step
 * under it), the mode, the generators' seed, and the few helpers the steps use to issue invoices
 * and to read counts.
 *
 * @param work   scratch directory of this run (PostgreSQL and Kafka data, the bench log)
 * @param quick  smaller backlogs and shorter windows
 * @param seed   seed of every {@link InvoiceGenerator} the run starts (each derives its own from it and its id prefix)
 */
record BenchRun(Path work, boolean quick, long seed) {

  /**
   * Deletes a finished stage's directories under the work directory (a million-invoice step leaves gigabytes the next
   * stage needs) and returns how many megabytes they held.
   */
  long discard(String... names) {
    long bytes = 0;
    for (String name : names) {
      Path dir = work.resolve(name);
      if (!Files.exists(dir)) {
        continue;
      }
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          bytes += Files.isRegularFile(p) ? Files.size(p) : 0;
          Files.delete(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("could not delete " + dir, e);
      }
    }
    return bytes >> 20;
  }

  int backlog() {
    return quick ? 10_000 : 30_000;
  }

  /** The end-to-end and peer backlog of step e2e50k (issue 23's {@code e2e_vs_peer_50k}), whatever the mode. */
  static final int BACKLOG_50K = 50_000;

  /** A generator seeded from the run's seed, its id prefix and its rate, so that the same run issues the same invoices. */
  InvoiceGenerator generator(EmbeddedPostgresServer pg, String prefix, int rate) {
    return new InvoiceGenerator(pg.jdbcUrl("issuing"), prefix, seedFor(prefix, rate), false);
  }

  /** The seed of the generator with this id prefix and rate. */
  long seedFor(String prefix, int rate) {
    return seed * 31 + prefix.hashCode() * 17L + rate;
  }

  /** Issues {@code n} invoice transactions as fast as two generator threads go (the generator's usual mix). */
  InvoiceGenerator issue(EmbeddedPostgresServer pg, int n, String prefix) throws InterruptedException {
    InvoiceGenerator g = generator(pg, prefix, 0);
    long t0 = System.nanoTime();
    for (Thread t : g.startAtRate(1_000_000, 2, () -> g.issuedCount() >= n)) {
      t.join();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    log("   issued %d invoices in %.1f s (%.0f/s, two generator threads)", g.issuedCount(), seconds, g.issuedCount() / seconds);
    return g;
  }

  /** The issuing database's publication and slot, as ingest expects them, created before the backlog is issued. */
  static void prepareCapture(EmbeddedPostgresServer pg) throws Exception {
    sql(pg, "issuing", "CREATE PUBLICATION invoice_sync FOR TABLE issuing.invoice, issuing.invoice_line, issuing.invoice_sync_heartbeat");
    sql(pg, "issuing", "SELECT pg_create_logical_replication_slot('invoice_sync', 'pgoutput')"); // its own transaction: slots need one without writes
  }

  static void sql(EmbeddedPostgresServer pg, String db, String sql) throws Exception {
    try (Connection c = pg.connect(db); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static long count(EmbeddedPostgresServer pg, String db, String sql) throws Exception {
    try (Connection c = pg.connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /** CPU seconds by stage turned into CPU milliseconds per invoice. */
  static Map<String, Double> perInvoice(Map<String, Double> cpuSeconds, double invoices) {
    Map<String, Double> out = new LinkedHashMap<>();
    cpuSeconds.forEach((k, v) -> out.put(k, Math.round(v * 1000 / invoices * 1000) / 1000.0));
    return out;
  }

  /** [min, median, max] of the values that are numbers (NaN and null left out, e.g. a latency third without invoices); empty when none is. */
  static List<Double> spread(List<Double> values) {
    List<Double> v = values.stream().filter(d -> d != null && !d.isNaN()).sorted().toList();
    if (v.isEmpty()) {
      return List.of();
    }
    int n = v.size();
    double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    return List.of(v.get(0), median, v.get(n - 1));
  }

  static void log(String fmt, Object... args) {
    System.out.printf(fmt + "%n", args);
    System.out.flush();
  }
}
