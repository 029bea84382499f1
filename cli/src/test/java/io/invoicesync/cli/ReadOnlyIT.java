package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.outcomes.reconcile.Resyncer;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.testkit.IssuingInvoice;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-only where we say read-only, enforced by PostgreSQL, not by our good intentions: the data
 * sources reconcile, trace and resync read through refuse a write even with autocommit on, and
 * {@code resync --where} runs the operator's condition in a read-only transaction, so a condition
 * that writes fails and changes nothing. Writers (resync's signals) still write.
 */
class ReadOnlyIT {

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static RunConfig config;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), EmbeddedPostgresServer.USER, "");
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), EmbeddedPostgresServer.USER, "");
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE issuing.side_effect (n int)");
      // what an operator's --where could call: a function that writes
      s.execute("CREATE FUNCTION issuing.writes() RETURNS boolean LANGUAGE sql AS 'INSERT INTO issuing.side_effect VALUES (1); SELECT true'");
    }
    try (Connection c = pg.connect("issuing")) {
      c.setAutoCommit(false);
      IssuingInvoice.digital("ro-1", "26442000000000000001").issued(LocalDateTime.now())
          .totals(BigDecimal.ONE, BigDecimal.ZERO, BigDecimal.ONE).insert(c); // a row for the condition to be evaluated on
      c.commit();
    }
    config = RunConfig.of(Map.of("projector.jdbc.url", pg.jdbcUrl("querystore"), "api.source.jdbc.url", pg.jdbcUrl("issuing"),
        "ingest.database.port", Integer.toString(pg.port()), "ingest.database.dbname", "issuing", "ingest.database.user",
        EmbeddedPostgresServer.USER));
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void theSourcesReconcileAndTraceReadThroughRefuseWrites() throws Exception {
    for (Map.Entry<String, DataSource> e : Map.of("store (trace, audit --store)", config.store(), "store (reconcile)",
        config.storeForWriter(), "source (reconcile, trace)", config.source()).entrySet()) {
      try (Connection c = e.getValue().getConnection(); Statement s = c.createStatement()) {
        assertThat(c.getAutoCommit()).isTrue();
        assertThatThrownBy(() -> s.execute("CREATE TABLE public.nope (n int)")).as(e.getKey()).isInstanceOf(SQLException.class)
            .hasMessageContaining("read-only transaction");
        try (ResultSet rs = s.executeQuery("SELECT 1")) {
          assertThat(rs.next()).as(e.getKey() + " still reads").isTrue();
        }
      }
    }
  }

  @Test
  void resyncWhereRunsTheOperatorsConditionReadOnlyAndSignalsStillWrite() throws Exception {
    // as RunConfig.resyncer() builds it, without the Kafka notifications this test has no broker for
    Resyncer resyncer = new Resyncer(config.sourceForSignals(), config.signalTable(), config.sourceSchema() + "." + config.sourceInvoiceTable(),
        config.storeForWriter());
    assertThatThrownBy(() -> resyncer.idsWhere("issuing.writes()")).isInstanceOf(SQLException.class)
        .hasMessageContaining("read-only transaction");
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT count(*) FROM issuing.side_effect")) {
      rs.next();
      assertThat(rs.getLong(1)).as("nothing written").isZero();
    }
    assertThat(resyncer.idsWhere("true")).containsExactly("ro-1");

    resyncer.signal(Set.of("some-invoice")); // the writer's connection says so on purpose
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT count(*) FROM issuing.invoice_sync_signal")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1);
    }
  }
}
