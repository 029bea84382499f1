package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.outcomes.reconcile.ReconcileClass;
import io.invoicesync.outcomes.reconcile.Reconciler;
import io.invoicesync.projector.QueryStoreSchema;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntFunction;
import org.postgresql.PGConnection;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Reconcile at scale (issue "prove that nothing is missing"): both databases filled directly with
 * COPY (1,000,000 invoices, 1-5 lines each, 3 on average), reconciled equal, then with 100 planted
 * differences (40 rows deleted from the store, 30 status changes and 20 line amounts rolled back
 * in it, 10 rows only in it), each timed three times.
 */
final class ReconcileStep {

  /**
   * @param invoices           invoices in each database
   * @param fillSeconds        time to fill both with COPY
   * @param equalSeconds       the three runs over equal data
   * @param plantedSeconds     the three runs with the planted differences
   * @param found              differences found, by class (MISSING, STALE, EXTRA)
   * @param buckets            buckets compared in the last run
   * @param invoicesCompared   invoices compared row by row in the last run
   */
  record Result(int invoices, double fillSeconds, List<Double> equalSeconds, List<Double> plantedSeconds, Map<String, Integer> found,
                long buckets, long invoicesCompared) {

    double equalMedianSeconds() {
      return median(equalSeconds);
    }

    double plantedMedianSeconds() {
      return median(plantedSeconds);
    }
  }


  static final int PLANTED = 100;

  private ReconcileStep() {
  }

