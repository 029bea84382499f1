package io.invoicesync.examples.erp;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.testkit.InvoiceFixtures;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example consumer on a real broker and PostgreSQL, fed as sync-streams feeds an ERP: states
 * written by invoice-sync's own registry-less serializer in transactions, one of them aborted, a
 * state delivered twice. The consumer decodes them with nothing but the published .avsc files,
 * applies the newest version of each invoice, never an aborted one, and reading the whole topic
 * again changes nothing.
 */
class ErpConsumerIT {

  static final Path AVSC = Path.of("..", "..", "schemas", "avsc");
  static final String TOPIC = "invoices.synced";

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("erp"));
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
    }
    Serializer<InvoiceState> serializer = SerdeFactory.registryLess().valueSerde(InvoiceState.class).serializer();
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("transactional.id", "erp-example-test");
    try (KafkaProducer<String, InvoiceState> producer = new KafkaProducer<>(p, new StringSerializer(), serializer)) {
      producer.initTransactions();
      producer.beginTransaction();
      send(producer, state("erp-1", 1, "ISSUED"));
      send(producer, state("erp-2", 1, "ISSUED"));
      producer.commitTransaction();
      producer.beginTransaction();
      send(producer, state("erp-1", 9, "VOIDED")); // aborted: a read_committed consumer never sees it
      producer.flush();
      producer.abortTransaction();
      producer.beginTransaction();
      send(producer, state("erp-1", 2, "RED_FLUSHED"));
      send(producer, state("erp-2", 1, "ISSUED")); // delivered again
      producer.commitTransaction();
    }
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void appliesTheNewestCommittedVersionOfEachInvoiceOnceAndAgainNothing() throws Exception {
    int applied = drain("erp-a");
    assertThat(applied).as("erp-1 v1 and v2, erp-2 v1 once").isEqualTo(3);
    assertThat(rows()).containsExactlyInAnyOrderEntriesOf(Map.of("erp-1", "2 RED_FLUSHED", "erp-2", "1 ISSUED"));

    assertThat(drain("erp-b")).as("the whole topic read again by another group: nothing newer").isZero();
    assertThat(rows()).containsExactlyInAnyOrderEntriesOf(Map.of("erp-1", "2 RED_FLUSHED", "erp-2", "1 ISSUED"));
    try (Connection c = connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT grand_total, issue_date FROM erp_invoice WHERE invoice_id = 'erp-1'")) {
      rs.next();
      java.math.BigDecimal sent = state("erp-1", 2, "RED_FLUSHED").getInvoice().getGrandTotal();
      assertThat(rs.getBigDecimal(1)).as("money as sent, with its scale").isEqualTo(sent.setScale(2));
      assertThat(rs.getDate(2)).isNotNull();
    }
  }

  /** Runs the consumer of group {@code group} until the topic is read to its end; how many states it applied. */
  static int drain(String group) throws Exception {
    int applied = 0;
    int read = 0;
    try (ErpConsumer c = new ErpConsumer(kafka.bootstrapServers(), group, TOPIC, connect(), AVSC)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (read < 4 && System.nanoTime() < deadline) { // four committed records, whatever the polls
        ErpConsumer.Batch b = c.pollOnce(Duration.ofMillis(500));
        read += b.read();
        applied += b.applied();
      }
    }
    assertThat(read).as("the committed records of group " + group).isEqualTo(4);
    return applied;
  }

  static Map<String, String> rows() throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    try (Connection c = connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT invoice_id, version, status FROM erp_invoice")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getInt(2) + " " + rs.getString(3));
      }
    }
    return out;
  }

  static Connection connect() throws Exception {
    return DriverManager.getConnection(pg.jdbcUrl("erp"), EmbeddedPostgresServer.USER, "");
  }

  static InvoiceState state(String id, int version, String status) {
    var invoice = InvoiceFixtures.digitalInvoice(id, 2);
    invoice.setStatus(status);
    return InvoiceFixtures.synced(invoice, version, version * 10L);
  }

  static void send(KafkaProducer<String, InvoiceState> producer, InvoiceState s) {
    producer.send(new ProducerRecord<>(TOPIC, s.getInvoice().getId(), s));
  }
}
