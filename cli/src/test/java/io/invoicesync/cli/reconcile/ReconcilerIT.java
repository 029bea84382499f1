package io.invoicesync.cli.reconcile;

import io.invoicesync.outcomes.reconcile.ReconcileClass;
import io.invoicesync.outcomes.reconcile.Reconciler;
import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** The checksum bisection on real PostgreSQL: 200,000 invoices with three lines each on both sides. */
@Timeout(600)
class ReconcilerIT {

  static final int INVOICES = 200_000;

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static Reconciler reconciler;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgresServer.start(dir, List.of("issuing", "querystore"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
    fill("issuing", "issuing.invoice", "issuing.invoice_line", "");
    fill("querystore", "invoice", "invoice_line", ", 1, md5(g::text), g, now() - interval '1 hour', now(), now()");
    reconciler = new Reconciler(ds("issuing"), "issuing", ds("querystore"), Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  /** The same invoices on both sides, made inside the database (an hour old, so none counts as in flight). */
  static void fill(String db, String invoice, String line, String syncColumns) throws Exception {
    String syncNames = syncColumns.isEmpty() ? "" : ", version, digest, source_lsn, source_commit_ts, synced_at, projected_at";
    try (Connection c = pg.connect(db); Statement s = c.createStatement()) {
      if (syncColumns.isEmpty()) {
        s.execute("ALTER TABLE issuing.invoice DISABLE TRIGGER USER");
      }
      s.execute("INSERT INTO " + invoice + " (id, invoice_number, invoice_type, issue_date, seller_name, seller_tax_id, buyer_name, "
          + "total_amount, total_tax, grand_total, status" + syncNames + (syncColumns.isEmpty() ? ", updated_at" : "") + ") "
          + "SELECT 'r-' || g, lpad(g::text, 20, '2'), 'DIGITAL_GENERAL', DATE '2026-01-01' + (g % 300), '销售方', '91350100M000100Y43', '购买方', "
          + "300.00, 39.00, 339.00, 'ISSUED'" + syncColumns + (syncColumns.isEmpty() ? ", now() - interval '1 hour'" : "")
          + " FROM generate_series(1, " + INVOICES + ") g");
      s.execute("INSERT INTO " + line + " (invoice_id, line_no, item_name, quantity, unit_price, amount, tax_rate, tax_amount, tax_exempt, line_kind) "
          + "SELECT 'r-' || g, n, '*服务*' || n, 1, 100, 100.00, 0.13, 13.00, false, 'NORMAL' FROM generate_series(1, " + INVOICES + ") g, "
          + "generate_series(1, 3) n");
      s.execute("ANALYZE");
    }
  }

  static PGSimpleDataSource ds(String db) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl(db));
    return ds;
  }

  @Test
  void shouldReconcileAnIssuingPlatformWhoseTablesHaveOtherNames() throws Exception {
    // Given the same invoices under the platform's own schema and table names (ingest.source.*)
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS platform");
      s.execute("CREATE TABLE IF NOT EXISTS platform.fapiao AS SELECT * FROM issuing.invoice");
      s.execute("CREATE TABLE IF NOT EXISTS platform.fapiao_line AS SELECT * FROM issuing.invoice_line");
    }
    io.invoicesync.cli.internal.RunConfig rc = io.invoicesync.cli.internal.RunConfig.of(Map.of("ingest.source.schema", "platform",
        "ingest.source.invoice.table", "fapiao", "ingest.source.line.table", "fapiao_line"));

    // When reconcile is built from that configuration, Then it reads those tables and finds them equal to the store
    Reconciler.Report r = rc.reconciler(ds("issuing"), null, ds("querystore"), null, null).reconcile(Reconciler.Scope.ALL, p -> { });
    assertThat(r.sourceInvoices()).isEqualTo(INVOICES);
    assertThat(r.differences()).isEmpty();
  }

