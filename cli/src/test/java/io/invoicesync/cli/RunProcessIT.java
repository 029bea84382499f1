package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.testkit.TestHttp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code invoice-sync run} as an orchestrator sees it, in its own JVM: the management port's
 * health and metrics; a clean close on SIGTERM; a setting from the environment; and a component
 * that fails for good ending the process with exit code 3 naming the component and the cause,
 * instead of a live process with a dead thread.
 */
@Timeout(600)
class RunProcessIT {


  @TempDir
  Path dir;

  @Test
  void servesHealthAndMetricsClosesCleanlyOnSigtermAndExitsNonZeroWhenAComponentFailsForGood() throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams"));
      cfg.put("management.instance", "it-1");
      Path config = dir.resolve("run.properties");
      StringBuilder props = new StringBuilder();
      cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
      Files.writeString(config, props.toString());

      // 1. healthy: ready, live, metrics with the common tags and the JVM, Kafka client, Streams and Hikari binders
      Path out1 = dir.resolve("run-1.out");
      Process first = start(config, out1, Map.of());
      int port = RunProcess.port(first, out1, RunProcess.MANAGEMENT);
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        HttpResponse<String> ready = TestHttp.get(port, "/health/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"ingest\":{\"status\":\"UP\"", "\"streams\":{\"status\":\"UP\"", "\"projector\":{\"status\":\"UP\"");
      });
      assertThat(TestHttp.get(port, "/health/live").statusCode()).isEqualTo(200);
      issue(pg, "ok-", 3);
      await().atMost(Duration.ofMinutes(1)).until(() -> count(pg, "SELECT count(*) FROM invoice") >= 1);
      String metrics = TestHttp.get(port, "/metrics").body();
      assertThat(metrics).contains("component=\"ingest+streams+projector\"", "instance=\"it-1\"", "jvm_memory_used_bytes",
          "kafka_producer_", "kafka_consumer_", "kafka_stream_", "hikaricp_connections", "invoicesync_ingest_changes");

      // 2. SIGTERM: the pipeline closes before the JVM ends (the replication slot is released, offsets committed)
      first.destroy();
      assertThat(first.waitFor(90, TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readString(out1)).contains("invoice-sync stopped cleanly");
      assertThat(slotActive(pg)).isFalse();

      // 3. settings from the environment: JSON logs, and one that makes ingest fail for good on the next invoice: the process ends with 3
      Path out2 = dir.resolve("run-2.out");
      Process second = start(config, out2, Map.of("INVOICESYNC_INGEST_PRODUCER_MAX_REQUEST_SIZE", "200", "INVOICESYNC_LOG_FORMAT", "json"));
      int port2 = RunProcess.port(second, out2, RunProcess.MANAGEMENT);
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> TestHttp.get(port2, "/health/ready").statusCode() == 200);
      issue(pg, "big-", 1);
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the process ends within 60 s of the failure").isTrue();
      assertThat(second.exitValue()).isEqualTo(RunCommand.EXIT_COMPONENT_FAILED);
      assertThat(Files.readString(out2)).contains("invoice-sync run: ingest: FAILED").contains("RecordTooLargeException")
          .contains("exiting with 3");
      assertThat(Files.readString(out2)).as("JSON log lines from logback's encoder, with the component in the MDC")
          .containsPattern("\\{\"sequenceNumber\":\\d+,\"timestamp\":\\d+.*\"loggerName\":\"io.invoicesync.ingest.IngestService\"")
          .containsPattern("\"mdc\": ?\\{[^}]*\"component\": ?\"ingest\"");
    }
  }

  private static Process start(Path config, Path out, Map<String, String> env) throws Exception {
    return RunProcess.start(out, "-Xmx512m", env, "run", "--config", config.toString(), "--components", "ingest,streams,projector");
  }

  private static void issue(EmbeddedPostgresServer pg, String prefix, int n) throws InterruptedException {
    InvoiceGenerator g = new InvoiceGenerator(pg.jdbcUrl("issuing"), prefix, 7, false);
    for (Thread t : g.startAtRate(100, 1, () -> g.issuedCount() >= n)) {
      t.join();
    }
  }

  private static long count(EmbeddedPostgresServer pg, String sql) throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static boolean slotActive(EmbeddedPostgresServer pg) throws Exception {
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = 'invoice_sync'")) {
      return rs.next() && rs.getBoolean(1);
    }
  }
}
