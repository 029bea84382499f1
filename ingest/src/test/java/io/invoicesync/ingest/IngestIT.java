package io.invoicesync.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.testkit.IssuingInvoice;
import io.invoicesync.testkit.KafkaTestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(180)
class IngestIT {

  @TempDir
  static Path dir;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;

  @BeforeAll
  static void startInfrastructure() {
    pg = EmbeddedPostgresServer.start(dir.resolve("pg"), List.of("issuing"));
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
  }

  @AfterAll
  static void stopInfrastructure() {
    if (kafka != null) {
      kafka.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  private Map<String, Object> config(String suffix) {
    Map<String, Object> c = new HashMap<>();
    c.put(IngestConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    c.put(IngestConfig.DATABASE_PORT, pg.port());
    c.put(IngestConfig.DATABASE_DBNAME, "issuing");
    c.put(IngestConfig.SLOT_NAME, "slot_" + suffix);
    c.put(IngestConfig.PUBLICATION_NAME, "pub_" + suffix);
    c.put(IngestConfig.CAPTURED_TOPIC, "captured-" + suffix);
    c.put(IngestConfig.OFFSETS_TOPIC, "offsets-" + suffix);
    c.put(IngestConfig.ENGINE_NAME, "ingest-" + suffix);
    return c;
  }

  static void exec(String... sql) throws Exception {
    try (Connection c = pg.connect("issuing"); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (String q : sql) {
        s.execute(q);
      }
      c.commit();
    }
  }

  /** Issues {@code invoices} in one transaction on {@code server}. */
  static void issue(EmbeddedPostgresServer server, IssuingInvoice... invoices) throws Exception {
    try (Connection c = server.connect("issuing")) {
      c.setAutoCommit(false);
      for (IssuingInvoice invoice : invoices) {
        invoice.insert(c);
      }
      c.commit();
    }
  }

  /** Polls {@code consumer} into {@code got} until a change of {@code invoiceId} is there; the first one. */
  static InvoiceChange awaitCaptured(KafkaConsumer<String, InvoiceChange> consumer, List<ConsumerRecord<String, InvoiceChange>> got,
      String invoiceId, Duration atMost) {
    await().atMost(atMost).untilAsserted(() -> {
      KafkaTestSupport.pollInto(consumer, got);
      assertThat(got).anySatisfy(r -> assertThat(r.key()).isEqualTo(invoiceId));
    });
    return got.stream().filter(r -> r.key().equals(invoiceId)).findFirst().orElseThrow().value();
  }

  /** One line of 100.00 at 13% (no unit). */
  static final IssuingInvoice.Line LINE = IssuingInvoice.Line.service(BigDecimal.ONE, new BigDecimal("100"), new BigDecimal("100.00"),
      new BigDecimal("13.00")).item("*软件*维护").withoutUnit();

  /** An issued 数电票 (a buyer without a tax id) of {@code lines} lines of 100.00 at 13%. */
  static IssuingInvoice invoice(String id, int lines) {
    IssuingInvoice invoice = IssuingInvoice.digital(id, "26442000000000000001").issued(LocalDateTime.of(2026, 11, 20, 10, 30))
        .buyer(IssuingInvoice.BUYER_NAME).totals(new BigDecimal("300.00"), new BigDecimal("39.00"), new BigDecimal("339.00"));
    for (int i = 0; i < lines; i++) {
      invoice.line(LINE);
    }
    return invoice;
  }

  @Test
  void shouldPublishOneChangePerInvoicePerTransactionWithAllItsLines() throws Exception {
    String suffix = KafkaTestSupport.uniqueSuffix();
    Map<String, Object> cfg = config(suffix);
    KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.of(new io.invoicesync.schemas.Topic<>("captured-" + suffix, InvoiceChange.class, 3, Map.of(), "test")));
    SerdeFactory serdes = SerdeFactory.registryLess();
    try (IngestService ingest = new IngestService(new IngestConfig(cfg), new SimpleMeterRegistry());
         KafkaConsumer<String, InvoiceChange> consumer = KafkaTestSupport.consumer(kafka.bootstrapServers(), "captured-" + suffix,
             serdes.keySerde().deserializer(), serdes.valueSerde(InvoiceChange.class).deserializer())) {
      // Given a running ingest
      ingest.start();
      ingest.awaitStreaming(Duration.ofSeconds(60));
      String a = "a-" + suffix;
      String b = "b-" + suffix;

      // When two invoices with 3 lines each are issued in one transaction, then one is voided
      issue(pg, invoice(a, 3), invoice(b, 3));
      exec("UPDATE issuing.invoice SET status = 'VOIDED' WHERE id = '" + a + "'");

      // Then: one CREATE per invoice with all lines, and one status-only UPDATE
      List<ConsumerRecord<String, InvoiceChange>> got = new ArrayList<>();
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
        KafkaTestSupport.pollInto(consumer, got);
        got.removeIf(r -> !r.key().equals(a) && !r.key().equals(b)); // snapshot of other tests' invoices
        assertThat(got).hasSize(3);
      });
      Map<String, List<InvoiceChange>> byKey = new HashMap<>();
      got.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
      InvoiceChange createdA = byKey.get(a).get(0);
      assertThat(createdA.getOp()).isEqualTo("CREATE");
      assertThat(createdA.getLinesIncluded()).isTrue();
      assertThat(createdA.getAfter().getLines()).extracting(l -> l.getLineNo()).containsExactly(1, 2, 3);
      assertThat(createdA.getAfter().getGrandTotal()).isEqualByComparingTo("339.00");
      assertThat(createdA.getAfter().getIssuedAt()).hasToString("2026-11-20T10:30");
      assertThat(byKey.get(b)).singleElement().satisfies(c -> assertThat(c.getAfter().getLines()).hasSize(3));
      InvoiceChange voided = byKey.get(a).get(1);
      assertThat(voided.getOp()).isEqualTo("UPDATE");
      assertThat(voided.getLinesIncluded()).isFalse();
      assertThat(voided.getAfter().getStatus()).isEqualTo("VOIDED");
      assertThat(voided.getSource().getLsn()).isGreaterThan(createdA.getSource().getLsn());
      // every position carries the cluster's epoch: its initdb time (this test's cluster: made minutes ago) and timeline 1
      long epoch = createdA.getSource().getEpoch();
      assertThat(java.time.Instant.ofEpochSecond(epoch / 1000)).isBetween(java.time.Instant.now().minus(Duration.ofHours(1)), java.time.Instant.now());
      assertThat(epoch % 1000).isEqualTo(1);
      assertThat(voided.getSource().getEpoch()).isEqualTo(epoch);
      assertThat(ingest.failure()).isNull();
    }
  }

