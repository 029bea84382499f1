package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.ProjectorConfig;
import io.invoicesync.projector.ProjectorService;
import io.invoicesync.projector.QueryStoreSchema;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topic;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.InvoiceFixtures;
import io.invoicesync.testkit.KafkaTestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(300)
class DltCommandIT {

  @TempDir
  static Path dir;
  static EmbeddedKafkaBroker kafka;
  static EmbeddedPostgresServer pg;
  static ProjectorService projector;
  static final SerdeFactory serdes = SerdeFactory.registryLess();

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.<Topic<?>>copyOf(Topics.ALL));
    KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.of(new Topic<>("connect-dlq", byte[].class, 1, Map.of(), "test"),
        new Topic<>("orders.DLT", byte[].class, 1, Map.of(), "test")));
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("querystore"));
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
    sql("""
        CREATE TABLE apply_log (seq bigserial PRIMARY KEY, id varchar(64), version int);
        CREATE FUNCTION log_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO apply_log (id, version) VALUES (NEW.id, NEW.version); RETURN NEW; END $$;
        CREATE TRIGGER invoice_applied AFTER INSERT OR UPDATE ON invoice FOR EACH ROW EXECUTE FUNCTION log_apply();
        CREATE TABLE blocked (id varchar(64) PRIMARY KEY);
        CREATE FUNCTION refuse_blocked() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM blocked WHERE id = NEW.id) THEN
            RAISE EXCEPTION 'invoice % violates a store constraint', NEW.id USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER invoice_blocked BEFORE INSERT OR UPDATE ON invoice FOR EACH ROW EXECUTE FUNCTION refuse_blocked();
        """);
    projector = new ProjectorService(new ProjectorConfig(Map.of(ProjectorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
        ProjectorConfig.JDBC_URL, pg.jdbcUrl("querystore"), ProjectorConfig.MIGRATE, false)), new SimpleMeterRegistry());
    projector.start();
  }

  @AfterAll
  static void stop() {
    projector.close();
    pg.close();
    kafka.close();
  }

  static void sql(String s) throws Exception {
    try (Connection c = pg.connect("querystore"); Statement st = c.createStatement()) {
      st.execute(s);
    }
  }

  static String query(String q) throws Exception {
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static String[] cli(String... args) {
    return InvoiceSyncCommandTest.run(args);
  }

  @Test
  void shouldListShowAndReplayADeadLetterOnceTheCauseIsFixedAndAReplayTwiceChangesNothing() throws Exception {
    // Given an invoice the query store refuses as it is: it is dead-lettered
    sql("INSERT INTO blocked VALUES ('refused-1')");
    InvoiceState state = InvoiceFixtures.synced(InvoiceFixtures.digitalInvoice("refused-1", 2), 1, 77);
    try (KafkaProducer<String, InvoiceState> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        serdes.keySerde().serializer(), serdes.valueSerde(InvoiceState.class).serializer())) {
      p.send(new ProducerRecord<>(Topics.SYNCED.name(), "refused-1", state)).get();
    }
    String b = kafka.bootstrapServers();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(cli("dlt", "list", "--bootstrap", b, "--key", "refused-1")[1]).contains("1 dead letter"));

    // list: where it is, where it came from, why
    String list = cli("dlt", "list", "--bootstrap", b, "--error", "PSQLException")[1];
    assertThat(list).contains("refused-1", "invoice-sync", Topics.SYNCED.name() + ":", "PSQLException", "NON_RETRIABLE");
    Matcher m = Pattern.compile("(invoices\\.synced\\.dlt:\\d+:\\d+)").matcher(list);
    assertThat(m.find()).isTrue();

    // show: every header and the decoded payload
    String show = cli("dlt", "show", "--bootstrap", b, m.group(1))[1];
    assertThat(show).contains("invoicesync.dlt.original.topic = invoices.synced", "invoicesync.dlt.attempts = 1",
        "invoicesync.dlt.exception.stacktrace", "\"invoiceNumber\"", "refused-1");

    // When the cause is fixed and the dead letter replayed
    sql("DELETE FROM blocked");
    String[] replay = cli("dlt", "replay", "--bootstrap", b, "--key", "refused-1");
    assertThat(replay[1]).contains("replayed 1,");
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(query("SELECT count(*) FROM invoice WHERE id = 'refused-1'")).isEqualTo("1"));

    // Then a second replay changes nothing, and a third is refused by the loop guard
    double skippedBefore = projector.skippedOlderCount();
    assertThat(cli("dlt", "replay", "--bootstrap", b, "--key", "refused-1")[1]).contains("replayed 1,");
    await().atMost(Duration.ofSeconds(30)).until(() -> projector.skippedOlderCount() > skippedBefore); // consumed, refused by the guard
    assertThat(query("SELECT count(*) FROM apply_log WHERE id = 'refused-1'")).isEqualTo("1");
    String third = cli("dlt", "replay", "--bootstrap", b, "--key", "refused-1", "--max-replays", "2")[1];
    assertThat(third).contains("refused", "replayed 2 times already", "replayed 0, refused 1");
    assertThat(cli("dlt", "list", "--bootstrap", b, "--topic", "invoice-sync.replays")[1]).contains("2 dead letters");
  }

  @Test
  void shouldReplayAProjectorDeadLetterToTheRetryTopicOnlyAndRefuseARecordThatKeepsFailing() throws Exception {
    // Given a state the store keeps refusing: it is dead-lettered
    sql("INSERT INTO blocked VALUES ('loop-1')");
    InvoiceState state = InvoiceFixtures.synced(InvoiceFixtures.digitalInvoice("loop-1", 1), 1, 88);
    try (KafkaProducer<String, InvoiceState> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        serdes.keySerde().serializer(), serdes.valueSerde(InvoiceState.class).serializer())) {
      p.send(new ProducerRecord<>(Topics.SYNCED.name(), "loop-1", state)).get();
    }
    String b = kafka.bootstrapServers();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(cli("dlt", "list", "--bootstrap", b, "--key", "loop-1")[1]).contains("1 dead letter"));

    // When it is replayed without fixing the cause
    String[] replay = cli("dlt", "replay", "--bootstrap", b, "--key", "loop-1");
    assertThat(replay[0]).isEqualTo("0");
    assertThat(replay[1]).contains("-> " + Topics.SYNCED_RETRY.name(), "replayed 1,");

    // Then it went to the projector's retry topic, not to the ERP-facing synced topic, and failed again with its replay count
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(cli("dlt", "list", "--bootstrap", b, "--key", "loop-1")[1]).contains("2 dead letters"));
    assertThat(countKey(Topics.SYNCED.name(), "loop-1")).as("ERPs never see the replayed state twice").isEqualTo(1);
    com.fasterxml.jackson.databind.JsonNode listed = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(cli("dlt", "list", "--bootstrap", b, "--key", "loop-1", "--output", "json")[1]);
    assertThat(listed).hasSize(2);
    assertThat(listed.get(1).path("replayCount").asInt()).isEqualTo(1);
    assertThat(listed.get(1).path("stage").asText()).isEqualTo("projector");

    // And the loop guard counts replays of the record, not of a dead letter's coordinates: both copies are refused, exit 1
    String[] again = cli("dlt", "replay", "--bootstrap", b, "--key", "loop-1", "--max-replays", "1");
    assertThat(again[0]).isEqualTo("1");
    assertThat(again[1]).contains("replayed 0, refused 2");

    // show decodes the payload and says so in JSON too
    com.fasterxml.jackson.databind.JsonNode shown = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(cli("dlt", "show", "--bootstrap", b, listed.get(1).path("deadLetter").asText(), "-o", "json")[1]);
    assertThat(shown.path("headers").path("invoicesync.replay.count").asText()).isEqualTo("1");
    assertThat(shown.path("payload").asText()).contains("loop-1");
  }

  /** Records keyed {@code key} on {@code topic}, the whole topic read. */
  static long countKey(String topic, String key) {
    return KafkaTestSupport.readToEnd(kafka.bootstrapServers(), topic, new org.apache.kafka.common.serialization.StringDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer()).stream().filter(r -> key.equals(r.key())).count();
  }

  @Test
  void shouldReadKafkaConnectAndSpringKafkaDeadLettersAndReplayThemToTheirOriginalTopic() throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      RecordHeaders connect = new RecordHeaders();
      connect.add("__connect.errors.topic", "pg.public.orders".getBytes(StandardCharsets.UTF_8));
      connect.add("__connect.errors.partition", "2".getBytes(StandardCharsets.UTF_8));
      connect.add("__connect.errors.offset", "4711".getBytes(StandardCharsets.UTF_8));
      connect.add("__connect.errors.connector.name", "jdbc-sink".getBytes(StandardCharsets.UTF_8));
      connect.add("__connect.errors.stage", "VALUE_CONVERTER".getBytes(StandardCharsets.UTF_8));
      connect.add("__connect.errors.exception.class.name", "org.apache.kafka.connect.errors.DataException".getBytes(StandardCharsets.UTF_8));
      connect.add("__connect.errors.exception.message", "Converting byte[] to Kafka Connect data failed".getBytes(StandardCharsets.UTF_8));
      p.send(new ProducerRecord<>("connect-dlq", null, "order-1".getBytes(StandardCharsets.UTF_8), "{\"id\":1}".getBytes(StandardCharsets.UTF_8), connect)).get();
      RecordHeaders spring = new RecordHeaders();
      spring.add("kafka_dlt-original-topic", "orders".getBytes(StandardCharsets.UTF_8));
      spring.add("kafka_dlt-original-partition", ByteBuffer.allocate(4).putInt(1).array());
      spring.add("kafka_dlt-original-offset", ByteBuffer.allocate(8).putLong(99L).array());
      spring.add("kafka_dlt-original-timestamp", ByteBuffer.allocate(8).putLong(1_764_000_000_000L).array());
      spring.add("kafka_dlt-exception-fqcn", "org.springframework.kafka.listener.ListenerExecutionFailedException".getBytes(StandardCharsets.UTF_8));
      spring.add("kafka_dlt-exception-message", "Listener failed".getBytes(StandardCharsets.UTF_8));
      p.send(new ProducerRecord<>("orders.DLT", null, "order-2".getBytes(StandardCharsets.UTF_8), "{\"id\":2}".getBytes(StandardCharsets.UTF_8), spring)).get();
    }
    String b = kafka.bootstrapServers();

    String list = cli("dlt", "list", "--bootstrap", b, "--topic", "connect-dlq", "--topic", "orders.DLT")[1];
    assertThat(list).contains("kafka-connect", "pg.public.orders:2:4711", "DataException", "spring-kafka", "orders:1:99",
        "ListenerExecutionFailedException", "2 dead letters");
    assertThat(cli("dlt", "list", "--bootstrap", b, "--topic", "connect-dlq", "--topic", "orders.DLT", "--error", "Listener")[1])
        .contains("order-2", "1 dead letter").doesNotContain("order-1");
    assertThat(cli("dlt", "show", "--bootstrap", b, "orders.DLT:0:0")[1]).contains("kafka_dlt-original-offset = 99", "{\"id\":2}");

    String dry = cli("dlt", "replay", "--bootstrap", b, "--topic", "orders.DLT", "--dry-run")[1];
    assertThat(dry).contains("would replay orders.DLT:0:0 (key order-2) -> orders", "would replay 1,");
  }

  @Test
  void shouldExplainABadSinceValue() {
    String[] r = cli("dlt", "list", "--bootstrap", kafka.bootstrapServers(), "--since", "yesterday");
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).contains("--since 'yesterday'");
  }
}
