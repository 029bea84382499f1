package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest killed with SIGKILL under load, in its own JVM, then restarted: Debezium re-reads from its
 * last committed offset (flushed every 5 s here, so a crash always leaves changes to re-read), and
 * sync-streams must drop every redelivered change: invoices.synced holds no duplicate version.
 */
@Timeout(600)
class IngestCrashIT {

  @TempDir
  Path dir;

  @Test
  void shouldPublishNoDuplicateVersionWhenIngestIsKilledAndRestartedUnderLoad() throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams"));
      cfg.put("ingest.offset.flush.interval.ms", "5000");
      Path config = dir.resolve("ingest.properties");
      StringBuilder props = new StringBuilder();
      cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
      Files.writeString(config, props.toString());

      try (Pipeline pipeline = new Pipeline(cfg, EnumSet.of(Pipeline.Component.STREAMS, Pipeline.Component.PROJECTOR)).start()) {
        Process first = startIngest(config, dir.resolve("ingest-1.log"));
        awaitSlotActive(pg, true);
        InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "crash-", 11, true);
        List<Thread> workers = generator.startAtRate(300, 1, () -> generator.issuedCount() >= 1500);

        await().atMost(Duration.ofMinutes(2)).until(() -> generator.issuedCount() >= 600);
        first.destroyForcibly().waitFor(); // SIGKILL: no offset commit, no clean shutdown
        awaitSlotActive(pg, false);
        Process second = startIngest(config, dir.resolve("ingest-2.log"));
        try {
          for (Thread w : workers) {
            w.join(Duration.ofMinutes(3).toMillis());
          }
          Set<String> valid = new HashSet<>();
          generator.ledger().values().stream().filter(InvoiceGenerator.Issued::valid).forEach(i -> valid.add(i.id()));
          await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
              assertThat(visible(pg)).containsAll(valid));

          SyncedVersions.assertEachAppliedOnceInOrder(kafka.bootstrapServers(), valid);
          assertThat(pipeline.streams().metrics().dropped("redelivery"))
              .as("the killed ingest's uncommitted changes were read again and dropped as redeliveries").isPositive();
        } finally {
          second.destroy();
          second.waitFor();
        }
      }
    }
  }

  private static Process startIngest(Path config, Path log) throws Exception {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-Dinvoicesync.log.file=" + log, "-cp", classpath, InvoiceSyncCommand.class.getName(),
        "run", "--config", config.toString(), "--components", "ingest")
        .redirectErrorStream(true).redirectOutput(log.resolveSibling(log.getFileName() + ".out").toFile()).start();
  }

  private static void awaitSlotActive(EmbeddedPostgresServer pg, boolean active) {
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> {
      try (Connection c = pg.connect("issuing"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = 'invoice_sync'")) {
        return rs.next() && rs.getBoolean(1) == active;
      }
    });
  }

  private static Set<String> visible(EmbeddedPostgresServer pg) throws Exception {
    Set<String> ids = new HashSet<>();
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM invoice")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }
}
