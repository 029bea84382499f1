package io.invoicesync.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topic;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.KafkaTestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away just as the projector has to send a record on (here to the dead-letter
 * topic, with its DEAD_LETTERED report): the send times out, the projector rides it out in place
 * (OUTAGE, consumption paused, not a dead thread or an exit), and sends it once the broker is back.
 * The moment is made deterministic with an advisory lock the test holds and the store's trigger waits for.
 */
@Timeout(300)
class ProjectorBrokerOutageIT {

  @TempDir
  Path dir;

  @Test
  void ridesOutASendTimeoutToTheDeadLetterTopicAndSendsItOnceTheBrokerIsBack() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("querystore"))) {
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
        s.execute("""
            CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.id LIKE 'gated%' THEN
                PERFORM pg_advisory_xact_lock_shared(42);
                RAISE EXCEPTION 'invoice % refused by the test', NEW.id USING ERRCODE = '22023';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER gate BEFORE INSERT OR UPDATE ON invoice FOR EACH ROW EXECUTE FUNCTION gate();
            """);
      }
      EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), port);
      KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.<Topic<?>>copyOf(Topics.ALL));
      Map<String, Object> cfg = new HashMap<>();
      cfg.put(ProjectorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      cfg.put(ProjectorConfig.JDBC_URL, pg.jdbcUrl("querystore"));
      cfg.put(ProjectorConfig.MIGRATE, false);
      cfg.put(ProjectorConfig.BACKOFF_MAX_MS, 2000L);
      // give up on one send attempt quickly, so that the test sees the timeout (pass-through producer tuning)
      cfg.put("producer.delivery.timeout.ms", "6000");
      cfg.put("producer.request.timeout.ms", "3000");
      cfg.put("producer.max.block.ms", "3000");
      ProjectorService projector = new ProjectorService(new ProjectorConfig(cfg), new SimpleMeterRegistry());
      SerdeFactory serdes = SerdeFactory.registryLess();
      try (Connection gateHolder = pg.connect("querystore")) {
        projector.start();
        send(kafka, serdes, "warm", 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> visible(pg, "warm"));

        try (Statement s = gateHolder.createStatement()) {
          s.execute("SELECT pg_advisory_lock(42)");
        }
        send(kafka, serdes, "gated-1", 1);
        // the projector's write waits in the trigger: now the broker goes away
        await().atMost(Duration.ofSeconds(60)).until(() -> "1".equals(query(pg,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")));
        kafka.close();
        try (Statement s = gateHolder.createStatement()) {
          s.execute("SELECT pg_advisory_unlock(42)"); // the write fails for good: the record is to be dead-lettered, with no broker
        }

        // the dead-letter send times out after 6 s: ridden out, not a failure
        await().atMost(Duration.ofSeconds(60)).until(() -> projector.health().status() == ComponentHealth.Status.OUTAGE);
        assertThat(projector.health().details()).containsKey("outageSince");
        await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15)).until(() -> projector.failure() == null
            && projector.health().status() != ComponentHealth.Status.FAILED);

        kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"), port); // back, same address and data
        EmbeddedKafkaBroker back = kafka;
        await().atMost(Duration.ofMinutes(2)).ignoreExceptions().until(() -> deadLetteredKeys(back).contains("gated-1"));
        await().atMost(Duration.ofSeconds(60)).until(() -> projector.health().status() == ComponentHealth.Status.UP);
        send(kafka, serdes, "after", 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> visible(pg, "after"));
        assertThat(projector.failure()).isNull();
        assertThat(deadLetteredKeys(kafka)).containsOnlyOnce("gated-1");
        assertThat(projector.deadLetteredCount()).isEqualTo(1.0);
      } finally {
        projector.close();
        kafka.close();
      }
    }
  }

  private static void send(EmbeddedKafkaBroker kafka, SerdeFactory serdes, String id, int version) throws Exception {
    try (KafkaProducer<String, InvoiceState> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        serdes.keySerde().serializer(), serdes.valueSerde(InvoiceState.class).serializer())) {
      p.send(new ProducerRecord<>(Topics.SYNCED.name(), id, ProjectorIT.state(id, version))).get();
    }
  }

  private static boolean visible(EmbeddedPostgresServer pg, String id) throws Exception {
    return query(pg, "SELECT id FROM invoice WHERE id = '" + id + "'") != null;
  }

  private static String query(EmbeddedPostgresServer pg, String q) throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static List<String> deadLetteredKeys(EmbeddedKafkaBroker kafka) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("group.id", "dlt-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(Topics.SYNCED_DLT.name()));
      for (int i = 0; i < 6; i++) {
        c.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.key()));
      }
    }
    return out;
  }
}
