package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.round;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.generator.PlatformFiles;
import io.invoicesync.imports.FileReaders;
import io.invoicesync.imports.ImportProblem;
import io.invoicesync.imports.ImportSink;
import io.invoicesync.imports.ImportedInvoice;
import io.invoicesync.outcomes.reconcile.AgainstExport;
import io.invoicesync.outcomes.reconcile.ReconcileClass;
import io.invoicesync.projector.QueryStoreSchema;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Step against (issue 26's {@code reconcile_against_200k_seconds}): the platform's export of a month,
 * 200,000 invoices with a line each (a summary sheet of 200,000 rows and a detail sheet of as many),
 * reconciled against a store holding the same month: 20 listed invoices missing from the store, 20
 * shown with another status, 10 in the store and not listed. Timed three times, from reading the
 * workbook to the report. Then {@code invoice-sync import --dry-run} of the same workbook in its own
 * JVM with a 256 MB heap, and its peak RSS: the streamed reader holds neither workbook nor rows.
 */
final class AgainstStep {

  static final int INVOICES = 200_000;
  static final int MISSING = 20;
  static final int DIFFERENT = 20;
  static final int EXTRA = 10;

  record Result(int invoices, long workbookBytes, double writeSeconds, List<Double> seconds, Map<ReconcileClass, Integer> found,
                double importSeconds, long importPeakRssMb, int importHeapMb) {

    double medianSeconds() {
      List<Double> s = new ArrayList<>(seconds);
      s.sort(Double::compare);
      return s.get(s.size() / 2);
    }
  }

  private AgainstStep() {
  }

  static String number(int i) {
    return String.format("2631200000%010d", i);
  }

  static PlatformFiles.Invoice listed(int i) {
    LocalDate day = LocalDate.of(2026, 11, i % 30 + 1);
    BigDecimal amount = BigDecimal.valueOf(100 + i % 900, 0).setScale(2);
    BigDecimal tax = amount.multiply(new BigDecimal("0.13")).setScale(2, java.math.RoundingMode.HALF_UP);
    String status = i % (INVOICES / DIFFERENT) == 3 ? "已红冲" : "正常"; // the store says ISSUED for these
    return new PlatformFiles.Invoice(null, number(i), "数电票（普通发票）", LocalDateTime.of(day, java.time.LocalTime.of(10, 0)),
        "91350100M000100Y43", "示例销售方有限公司", "91110108551385082Q", "示例购买方有限公司", amount, tax, amount.add(tax), status, true, null,
        List.of(new PlatformFiles.Line("3040201010000000000", "*信息技术服务*软件维护", null, "次", BigDecimal.ONE, amount, amount, "13%", tax)));
  }

  static Result run(BenchRun run) throws Exception {
    Path work = run.work();
    Path export = work.resolve("全量发票查询导出_202611.xlsx");
    long t0 = System.nanoTime();
    PlatformFiles.workbook(export, PlatformFiles.generated(INVOICES, AgainstStep::listed));
    double writeSeconds = (System.nanoTime() - t0) / 1e9;
    log("   the export: %,d invoices, %,d bytes, written in %.1f s", INVOICES, Files.size(export), writeSeconds);
    List<Double> seconds = new ArrayList<>();
    Map<ReconcileClass, Integer> found;
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(work.resolve("pg-against"), List.of("querystore"))) {
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      fill(pg);
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(pg.jdbcUrl("querystore"));
      ds.setUser("postgres");
      AgainstExport.Report last = null;
      for (int i = 0; i < 3; i++) {
        long start = System.nanoTime();
        List<AgainstExport.Listed> listed = new ArrayList<>();
        List<ImportProblem> problems = new ArrayList<>();
        FileReaders.read(export, new ImportSink() {
          @Override
          public void invoice(ImportedInvoice inv) {
            listed.add(AgainstExport.Listed.of(inv.invoice(), inv.where()));
          }

          @Override
          public void problem(ImportProblem p) {
            problems.add(p);
          }
        });
        double read = (System.nanoTime() - start) / 1e9;
        last = new AgainstExport(ds).reconcile(listed, new AgainstExport.Scope(null, null, null, null), s -> { });
        double s = (System.nanoTime() - start) / 1e9;
        seconds.add(round(s));
        log("   run %d: %.1f s (reading the workbook %.1f s), %s%s", i + 1, s, read, last.counts(),
            problems.isEmpty() ? "" : ", " + problems.size() + " unreadable rows");
      }
      found = last.counts();
      if (!Integer.valueOf(MISSING).equals(found.get(ReconcileClass.MISSING)) || !Integer.valueOf(DIFFERENT).equals(found.get(ReconcileClass.STALE))
          || !Integer.valueOf(EXTRA).equals(found.get(ReconcileClass.EXTRA))) {
        throw new IllegalStateException("planted " + MISSING + " missing, " + DIFFERENT + " different and " + EXTRA + " extra; found " + found);
      }
    }
    int heap = 256;
    long[] rss = {0};
    long i0 = System.nanoTime();
    importDryRun(export, heap, rss);
    double importSeconds = (System.nanoTime() - i0) / 1e9;
    log("   import --dry-run of the same workbook with -Xmx%dm: %.1f s, peak RSS %d MB", heap, importSeconds, rss[0]);
    return new Result(INVOICES, Files.size(export), round(writeSeconds), seconds, found, round(importSeconds), rss[0], heap);
  }

  /** The store: the month's invoices but the missing ones, the different ones ISSUED, and the extra ones besides. */
  private static void fill(EmbeddedPostgresServer pg) throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      int gap = INVOICES / MISSING;
      s.execute("INSERT INTO invoice (id, invoice_number, invoice_type, issue_date, issued_at, seller_name, seller_tax_id, buyer_name, "
          + "buyer_tax_id, total_amount, total_tax, grand_total, status, version, digest, source_lsn, source_commit_ts, synced_at, projected_at) "
          + "SELECT 'b-' || i, '2631200000' || lpad(i::text, 10, '0'), 'DIGITAL_GENERAL', DATE '2026-11-01' + (i % 30), "
          + "TIMESTAMP '2026-11-01 10:00:00' + (i % 30) * interval '1 day', '示例销售方有限公司', '91350100M000100Y43', '示例购买方有限公司', "
          + "'91110108551385082Q', (100 + i % 900)::numeric(18,2), round((100 + i % 900) * 0.13, 2), (100 + i % 900) + round((100 + i % 900) * 0.13, 2), "
          + "'ISSUED', 1, lpad(i::text, 64, '0'), i, now(), now(), now() FROM generate_series(0, " + (INVOICES + EXTRA - 1) + ") i "
          + "WHERE i >= " + INVOICES + " OR i % " + gap + " <> 11");
      s.execute("VACUUM ANALYZE invoice");
    }
  }

  /** {@code invoice-sync import --dry-run FILE} in its own JVM with {@code heapMb}; its peak resident set (VmHWM) in {@code rss[0]}. */
  private static void importDryRun(Path export, int heapMb, long[] rss) throws IOException, InterruptedException {
    Path log = export.resolveSibling("import-dry-run.log");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heapMb + "m",
        "-cp", System.getProperty("java.class.path"), "io.invoicesync.cli.InvoiceSyncCommand", "import", "--dry-run", "--output", "json",
        export.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Path status = Path.of("/proc", Long.toString(p.pid()), "status");
    while (!p.waitFor(200, TimeUnit.MILLISECONDS)) { // sampling the child's high-water mark while it lives
      try {
        for (String line : Files.readAllLines(status)) {
          if (line.startsWith("VmHWM:")) {
            rss[0] = Math.max(rss[0], Long.parseLong(line.replaceAll("\\D", "")) / 1024);
          }
        }
      } catch (IOException gone) {
        // exited between the check and the read
      }
    }
    String out = Files.readString(log);
    if (p.exitValue() != 0 || !out.contains("\"invoices\" : " + INVOICES)) {
      throw new IllegalStateException("import --dry-run exited " + p.exitValue() + ": " + out.substring(Math.max(0, out.length() - 2000)));
    }
  }
}
