package io.invoicesync.projector;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.testkit.InvoiceFixtures;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

class QueryStoreWriterIT {

  @TempDir
  static java.nio.file.Path dir;
  static EmbeddedPostgresServer pg;
  static QueryStoreWriter writer;

  @BeforeAll
  static void start() {
    pg = EmbeddedPostgresServer.start(dir, List.of("querystore"));
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl("querystore"));
    QueryStoreSchema.migrate(ds);
    writer = new QueryStoreWriter(ds);
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  static InvoiceState state(Invoice inv, int version, long lsn) {
    return InvoiceState.newBuilder().setInvoice(inv).setVersion(version).setSource(InvoiceFixtures.position(lsn))
        .setDigest("d".repeat(64)).setSyncedAt(Instant.parse("2026-11-25T00:00:00Z")).build();
  }

  static String query(String sql) throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  @Test
  void shouldWriteAnInvoiceWithAllItsLinesInOneTransaction() throws Exception {
    Invoice inv = InvoiceFixtures.digitalInvoice("w-1", 3);

    QueryStoreWriter.WriteResult r = writer.write(List.of(state(inv, 1, 100)));

    assertThat(r.applied()).isEqualTo(1);
    assertThat(query("SELECT count(*) FROM invoice_line WHERE invoice_id = 'w-1'")).isEqualTo("3");
    assertThat(query("SELECT grand_total FROM invoice WHERE id = 'w-1'")).isEqualTo(inv.getGrandTotal().toPlainString());
  }

  @Test
  void shouldNeverLetAnOlderSourcePositionOverwriteANewerOne() throws Exception {
    Invoice inv = InvoiceFixtures.digitalInvoice("w-2", 2);
    Invoice voided = Invoice.newBuilder(inv).setStatus("RED_FLUSHED").build();
    writer.write(List.of(state(voided, 2, 200)));

    QueryStoreWriter.WriteResult r = writer.write(List.of(state(inv, 1, 100)));

    assertThat(r.applied()).isZero();
    assertThat(r.skippedOlder()).isEqualTo(1);
    assertThat(query("SELECT status || ':' || version FROM invoice WHERE id = 'w-2'")).isEqualTo("RED_FLUSHED:2");
  }

  @Test
  void shouldApplyAStateFromAMovedClusterAtALowerLsnWhenItsEpochIsHigherAndNotTheOldOneAfterIt() throws Exception {
    Invoice inv = InvoiceFixtures.digitalInvoice("w-epoch", 2);
    Invoice flushed = Invoice.newBuilder(inv).setStatus("PARTIALLY_RED_FLUSHED").build();
    writer.write(List.of(withEpoch(state(inv, 1, 900_000), 1_700_000_000_001L)));

    // the issuing database moved to a new cluster: a higher epoch, a WAL that starts again low
    QueryStoreWriter.WriteResult moved = writer.write(List.of(withEpoch(state(flushed, 2, 2_000), 1_750_000_000_001L)));
    QueryStoreWriter.WriteResult old = writer.write(List.of(withEpoch(state(inv, 1, 900_000), 1_700_000_000_001L)));

    assertThat(moved.applied()).isEqualTo(1);
    assertThat(old.applied()).isZero();
    assertThat(query("SELECT status || ':' || version || ':' || source_epoch FROM invoice WHERE id = 'w-epoch'"))
        .isEqualTo("PARTIALLY_RED_FLUSHED:2:1750000000001");
  }

  private static InvoiceState withEpoch(InvoiceState s, long epoch) {
    return InvoiceState.newBuilder(s).setSource(io.invoicesync.schemas.SourcePosition.newBuilder(s.getSource()).setEpoch(epoch).build()).build();
  }

  @Test
  void shouldChangeNothingWhenTheSameStateIsAppliedAgain() throws Exception {
    Invoice inv = InvoiceFixtures.digitalInvoice("w-3", 2);
    writer.write(List.of(state(inv, 1, 100)));
    String projectedAt = query("SELECT projected_at FROM invoice WHERE id = 'w-3'");

    QueryStoreWriter.WriteResult r = writer.write(List.of(state(inv, 1, 100)));

    assertThat(r.applied()).isZero();
    assertThat(query("SELECT projected_at FROM invoice WHERE id = 'w-3'")).isEqualTo(projectedAt);
    assertThat(query("SELECT count(*) FROM invoice_line WHERE invoice_id = 'w-3'")).isEqualTo("2");
  }

  @Test
  void shouldApplyAFirstVersionOverLinesAlreadyStoredWithoutFailing() throws Exception {
    // a re-captured invoice arrives again as version 1, with a newer source position
    Invoice inv = InvoiceFixtures.digitalInvoice("w-5", 3);
    writer.write(List.of(state(inv, 1, 100)));

    QueryStoreWriter.WriteResult r = writer.write(List.of(state(inv, 1, 500)));

    assertThat(r.applied()).isEqualTo(1);
    assertThat(query("SELECT count(*) FROM invoice_line WHERE invoice_id = 'w-5'")).isEqualTo("3");
    assertThat(query("SELECT source_lsn FROM invoice WHERE id = 'w-5'")).isEqualTo("500");
  }

  @Test
  void shouldReplaceTheLinesOfALaterVersion() throws Exception {
    Invoice inv = InvoiceFixtures.digitalInvoice("w-6", 3);
    writer.write(List.of(state(inv, 1, 100)));
    Invoice fewer = Invoice.newBuilder(inv).setLines(new java.util.ArrayList<>(inv.getLines().subList(0, 1))).build();

    writer.write(List.of(state(fewer, 2, 200)));

    assertThat(query("SELECT count(*) FROM invoice_line WHERE invoice_id = 'w-6'")).isEqualTo("1");
  }

