package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.outcomes.reconcile.ReconcileClass;
import io.invoicesync.outcomes.reconcile.Reconciler;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.generator.InvoiceGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Scale-out on Kafka's own group protocol, no home-made coordination: two streams+projector
 * instances in their own JVMs share the partitions under load; one is killed with SIGKILL mid-run;
 * the survivor takes its partitions over. Judged by reconcile (every invoice visible at its latest
 * state or rejected with reasons) and by invoices.synced (each invoice's versions 1..n, once each,
 * in order).
 */
@Timeout(900)
class ScaleOutIT {

  private static final String PROJECTOR_GROUP = "invoice-sync-projector";
  private static final String STREAMS_GROUP = "invoice-sync-streams";

  @TempDir
  Path dir;

  @Test
  void theSurvivorTakesOverAKilledInstancesPartitionsAndNothingIsLostDuplicatedOrReordered() throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams-unused"));
      // a killed member's partitions move after its session expires: 10 s instead of the default 45 s (pass-through keys)
      cfg.put("streams.streams.main.consumer.session.timeout.ms", "10000");
      cfg.put("projector.consumer.session.timeout.ms", "10000");
      Path config = dir.resolve("run.properties");
      StringBuilder props = new StringBuilder();
      cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
      Files.writeString(config, props.toString());

      try (Pipeline ingest = new Pipeline(cfg, EnumSet.of(Pipeline.Component.INGEST)).start()) {
        ingest.awaitIngestStreaming(Duration.ofMinutes(2));
        Process a = start(config, "a");
        Process b = start(config, "b");
        try {
          InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "scale-", 23, true);
          List<Thread> workers = generator.startAtRate(80, 1, () -> generator.issuedCount() >= 2400);
          // both instances hold partitions of both groups before one is killed
          await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(membersWithPartitions(kafka, PROJECTOR_GROUP)).isEqualTo(2);
            assertThat(membersWithPartitions(kafka, STREAMS_GROUP)).isEqualTo(2);
          });
          await().atMost(Duration.ofMinutes(2)).until(() -> generator.issuedCount() >= 800);
          a.destroyForcibly().waitFor(); // SIGKILL: no commit, no leave-group, an open transaction left behind
          await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(members(kafka, PROJECTOR_GROUP)).isEqualTo(1);
            assertThat(members(kafka, STREAMS_GROUP)).isEqualTo(1);
          });
          for (Thread w : workers) {
            w.join(TimeUnit.MINUTES.toMillis(3));
          }
          assertThat(b.isAlive()).as("the survivor still runs").isTrue();

          Set<String> valid = new HashSet<>();
          generator.ledger().values().stream().filter(InvoiceGenerator.Issued::valid).forEach(i -> valid.add(i.id()));
          Reconciler reconciler = new Reconciler(ds(pg, "issuing"), "issuing", ds(pg, "querystore"), Duration.ofSeconds(1));
          await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            Reconciler.Report r = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });
            assertThat(r.counts()).as("every invoice visible at its latest state, or rejected with reasons")
                .containsEntry(ReconcileClass.MISSING, 0).containsEntry(ReconcileClass.STALE, 0).containsEntry(ReconcileClass.EXTRA, 0)
                .containsEntry(ReconcileClass.IN_FLIGHT, 0).containsEntry(ReconcileClass.DEAD_LETTERED, 0);
            assertThat(r.sourceInvoices()).isGreaterThanOrEqualTo(2400);
          });
          SyncedVersions.assertEachAppliedOnceInOrder(kafka.bootstrapServers(), valid);
        } finally {
          a.destroyForcibly().waitFor();
          b.destroy();
          b.waitFor(90, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** One configuration file for both; what differs per instance comes from the environment. */
  private Process start(Path config, String instance) throws Exception {
    return RunProcess.start(dir.resolve("run-" + instance + ".out"), "-Xmx512m", Map.of(
        "INVOICESYNC_STREAMS_STATE_DIR", dir.resolve("streams-" + instance).toString(), "INVOICESYNC_MANAGEMENT_INSTANCE", instance),
        "run", "--config", config.toString(), "--components", "streams,projector");
  }

  private static int members(EmbeddedKafkaBroker kafka, String group) throws Exception {
    ConsumerGroupDescription d = describe(kafka, group);
    return d == null ? 0 : d.members().size();
  }

  private static int membersWithPartitions(EmbeddedKafkaBroker kafka, String group) throws Exception {
    int n = 0;
    ConsumerGroupDescription d = describe(kafka, group);
    for (MemberDescription m : d == null ? List.<MemberDescription>of() : d.members()) {
      if (!m.assignment().topicPartitions().isEmpty()) {
        n++;
      }
    }
    return n;
  }

  /** The group, or null while it does not exist yet. */
  private static ConsumerGroupDescription describe(EmbeddedKafkaBroker kafka, String group) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      return admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException) {
        return null;
      }
      throw e;
    }
  }

  private static PGSimpleDataSource ds(EmbeddedPostgresServer pg, String db) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl(db));
    return ds;
  }
}
