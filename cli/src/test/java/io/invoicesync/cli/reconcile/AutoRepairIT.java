package io.invoicesync.cli.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.cli.EmbeddedStack;
import io.invoicesync.cli.Pipeline;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduled reconciliation repairs, through the source, what it finds missing (up to its cap), on its own; here with
 * signals through Kafka and read-only incremental snapshots, so nothing is written to the issuing database.
 */
@Timeout(300)
class AutoRepairIT {

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;
  static Pipeline pipeline;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    pg = stack.pg;
    kafka = stack.kafka;
    Map<String, String> cfg = stack.config();
    cfg.put("reconcile.interval.ms", "1000");
    cfg.put("reconcile.auto.repair.max", "10");
    // Debezium 3.6 sometimes skips a read-only incremental snapshot's table (a NullPointerException building its IN_PROGRESS
    // notification, seen in a CI run): the repair signals again after 20 s instead of waiting out its 5-minute timeout
    cfg.put("reconcile.auto.repair.resignal.ms", "20000");
    cfg.put("ingest.signal.channel", "kafka"); // read-only incremental snapshots: signals through Kafka, nothing written to the source
    pipeline = stack.startPipeline(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldPutBackRowsDeletedFromTheStore() throws Exception {
    // Given five visible invoices
    for (int i = 1; i <= 5; i++) {
      ReconcileIT.issueWithLineTax(pg, "auto-" + i, io.invoicesync.generator.IssuingDay.digitalNumber(7_000 + i), "130.00");
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> count("SELECT count(*) FROM invoice_outcome WHERE invoice_id LIKE 'auto-%' "
        + "AND outcome = 'VISIBLE'") == 5);

    // When three rows are deleted from the store behind the pipeline's back
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute("DELETE FROM invoice WHERE id IN ('auto-1', 'auto-3', 'auto-5')");
    }

    // Then the scheduled reconciliation re-reads them through the source and they are visible again, by itself (about 50 s alone;
    // four minutes when the other fork's IT runs a browser or a registry beside it on two cores)
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
        .until(() -> count("SELECT count(*) FROM invoice WHERE id LIKE 'auto-%'") == 5);
    assertThat(count("SELECT count(DISTINCT invoice_id) FROM invoice_event WHERE event = 'APPLIED' AND detail = 'RESYNC'")).isEqualTo(3);
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FROM issuing.invoice_sync_signal")) {
      rs.next();
      assertThat(rs.getLong(1)).as("read-only: no signal or watermark rows written to the issuing database").isZero();
    }
    await().atMost(Duration.ofMinutes(1)).until(() -> count("SELECT count(*) FROM reconcile_report WHERE ok AND id = (SELECT max(id) "
        + "FROM reconcile_report)") == 1);
    // the recorded run says what it repaired (the operations page shows it)
    await().atMost(Duration.ofMinutes(1)).until(() -> count("SELECT count(*) FROM reconcile_report WHERE (report -> 'repair' ->> 'reread')::int = 3 "
        + "AND (report -> 'repair' ->> 'undecided')::int = 0") >= 1);
  }

  static long count(String sql) throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