  @Test
  void shouldApplyOnlyTheNewestStateOfAnInvoiceWithinABatch() throws Exception {
    Invoice inv = InvoiceFixtures.digitalInvoice("w-4", 1);
    Invoice flushed = Invoice.newBuilder(inv).setStatus("RED_FLUSHED").build();

    writer.write(List.of(state(flushed, 2, 200), state(inv, 1, 100)));

    assertThat(query("SELECT status FROM invoice WHERE id = 'w-4'")).isEqualTo("RED_FLUSHED");
  }

  /**
   * Until autovacuum has analyzed invoice_line, PostgreSQL estimates "invoice_id = ANY (100 ids)"
   * at half the table; the later-version DELETE must still go through the primary key, not scan the
   * whole table (the bench measured 62 ms per call that way).
   */
  @Test
  void shouldDeleteTheLinesOfLaterVersionsThroughTheIndexBeforeTheTableWasEverAnalyzed() throws Exception {
    try (Connection c = pg.connect("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE unanalyzed");
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl("unanalyzed"));
    QueryStoreSchema.migrate(ds);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE invoice_line SET (autovacuum_enabled = false)");
      s.execute("ALTER TABLE invoice SET (autovacuum_enabled = false)");
    }
    QueryStoreWriter fresh = new QueryStoreWriter(ds);
    List<InvoiceState> firsts = new java.util.ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      firsts.add(state(InvoiceFixtures.digitalInvoice("u-" + i, 3), 1, 100 + i));
    }
    fresh.write(firsts);
    long[] before = scans(ds);

    fresh.write(firsts.subList(0, 100).stream()
        .map(st -> state(Invoice.newBuilder(st.getInvoice()).setStatus("VOIDED").build(), 2, 10_000 + st.getSource().getLsn())).toList());

    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> scans(ds)[1] > before[1]); // statistics arrive asynchronously
    assertThat(scans(ds)[0]).as("sequential scans of invoice_line").isEqualTo(before[0]);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FROM invoice_line WHERE invoice_id IN (SELECT id FROM invoice WHERE status = 'VOIDED')")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(300);
    }
  }

  /** {seq_scan, idx_scan} of invoice_line. */
  private static long[] scans(javax.sql.DataSource ds) throws Exception {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'invoice_line'")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  @Test
  void shouldReportExactlyTheStatesABatchMadeVisibleAndKeepEveryValueAsItWas() throws Exception {
    // Given a stored newer state of one invoice
    Invoice kept = InvoiceFixtures.digitalInvoice("w-10", 1);
    writer.write(List.of(state(Invoice.newBuilder(kept).setStatus("RED_FLUSHED").build(), 2, 500)));
    Invoice blue = InvoiceFixtures.digitalInvoice("w-11", 2);
    Invoice red = InvoiceFixtures.redOf(blue, "w-12", 1);

    // When one batch carries an older state of it, a new invoice and a red-letter invoice with its link
    QueryStoreWriter.WriteResult r = writer.write(List.of(state(kept, 1, 400), state(blue, 1, 600), state(red, 1, 700)));

    // Then only the two new ones are reported visible, and every value reads back as it was written
    assertThat(r.appliedStates()).extracting(st -> st.getInvoice().getId()).containsExactlyInAnyOrder("w-11", "w-12");
    assertThat(r.skippedOlder()).isEqualTo(1);
    assertThat(query("SELECT status || ':' || version FROM invoice WHERE id = 'w-10'")).isEqualTo("RED_FLUSHED:2");
    assertThat(query("SELECT concat_ws('|', invoice_number, issue_date, issued_at, seller_name, buyer_tax_id, total_amount, total_tax, "
        + "grand_total, source_lsn, (extract(epoch FROM source_commit_ts) * 1000)::bigint, synced_at AT TIME ZONE 'UTC') FROM invoice WHERE id = 'w-11'"))
        .isEqualTo(String.join("|", blue.getInvoiceNumber(), blue.getIssueDate().toString(),
            blue.getIssuedAt().toString().replace('T', ' ') + (blue.getIssuedAt().getSecond() == 0 ? ":00" : ""),
            blue.getSeller().getName(), blue.getBuyer().getTaxId(), blue.getTotalAmount().toPlainString(), blue.getTotalTax().toPlainString(),
            blue.getGrandTotal().toPlainString(), "600", Long.toString(InvoiceFixtures.position(600).getCommitTs().toEpochMilli()),
            "2026-11-25 00:00:00"));
    assertThat(query("SELECT concat_ws('|', blue_invoice_number, blue_issue_date, red_confirmation_no, red_reason) FROM invoice WHERE id = 'w-12'"))
        .isEqualTo(String.join("|", red.getRedLetter().getBlueInvoiceNumber(), red.getRedLetter().getBlueIssueDate().toString(),
            red.getRedLetter().getConfirmationNo(), String.valueOf(red.getRedLetter().getReason())));
    assertThat(query("SELECT string_agg(concat_ws('|', line_no, item_name, quantity::float8, unit_price::float8, amount, tax_rate::float8, "
        + "tax_exempt::text, tax_amount, line_kind), ';' ORDER BY line_no) FROM invoice_line WHERE invoice_id = 'w-11'"))
        .isEqualTo(blue.getLines().stream().map(l -> String.join("|", String.valueOf(l.getLineNo()), l.getItemName(),
            plain(l.getQuantity()), plain(l.getUnitPrice()), l.getAmount().toPlainString(), plain(l.getTaxRate()),
            String.valueOf(l.getTaxExempt()), l.getTaxAmount().toPlainString(), l.getLineKind())).collect(java.util.stream.Collectors.joining(";")));
  }

  private static String plain(java.math.BigDecimal v) {
    double d = v.doubleValue();
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