  @Test
  void shouldFindOneChangedLineAmongTwoHundredThousandInvoices() throws Exception {
    // Given equal data, reconcile finds nothing
    Reconciler.Report equal = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });
    assertThat(equal.differences()).isEmpty();
    assertThat(equal.sourceInvoices()).isEqualTo(INVOICES);
    assertThat(equal.bucketsDiffering()).isZero();

    // When one line of one invoice differs in the store
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute("UPDATE invoice_line SET amount = 100.01 WHERE invoice_id = 'r-123457' AND line_no = 2");
    }
    try {
      Reconciler.Report one = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });

      // Then exactly that invoice is found, through one bucket, comparing a few hundred invoices, not 200,000
      assertThat(one.differences()).extracting(Reconciler.Difference::invoiceId, Reconciler.Difference::kind)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("r-123457", ReconcileClass.STALE));
      assertThat(one.bucketsDiffering()).isEqualTo(1);
      assertThat(one.invoicesCompared()).isLessThan(2 * Reconciler.ROW_COMPARE_MAX);
      assertThat(one.alarming()).isTrue();
    } finally {
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
        s.execute("UPDATE invoice_line SET amount = 100.00 WHERE invoice_id = 'r-123457' AND line_no = 2");
      }
    }
  }

  @Test
  void shouldFindTheSameWithMd5WhereTheDatabasesHashDifferently() throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute("UPDATE invoice SET status = 'VOIDED' WHERE id = 'r-4242'");
    }
    try {
      Reconciler md5 = new Reconciler(ds("issuing"), "issuing", ds("querystore"), Duration.ofSeconds(60)).withScheme(Reconciler.HashScheme.MD5);
      Reconciler.Report r = md5.reconcile(Reconciler.Scope.ALL, p -> { });
      assertThat(r.scheme()).isEqualTo(Reconciler.HashScheme.MD5);
      assertThat(r.differences()).extracting(Reconciler.Difference::invoiceId).containsExactly("r-4242");
      assertThat(reconciler.reconcile(Reconciler.Scope.ALL, p -> { }).scheme()).as("the probe agrees on one server").isEqualTo(Reconciler.HashScheme.NATIVE);
    } finally {
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
        s.execute("UPDATE invoice SET status = 'ISSUED' WHERE id = 'r-4242'");
      }
    }
  }

  @Test
  void shouldClassifyMissingExtraAndStaleAndHonourTheScope() throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute("DELETE FROM invoice WHERE id = 'r-77'");
      s.execute("UPDATE invoice SET status = 'VOIDED' WHERE id = 'r-78'");
      s.execute("INSERT INTO invoice (id, invoice_number, invoice_type, issue_date, seller_name, seller_tax_id, buyer_name, total_amount, "
          + "total_tax, grand_total, status, version, digest, source_lsn, source_commit_ts, synced_at, projected_at) SELECT 'zz-extra', "
          + "invoice_number, invoice_type, issue_date, seller_name, seller_tax_id, buyer_name, total_amount, total_tax, grand_total, status, "
          + "1, digest, 1, now(), now(), now() FROM invoice WHERE id = 'r-79'");
    }
    try {
      Reconciler.Report r = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });
      assertThat(r.differences()).extracting(Reconciler.Difference::invoiceId, Reconciler.Difference::kind).containsExactlyInAnyOrder(
          org.assertj.core.groups.Tuple.tuple("r-77", ReconcileClass.MISSING), org.assertj.core.groups.Tuple.tuple("r-78", ReconcileClass.STALE),
          org.assertj.core.groups.Tuple.tuple("zz-extra", ReconcileClass.EXTRA));

      // r-77 was issued on 2026-01-01 + 77 days; a scope without that day does not see it
      Reconciler.Report scoped = reconciler.reconcile(new Reconciler.Scope(java.time.LocalDate.of(2026, 1, 1).plusDays(78),
          java.time.LocalDate.of(2026, 1, 1).plusDays(78), null), p -> { });
      assertThat(scoped.differences()).extracting(Reconciler.Difference::invoiceId).containsExactly("r-78");
    } finally {
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
        s.execute("DELETE FROM invoice WHERE id = 'zz-extra'");
        s.execute("UPDATE invoice SET status = 'ISSUED' WHERE id = 'r-78'");
        s.execute("INSERT INTO invoice (id, invoice_number, invoice_type, issue_date, seller_name, seller_tax_id, buyer_name, total_amount, "
            + "total_tax, grand_total, status, version, digest, source_lsn, source_commit_ts, synced_at, projected_at) SELECT 'r-77', "
            + "invoice_number, invoice_type, issue_date, seller_name, seller_tax_id, buyer_name, total_amount, total_tax, grand_total, status, "
            + "1, digest, 1, now(), now(), now() FROM invoice WHERE id = 'r-76'");
        s.execute("UPDATE invoice SET invoice_number = lpad('77', 20, '2'), issue_date = DATE '2026-01-01' + 77 WHERE id = 'r-77'");
        s.execute("INSERT INTO invoice_line (invoice_id, line_no, item_name, quantity, unit_price, amount, tax_rate, tax_amount, tax_exempt, "
            + "line_kind) SELECT 'r-77', line_no, item_name, quantity, unit_price, amount, tax_rate, tax_amount, tax_exempt, line_kind "
            + "FROM invoice_line WHERE invoice_id = 'r-76'");
      }
    }
  }
}
