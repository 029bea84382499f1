package io.invoicesync.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(180)
class EmbeddedInfrastructureIT {

  @TempDir
  Path dir;

  @Test
  void shouldKeepTopicsAndRecordsAcrossABrokerRestartOnTheSameDataDir() throws Exception {
    // Given a broker with a topic and a committed record
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
      }
      try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
          new StringSerializer(), new StringSerializer())) {
        p.send(new ProducerRecord<>("kept", "k", "v")).get();
      }
    }
    // When it starts again on the same directory (on new ports)
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      // Then the record is still there
      Properties c = new Properties();
      c.put("bootstrap.servers", kafka.bootstrapServers());
      c.put("group.id", "g");
      c.put("auto.offset.reset", "earliest");
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of("kept"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (got.isEmpty() && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(500)).forEach(got::add);
        }
      }
      assertThat(got).extracting(ConsumerRecord::value).containsExactly("v");
    }
  }

  @Test
  void shouldRunPostgresWithLogicalWalAndKeepDatabasesAcrossRestarts() throws Exception {
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"))) {
      assertThat(query(pg, "postgres", "SHOW wal_level")).isEqualTo("logical");
      try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (id int); INSERT INTO t VALUES (42)");
      }
    }
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing", "querystore"))) {
      assertThat(query(pg, "issuing", "SELECT id FROM t")).isEqualTo("42");
      assertThat(query(pg, "querystore", "SELECT current_database()")).isEqualTo("querystore");
    }
  }

  private static String query(EmbeddedPostgresServer pg, String db, String sql) throws Exception {
    try (Connection c = pg.connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