  static Result run(BenchRun run, int invoices) throws Exception {
    Path work = run.work();
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(work.resolve("pg-reconcile"), List.of("issuing", "querystore"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      long t0 = System.nanoTime();
      var issuing = CompletableFuture.runAsync(() -> fillUnchecked(pg, "issuing", "issuing.invoice", "issuing.invoice_line",
          invoices, false));
      fill(pg, "querystore", "invoice", "invoice_line", invoices, true);
      issuing.join();
      double fillSeconds = seconds(t0);
      Reconciler reconciler = new Reconciler(ds(pg, "issuing"), "issuing", ds(pg, "querystore"), Duration.ofSeconds(60));

      List<Double> equal = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        long start = System.nanoTime();
        Reconciler.Report r = reconciler.reconcile(Reconciler.Scope.ALL, i > 0 ? p -> { } : p -> log("     %6.2f s: %s", seconds(start), p));
        if (!r.differences().isEmpty()) {
          throw new IllegalStateException("equal data reconciled with " + r.differences().size() + " differences");
        }
        equal.add(r.seconds());
        log("   equal: %d invoices reconciled in %.2f s (%s)", r.sourceInvoices(), r.seconds(), r.scheme());
      }
      plant(pg, invoices);
      List<Double> planted = new ArrayList<>();
      Reconciler.Report last = null;
      for (int i = 0; i < 3; i++) {
        last = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });
        planted.add(last.seconds());
        log("   %d planted: %s in %.2f s (%d of %d buckets differed, %d invoices compared)", PLANTED, last.counts(), last.seconds(),
            last.bucketsDiffering(), last.bucketsCompared(), last.invoicesCompared());
      }
      int found = last.differences().size();
      int alarms = (int) last.differences().stream().filter(d -> d.kind().alarm()).count();
      if (found != PLANTED || alarms != PLANTED) {
        throw new IllegalStateException("planted " + PLANTED + " differences, reconcile found " + found + " (" + last.counts() + ")");
      }
      Map<String, Integer> byClass = new LinkedHashMap<>();
      for (ReconcileClass k : List.of(ReconcileClass.MISSING, ReconcileClass.STALE, ReconcileClass.EXTRA)) {
        byClass.put(k.name(), last.counts().get(k).intValue());
      }
      return new Result(invoices, fillSeconds, equal, planted, byClass, last.bucketsCompared(), last.invoicesCompared());
    }
  }

  /** 40 deleted, 30 status changed, 20 line amounts changed, 10 extra: spread over the key space. */
  private static void plant(EmbeddedPostgresServer pg, int invoices) throws Exception {
    int step = invoices / PLANTED;
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      for (int i = 0; i < 90; i++) {
        String id = "b-" + (i * step + 7);
        if (i < 40) {
          s.execute("DELETE FROM invoice WHERE id = '" + id + "'");
        } else if (i < 70) {
          s.execute("UPDATE invoice SET status = 'VOIDED' WHERE id = '" + id + "'");
        } else {
          s.execute("UPDATE invoice_line SET amount = amount + 0.01 WHERE invoice_id = '" + id + "' AND line_no = 1");
        }
      }
      s.execute("INSERT INTO invoice (id, invoice_number, invoice_type, issue_date, seller_name, seller_tax_id, buyer_name, total_amount, "
          + "total_tax, grand_total, status, version, digest, source_lsn, source_commit_ts, synced_at, projected_at) "
          + "SELECT 'extra-' || g, lpad(g::text, 20, '9'), 'DIGITAL_GENERAL', DATE '2026-06-01', 'x', '91350100M000100Y43', 'y', 1.00, 0.13, "
          + "1.13, 'ISSUED', 1, md5(g::text), g, now(), now(), now() FROM generate_series(1, 10) g");
    }
  }

  private static void fillUnchecked(EmbeddedPostgresServer pg, String db, String invoice, String line, int n, boolean store) {
    try {
      fill(pg, db, invoice, line, n, store);
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  /** COPY of {@code n} invoices (and 1-5 lines each) generated on the fly; the store's rows get sync metadata. */
  private static void fill(EmbeddedPostgresServer pg, String db, String invoice, String line, int n, boolean store) throws Exception {
    try (Connection c = pg.connect(db)) {
      PGConnection pgc = c.unwrap(PGConnection.class);
      String cols = "id, invoice_number, invoice_type, issue_date, seller_name, seller_tax_id, buyer_name, buyer_tax_id, total_amount, "
          + "total_tax, grand_total, status" + (store ? ", version, digest, source_lsn, source_commit_ts, synced_at, projected_at" : ", updated_at");
      pgc.getCopyAPI().copyIn("COPY " + invoice + " (" + cols + ") FROM STDIN (FORMAT csv)", new Generated(n, i -> {
        int lines = i % 5 + 1;
        String amount = (lines * 100) + ".00";
        String tax = (lines * 13) + ".00";
        String grand = (lines * 113) + ".00";
        String status = i % 7 == 0 ? "RED_FLUSHED" : "ISSUED";
        return "b-" + i + "," + String.format("26%018d", i) + ",DIGITAL_GENERAL,2026-" + String.format("%02d-%02d", i % 12 + 1, i % 28 + 1)
            + ",示例销售方有限公司,91350100M000100Y43,示例购买方有限公司,91110108551385082Q," + amount + "," + tax + "," + grand + "," + status
            + (store ? ",1," + String.format("%064d", i) + "," + i + ",2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z"
                : ",2026-11-01T00:00:00Z") + "\n";
      }));
      pgc.getCopyAPI().copyIn("COPY " + line + " (invoice_id, line_no, item_name, unit, quantity, unit_price, amount, tax_rate, tax_amount, "
          + "tax_exempt, tax_code, line_kind) FROM STDIN (FORMAT csv)", new Generated(n, i -> {
        StringBuilder b = new StringBuilder();
        for (int l = 1; l <= i % 5 + 1; l++) {
          b.append("b-").append(i).append(',').append(l).append(",*信息技术服务*软件维护,次,1,100,100.00,0.13,13.00,false,3040201010000000000,NORMAL\n");
        }
        return b.toString();
      }));
      try (Statement s = c.createStatement()) {
        // as a store that has been live for a while: hint bits set and the visibility map written, so the
        // measured runs do not race autovacuum's first pass over freshly copied tables
        s.execute("VACUUM ANALYZE");
      }
    }
  }

  /** A Reader over rows generated one invoice at a time (nothing held in memory). */
  private static final class Generated extends Reader {
    private final int n;
    private final IntFunction<String> row;
    private int next = 1;
    private String current = "";
    private int pos;

    Generated(int n, IntFunction<String> row) {
      this.n = n;
      this.row = row;
    }

    @Override
    public int read(char[] buf, int off, int len) throws IOException {
      while (pos >= current.length()) {
        if (next > n) {
          return -1;
        }
        current = row.apply(next++);
        pos = 0;
      }
      int k = Math.min(len, current.length() - pos);
      current.getChars(pos, pos + k, buf, off);
      pos += k;
      return k;
    }

    @Override
    public void close() {
    }
  }

  private static PGSimpleDataSource ds(EmbeddedPostgresServer pg, String db) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl(db));
    return ds;
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    return s.get(s.size() / 2);
  }

  private static double seconds(long t0) {
    return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
  }
}
