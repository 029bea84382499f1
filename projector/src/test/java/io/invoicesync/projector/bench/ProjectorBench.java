package io.invoicesync.projector.bench;

import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.ProjectorConfig;
import io.invoicesync.projector.ProjectorService;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.projector.QueryStoreWriter;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topic;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.InvoiceFixtures;
import io.invoicesync.testkit.KafkaTestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The projector alone, draining a pre-filled invoices.synced into an empty query store, beside a
 * raw batched upsert of the same rows (the same SQL through {@link QueryStoreWriter}, 1,000 states
 * per transaction, no Kafka) into another empty database of the same server, in the same run.
 * Run: {@code mvn -B verify -Pbench -pl projector -am -Dit.test=ProjectorBench -Dtest=NoSuchTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dbench.invoices=50000}
 */
class ProjectorBench {

  @TempDir
  Path dir;

  @Test
  void measure() throws Exception {
    int n = Integer.getInteger("bench.invoices", 50_000);
    List<InvoiceState> states = new ArrayList<>(n);
    long lines = 0;
    for (int i = 0; i < n; i++) {
      int lc = 1 + ThreadLocalRandom.current().nextInt(5);
      lines += lc;
      Invoice inv = InvoiceFixtures.digitalInvoice("p-" + i, lc);
      states.add(InvoiceFixtures.synced(inv, 1, 1000L + i));
    }
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
         EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("raw", "projected"))) {
      KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.<Topic<?>>copyOf(Topics.ALL));
      SerdeFactory serdes = SerdeFactory.registryLess();
      try (KafkaProducer<String, InvoiceState> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 20,
          "compression.type", "lz4"), serdes.keySerde().serializer(), serdes.valueSerde(InvoiceState.class).serializer())) {
        List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>(n);
        for (InvoiceState s : states) {
          sent.add(p.send(new ProducerRecord<>(Topics.SYNCED.name(), s.getInvoice().getId(), s)));
        }
        p.flush();
        for (var f : sent) {
          f.get(); // every state must be on the topic, or the comparison is meaningless
        }
      }

      // raw batched upsert of the same rows
      PGSimpleDataSource raw = new PGSimpleDataSource();
      raw.setUrl(pg.jdbcUrl("raw"));
      QueryStoreSchema.migrate(raw);
      QueryStoreWriter writer = new QueryStoreWriter(raw);
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i += 1000) {
        writer.write(states.subList(i, Math.min(n, i + 1000)));
      }
      double rawSeconds = (System.nanoTime() - t0) / 1e9;

      // the projector from Kafka
      QueryStoreSchema.migrate(pg.jdbcUrl("projected"), "postgres", "");
      try (ProjectorService projector = new ProjectorService(new ProjectorConfig(Map.of(ProjectorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
          ProjectorConfig.JDBC_URL, pg.jdbcUrl("projected"), ProjectorConfig.MIGRATE, false)), new SimpleMeterRegistry())) {
        long t1 = System.nanoTime();
        projector.start();
        await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofMillis(50)).until(() -> projector.appliedCount() >= n);
        double projSeconds = (System.nanoTime() - t1) / 1e9;
        System.out.printf("%nProjectorBench: %d invoices (%.2f lines each)%n  raw batched upsert (QueryStoreWriter, 1000/tx): %.1f s = %.0f invoices/s%n"
                + "  projector from invoices.synced (incl. start-up):  %.1f s = %.0f invoices/s%n  ratio projector/raw = %.2f%n",
            n, (double) lines / n, rawSeconds, n / rawSeconds, projSeconds, n / projSeconds, rawSeconds / projSeconds);
      }
    }
  }
}
