package io.invoicesync.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.testkit.KafkaTestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away while ingest runs and changes keep being committed: ingest keeps the batch
 * it could not publish (reporting an OUTAGE), and publishes it once the broker is back, without
 * failing and without a restart.
 */
@Timeout(300)
class IngestBrokerOutageIT {

  @TempDir
  Path dir;

  @Test
  void ridesOutABrokerOutageInPlaceAndPublishesWhatWasCommittedMeanwhile() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), port);
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers",
          kafka.bootstrapServers()))) {
        io.invoicesync.schemas.TopicPlan.defaults().replicationFactor((short) 1).ensure(admin, List.of(io.invoicesync.schemas.Topics.CAPTURED));
      }
      Map<String, Object> c = new HashMap<>();
      c.put(IngestConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      c.put(IngestConfig.DATABASE_PORT, pg.port());
      c.put(IngestConfig.DATABASE_DBNAME, "issuing");
      // give up on one attempt quickly, so that the test sees several (pass-through producer tuning)
      c.put("producer.delivery.timeout.ms", "6000");
      c.put("producer.request.timeout.ms", "3000");
      c.put("producer.max.block.ms", "3000");
      IngestService ingest = new IngestService(new IngestConfig(c), new SimpleMeterRegistry());
      try {
        ingest.start();
        ingest.awaitStreaming(Duration.ofSeconds(60));
        IngestIT.issue(pg, IngestIT.invoice("before", 1));
        String first = kafka.bootstrapServers();
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> captured(first).contains("before"));

        kafka.close(); // the cluster goes away
        IngestIT.issue(pg, IngestIT.invoice("during", 1));
        // longer than one attempt's delivery timeout: without riding it out, ingest would have stopped by now. Whether
        // Debezium hands the batch over during the outage or holds it (its own offset commit waits for Kafka too), ingest
        // stays alive, OUTAGE or UP, never FAILED
        await().during(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(20)).until(() -> ingest.failure() == null
            && ingest.health().status() != ComponentHealth.Status.FAILED);

        kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), port); // back, same address and data
        String bootstrap = kafka.bootstrapServers();
        await().atMost(Duration.ofMinutes(2)).ignoreExceptions().until(() -> captured(bootstrap).contains("during"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ingest.health().status() == ComponentHealth.Status.UP);
        assertThat(ingest.failure()).isNull();
      } finally {
        ingest.close();
        kafka.close();
      }
    }
  }

  private static List<String> captured(String bootstrap) {
    SerdeFactory serdes = SerdeFactory.registryLess();
    return KafkaTestSupport.readToEnd(bootstrap, "invoices.captured", serdes.keySerde().deserializer(),
        serdes.valueSerde(InvoiceChange.class).deserializer()).stream().map(ConsumerRecord::key).toList();
  }
}