  @Test
  void shouldSnapshotExistingInvoicesWithTheirLines() throws Exception {
    String suffix = KafkaTestSupport.uniqueSuffix();
    String pre = "pre-" + suffix;
    issue(pg, invoice(pre, 2));
    KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.of(new io.invoicesync.schemas.Topic<>("captured-" + suffix, InvoiceChange.class, 1, Map.of(), "test")));
    SerdeFactory serdes = SerdeFactory.registryLess();
    try (IngestService ingest = new IngestService(new IngestConfig(config(suffix)), new SimpleMeterRegistry());
         KafkaConsumer<String, InvoiceChange> consumer = KafkaTestSupport.consumer(kafka.bootstrapServers(), "captured-" + suffix,
             serdes.keySerde().deserializer(), serdes.valueSerde(InvoiceChange.class).deserializer())) {
      ingest.start();
      InvoiceChange snap = awaitCaptured(consumer, new ArrayList<>(), pre, Duration.ofSeconds(90));
      assertThat(snap.getOp()).isEqualTo("SNAPSHOT");
      assertThat(snap.getSource().getSnapshot()).isTrue();
      assertThat(snap.getAfter().getLines()).hasSize(2);
    }
  }

  @Test
  void shouldSnapshotAgainWhenItsReplicationSlotWasDroppedWhileItWasDown() throws Exception {
    String suffix = KafkaTestSupport.uniqueSuffix();
    KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.of(new io.invoicesync.schemas.Topic<>("captured-" + suffix, InvoiceChange.class, 1, Map.of(), "test")));
    SerdeFactory serdes = SerdeFactory.registryLess();
    String before = "slot-a-" + suffix;
    String during = "slot-b-" + suffix;
    try (KafkaConsumer<String, InvoiceChange> consumer = KafkaTestSupport.consumer(kafka.bootstrapServers(), "captured-" + suffix,
        serdes.keySerde().deserializer(), serdes.valueSerde(InvoiceChange.class).deserializer())) {
      List<ConsumerRecord<String, InvoiceChange>> got = new ArrayList<>();
      // Given an ingest that captured an invoice and committed its position
      try (IngestService ingest = new IngestService(new IngestConfig(config(suffix)), new SimpleMeterRegistry())) {
        ingest.start();
        ingest.awaitStreaming(Duration.ofSeconds(60));
        issue(pg, invoice(before, 1));
        awaitCaptured(consumer, got, before, Duration.ofSeconds(90));
      }
      // When, while it is down, an invoice is issued and the replication slot is dropped (with it, the WAL it held)
      issue(pg, invoice(during, 2));
      exec("SELECT pg_drop_replication_slot('slot_" + suffix + "')");

      // Then the restarted ingest does not skip what it can no longer stream: it snapshots again, the invoice issued meanwhile included
      try (IngestService ingest = new IngestService(new IngestConfig(config(suffix)), new SimpleMeterRegistry())) {
        ingest.start();
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
          KafkaTestSupport.pollInto(consumer, got);
          assertThat(ingest.failure()).isNull();
          assertThat(got).anySatisfy(r -> {
            assertThat(r.key()).isEqualTo(during);
            assertThat(r.value().getAfter().getLines()).hasSize(2);
          });
        });
      }
    }
  }

  @Test
  void shouldPublishUnderTheNewClustersEpochWhenTheDatabaseMovesWhileIngestRuns() throws Exception {
    String suffix = KafkaTestSupport.uniqueSuffix();
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Map<String, Object> cfg = config(suffix);
    cfg.put(IngestConfig.DATABASE_PORT, port);
    KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.of(new io.invoicesync.schemas.Topic<>("captured-" + suffix, InvoiceChange.class, 1, Map.of(), "test")));
    SerdeFactory serdes = SerdeFactory.registryLess();
    String old = "moved-a-" + suffix;
    String moved = "moved-b-" + suffix;
    EmbeddedPostgresServer first = EmbeddedPostgresServer.start(dir.resolve("moving-1"), "logical", List.of("issuing"), port);
    EmbeddedPostgresServer second = null;
    boolean firstClosed = false;
    try (IngestService ingest = new IngestService(new IngestConfig(cfg), new SimpleMeterRegistry());
         KafkaConsumer<String, InvoiceChange> consumer = KafkaTestSupport.consumer(kafka.bootstrapServers(), "captured-" + suffix,
             serdes.keySerde().deserializer(), serdes.valueSerde(InvoiceChange.class).deserializer())) {
      // Given an ingest capturing a cluster that has run a while (its WAL 48 MB on)
      IssuingPlatformSchema.migrate(first.jdbcUrl("issuing"), "postgres", "");
      try (Connection c = first.connect("issuing"); Statement st = c.createStatement()) {
        for (int i = 0; i < 3; i++) {
          st.execute("CREATE TABLE IF NOT EXISTS public.wal_filler (n int); INSERT INTO public.wal_filler VALUES (1)");
          st.execute("SELECT pg_switch_wal()");
        }
      }
      ingest.start();
      ingest.awaitStreaming(Duration.ofSeconds(60));
      issue(first, invoice(old, 1));
      List<ConsumerRecord<String, InvoiceChange>> got = new ArrayList<>();
      InvoiceChange before = awaitCaptured(consumer, got, old, Duration.ofSeconds(60));

      // When the database moves to a new cluster at the same address while ingest keeps running (its WAL starts again, lower)
      first.close();
      firstClosed = true;
      second = EmbeddedPostgresServer.start(dir.resolve("moving-2"), "logical", List.of("issuing"), port);
      IssuingPlatformSchema.migrate(second.jdbcUrl("issuing"), "postgres", "");
      io.invoicesync.ingest.internal.IssuingDatabaseCheck.verify(new IngestConfig(cfg)); // its publication, as a restored database has it
      issue(second, invoice(moved, 1));

      // Then what it captures there carries the new cluster's higher epoch, though its position is lower
      InvoiceChange after = awaitCaptured(consumer, got, moved, Duration.ofSeconds(120));
      assertThat(after.getSource().getLsn()).isLessThan(before.getSource().getLsn());
      assertThat(after.getSource().getEpoch()).isGreaterThan(before.getSource().getEpoch());
      assertThat(io.invoicesync.schemas.Positions.compare(after.getSource(), before.getSource())).isPositive();
      assertThat(ingest.failure()).isNull();
    } finally {
      if (!firstClosed) {
        first.close();
      }
      if (second != null) {
        second.close();
      }
    }
  }

  @Test
  void shouldRefuseToStartWhenWalLevelIsNotLogicalAndSaySo() {
    try (EmbeddedPostgresServer replicaOnly = EmbeddedPostgresServer.start(dir.resolve("pg-replica"), "replica", List.of("issuing"))) {
      Map<String, Object> cfg = config("walcheck");
      cfg.put(IngestConfig.DATABASE_PORT, replicaOnly.port());
      IngestService ingest = new IngestService(new IngestConfig(cfg), new SimpleMeterRegistry());
      assertThatThrownBy(ingest::start)
          .isInstanceOf(IngestStartupException.class)
          .hasMessageContaining("wal_level is 'replica'")
          .hasMessageContaining("wal_level=logical");
    }
  }

  @Test
  void shouldRejectContentChangesOfAnIssuedInvoiceInTheIssuingSchema() throws Exception {
    String id = "imm-" + KafkaTestSupport.uniqueSuffix();
    issue(pg, invoice(id, 1));
    assertThatThrownBy(() -> exec("UPDATE issuing.invoice SET total_amount = 1 WHERE id = '" + id + "'"))
        .hasMessageContaining("immutable");
    assertThatThrownBy(() -> exec("UPDATE issuing.invoice_line SET amount = 1 WHERE invoice_id = '" + id + "'"))
        .hasMessageContaining("immutable");
    exec("UPDATE issuing.invoice SET status = 'RED_FLUSHED' WHERE id = '" + id + "'");
  }
}
