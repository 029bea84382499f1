package io.invoicesync.cli.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.cli.InvoiceSyncCommand;
import io.invoicesync.cli.EmbeddedStack;
import io.invoicesync.cli.Pipeline;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.testkit.IssuingInvoice;
import io.invoicesync.testkit.TestHttp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code invoice-sync reconcile} on the embedded stack under load: rows deleted and rolled back behind the pipeline's back. */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReconcileIT {

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;
  static Pipeline pipeline;
  static Path config;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    pg = stack.pg;
    kafka = stack.kafka;
    Map<String, String> cfg = stack.config();
    cfg.put("reconcile.interval.ms", "1000");
    cfg.put("reconcile.hash", "md5"); // the CLI's reconcile --config takes it too (ReconcilerIT covers the native scheme)
    pipeline = stack.startPipeline(cfg);
    StringBuilder props = new StringBuilder();
    new java.util.TreeMap<>(cfg).forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
    config = dir.resolve("run.properties");
    Files.writeString(config, props);
  }

  @Test
  @Order(3)
  void shouldMakeRejectedInvoicesThatPassAfterAToleranceChangeVisibleByResync() throws Exception {
    // Given three invoices whose line tax is 0.10 off: rejected with the default tolerance (0.06)
    List<String> ids = List.of("tol-1", "tol-2", "tol-3");
    for (int i = 0; i < ids.size(); i++) {
      issueWithLineTax(pg, ids.get(i), IssuingDay.digitalNumber(9_000 + i), "130.10");
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> outcomes(ids).values().stream().allMatch("REJECTED"::equals) && outcomes(ids).size() == 3);

    // When the tolerance is raised (sync-streams restarted with it) and the rejected ones are re-read through the source
    Map<String, String> cfg = stack.config();
    cfg.put("streams.validation.line.tax.tolerance", "0.20");
    pipeline = stack.startPipeline(cfg);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
        .execute("resync", "--config", config.toString(), "--rejected", "--code", "LINE_TAX_MISMATCH", "--timeout", "120");

    // Then those that now pass are visible; invoices rejected for other reasons stay rejected, with reasons
    assertThat(exit).as(out + "\n" + err).isZero();
    assertThat(out.toString()).contains("re-read (Debezium: incremental snapshot completed)").contains("reconciled");
    await().atMost(Duration.ofMinutes(1)).until(() -> outcomes(ids).values().stream().allMatch("VISIBLE"::equals));
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FROM invoice WHERE id IN ('tol-1', 'tol-2', 'tol-3') AND total_tax = 130.10")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(3);
    }
  }

  static Map<String, String> outcomes(List<String> ids) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT invoice_id, outcome FROM invoice_outcome WHERE invoice_id IN ('" + String.join("','", ids) + "')")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  /** A valid invoice except for its line tax (and the totals that follow from it). */
  static void issueWithLineTax(EmbeddedPostgresServer pg, String id, String number, String tax) throws Exception {
    BigDecimal t = new BigDecimal(tax);
    BigDecimal amount = new BigDecimal("1000.00");
    try (Connection c = pg.connect("issuing")) {
      c.setAutoCommit(false);
      IssuingInvoice.digital(id, number).issued(IssuingDay.today().atTime(10, 0)).totals(amount, t, t.add(amount))
          .line(IssuingInvoice.Line.service(BigDecimal.ONE, new BigDecimal("1000"), amount, t))
          .insert(c);
      c.commit();
    }
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  record Result(int exit, JsonNode report, String out) {
  }

  static Result reconcile(String... extra) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> args = new ArrayList<>(List.of("reconcile", "--config", config.toString(), "--output", "json"));
    args.addAll(List.of(extra));
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args.toArray(String[]::new));
    return new Result(exit, exit == 2 ? null : json.readTree(out.toString()), out + err.toString());
  }

  static Map<String, Set<String>> byClass(JsonNode report) {
    Map<String, Set<String>> out = new HashMap<>();
    report.get("differences").forEach(d -> out.computeIfAbsent(d.get("class").asText(), k -> new TreeSet<>()).add(d.get("invoiceId").asText()));
    return out;
  }

  @Test
  @Order(1)
  void shouldFindExactlyTheRowsDeletedOrRolledBackBehindThePipelinesBack() throws Exception {
    // Given a run under load: valid and invalid invoices, status changes, red-letter ones
    InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "rc-", 5, true);
    AtomicBoolean enough = new AtomicBoolean();
    List<Thread> workers = generator.startAtRate(200, 1, () -> generator.issuedCount() >= 2_000 || enough.get());
    try {
      await().atMost(Duration.ofMinutes(2)).until(() -> generator.issuedCount() >= 800);
      // invoices in a final status (the generator never changes them again), visible, and recorded as visible
      List<String> terminal = new ArrayList<>();
      await().atMost(Duration.ofMinutes(1)).until(() -> {
        terminal.clear();
        try (Connection c = pg.connect("querystore"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT i.id FROM invoice i JOIN invoice_outcome o ON o.invoice_id = i.id "
                 + "WHERE i.status IN ('RED_FLUSHED', 'VOIDED') AND i.version > 1 AND o.outcome = 'VISIBLE' AND o.visible_version = i.version "
                 + "ORDER BY i.id LIMIT 25")) {
          while (rs.next()) {
            terminal.add(rs.getString(1));
          }
        }
        return terminal.size() == 25;
      });
      Set<String> deleted = new TreeSet<>(terminal.subList(0, 20));
      Set<String> rolledBack = new TreeSet<>(terminal.subList(20, 25));

      // When 20 rows are deleted from the store and 5 rolled back to their earlier status, behind the pipeline's back
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
        s.execute("DELETE FROM invoice WHERE id IN ('" + String.join("','", deleted) + "')");
        s.execute("UPDATE invoice SET status = 'ISSUED', version = version - 1 WHERE id IN ('" + String.join("','", rolledBack) + "')");
      }
      Result r = reconcile();

      // Then reconcile exits 1 and lists exactly those as MISSING and STALE; whatever else differs is explained
      assertThat(r.exit()).as(r.out()).isEqualTo(1);
      Map<String, Set<String>> classes = byClass(r.report());
      assertThat(classes.getOrDefault("MISSING", Set.of())).isEqualTo(deleted);
      assertThat(classes.getOrDefault("STALE", Set.of())).isEqualTo(rolledBack);
      assertThat(classes).doesNotContainKey("EXTRA");
      assertThat(classes.get("REJECTED")).as("the generator's invalid invoices").isNotEmpty();
      assertThat(r.report().get("sourceInvoices").asLong()).isGreaterThanOrEqualTo(800);
      assertThat(r.report().get("hash").asText()).as("reconcile.hash from --config").isEqualTo("MD5");

      // and the table says the same to a person
      StringWriter table = new StringWriter();
      int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(table)).execute("reconcile", "--config", config.toString());
      assertThat(exit).isEqualTo(1);
      assertThat(table.toString()).contains("NOT RECONCILED").contains("20 MISSING").contains("5 STALE").contains(deleted.iterator().next());

      // and the scheduled reconciliation sees it too: the last report and the gauges an operator alerts on
      int api = pipeline.api().port();
      await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        var last = TestHttp.get(api, "/api/v1/reconcile/last");
        assertThat(last.statusCode()).isEqualTo(200);
        JsonNode report = json.readTree(last.body());
        assertThat(report.get("counts").get("MISSING").asInt()).isEqualTo(20);
        assertThat(report.get("counts").get("STALE").asInt()).isEqualTo(5);
        assertThat(report.get("ok").asBoolean()).isFalse();
        String metrics = TestHttp.get(api, "/metrics").body();
        assertThat(metrics).containsPattern("invoicesync_reconcile_missing\\{[^}]*} 20.0").containsPattern("invoicesync_reconcile_stale\\{[^}]*} 5.0")
            .containsPattern("invoicesync_reconcile_last_run_seconds\\{[^}]*} [0-9.]+");
      });

      // and 'reconcile --repair' re-reads exactly those through the source: every one visible at its latest state again
      StringWriter repairOut = new StringWriter();
      StringWriter repairErr = new StringWriter();
      int repaired = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(repairOut)).setErr(new PrintWriter(repairErr))
          .execute("reconcile", "--config", config.toString(), "--repair", "--output", "json", "--timeout", "120");
      assertThat(repaired).as(repairOut + "\n" + repairErr).isZero();
      assertThat(repairErr.toString()).as("Debezium's notification, through ingest's notifications topic")
          .contains("incremental snapshot completed");
      Map<String, Set<String>> after = byClass(json.readTree(repairOut.toString()));
      assertThat(after).doesNotContainKeys("MISSING", "STALE", "EXTRA");
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT count(*) FROM invoice WHERE id IN ('" + String.join("','", deleted) + "','"
               + String.join("','", rolledBack) + "') AND status IN ('RED_FLUSHED', 'VOIDED')")) {
        rs.next();
        assertThat(rs.getInt(1)).as("the 25 repaired rows, at their latest status").isEqualTo(25);
      }
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT count(DISTINCT invoice_id) FROM invoice_event WHERE event = 'APPLIED' AND detail = 'RESYNC'")) {
        rs.next();
        assertThat(rs.getInt(1)).as("re-read through the source (incremental snapshot), re-validated and re-emitted: exactly the 25")
            .isEqualTo(25);
      }
      // nothing applied twice: versions on invoices.synced run 1, 2, 3... per invoice (the resynced ones one further)
      Set<String> visible = new TreeSet<>();
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT id FROM invoice WHERE id LIKE 'rc-%'")) {
        while (rs.next()) {
          visible.add(rs.getString(1));
        }
      }
      io.invoicesync.cli.SyncedVersions.assertEachAppliedOnceInOrder(kafka.bootstrapServers(), visible);
    } finally {
      enough.set(true);
      for (Thread w : workers) {
        w.join(Duration.ofMinutes(2).toMillis());
      }
    }
  }

  @Test
  @Order(2)
  void shouldCallABurstJustIssuedInFlightNotMissing() throws Exception {
    // Given ingest paused
    pipeline.stopIngest();
    try {
      // When a burst is issued and reconcile runs at once
      InvoiceGenerator burst = new InvoiceGenerator(pg.jdbcUrl("issuing"), "burst-", 9, true);
      for (Thread w : burst.startAtRate(500, 1, () -> burst.issuedCount() >= 100)) {
        w.join(Duration.ofMinutes(1).toMillis());
      }
      Result r = reconcile("--seller", "x-no-such-seller");
      assertThat(r.exit()).as("an empty scope reconciles").isZero();
      Result all = reconcile("--grace", "0"); // no grace: only the watermark can call the burst in flight (ingest is stopped, so the burst is after it)

      // Then every burst invoice is IN_FLIGHT, none MISSING
      Map<String, Set<String>> classes = byClass(all.report());
      Set<String> burstIds = new TreeSet<>(burst.ledger().keySet());
      assertThat(classes.getOrDefault("IN_FLIGHT", Set.of())).containsAll(burstIds);
      assertThat(classes.getOrDefault("MISSING", Set.of())).doesNotContainAnyElementsOf(burstIds);
    } finally {
      pipeline.startIngest();
    }
  }
}
