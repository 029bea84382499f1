package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.testkit.KafkaTestSupport;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.SourcePosition;
import io.invoicesync.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code invoice-sync audit verify} on a real run's audit trail: clean as written, and broken, naming
 * the invoice, when a plain producer forges a copy of the topic with one entry replayed, dropped or
 * altered, or with a whole chain deleted (caught by the checkpoints). Export and history too.
 */
@Timeout(600)
class AuditVerifyIT {

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;
  static Pipeline pipeline;
  static final SerdeFactory serdes = SerdeFactory.registryLess();
  /** The real audit topic, as read once the run settled: partition -> records in offset order. */
  static List<ConsumerRecord<String, byte[]>> audit;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    pg = stack.pg;
    kafka = stack.kafka;
    Map<String, String> cfg = stack.config();
    cfg.put("streams.audit.checkpoint.interval.ms", "1000");
    pipeline = stack.startPipeline(cfg);

    // a run: valid and invalid invoices, status changes, red-letter ones
    InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "au-", 3, true);
    AtomicBoolean enough = new AtomicBoolean();
    for (Thread w : generator.startAtRate(300, 1, () -> generator.issuedCount() >= 300 || enough.get())) {
      w.join(Duration.ofMinutes(2).toMillis());
    }
    enough.set(true);
    // settled: every invoice decided and projected, and a checkpoint taken after the last entry
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      try (var c = pg.connect("querystore"); var s = c.createStatement();
           var rs = s.executeQuery("SELECT count(*) FILTER (WHERE outcome = 'IN_FLIGHT'), count(*) FROM invoice_outcome")) {
        rs.next();
        return rs.getLong(1) == 0 && rs.getLong(2) >= 300;
      }
    });
    Instant settled = Instant.now();
    await().atMost(Duration.ofMinutes(1)).until(() -> readAll(Topics.AUDIT_CHECKPOINTS.name()).stream()
        .map(r -> serdes.valueSerde(AuditCheckpoint.class).deserializer().deserialize(r.topic(), r.value()))
        .filter(cp -> cp.getCheckpointAt().isAfter(settled)).map(AuditCheckpoint::getPartition).distinct().count() == 6);
    stack.stopPipeline(); // nothing more is written while the copies are forged
    pipeline = null;
    audit = readAll(Topics.AUDIT.name());
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldVerifyTheChainAsWritten() throws Exception {
    Result r = run("audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--output", "json", "--all-checkpoints");

    assertThat(r.exit()).as(r.out()).isZero();
    JsonNode body = new ObjectMapper().readTree(r.out());
    assertThat(body.get("verified").asBoolean()).isTrue();
    assertThat(body.get("entries").asLong()).isEqualTo(audit.size());
    assertThat(body.get("invoices").asLong()).isGreaterThanOrEqualTo(300);
    assertThat(body.get("checkpoints").asLong()).isGreaterThanOrEqualTo(6);
  }

  @Test
  void shouldNameTheInvoiceWhenAnEntryIsReplayed() throws Exception {
    ConsumerRecord<String, byte[]> first = secondOfSomeChain(0);
    forge("forged.replayed", r -> true, UnaryOperator.identity(), List.of(first));

    Result r = run("audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.replayed");

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains(first.key()).contains("REPLAYED");
  }

  @Test
  void shouldNameTheInvoiceWhenAnEntryIsDropped() throws Exception {
    ConsumerRecord<String, byte[]> victim = secondOfSomeChain(1);
    String dropped = entry(victim).getHash();
    forge("forged.dropped", r -> !entry(r).getHash().equals(dropped), UnaryOperator.identity(), List.of());

    Result r = run("audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.dropped");

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains(victim.key()).contains("MISSING");
  }

  @Test
  void shouldNameTheInvoiceWhenAnEntryIsAltered() throws Exception {
    ConsumerRecord<String, byte[]> victim = secondOfSomeChain(2);
    String altered = entry(victim).getHash();
    forge("forged.altered", r -> true, e -> {
      if (e.getHash().equals(altered)) {
        e.setDetail("nothing happened here");
      }
      return e;
    }, List.of());

    Result r = run("audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.altered", "--output", "json");

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    JsonNode problems = new ObjectMapper().readTree(r.out()).get("problems");
    assertThat(problems.findValuesAsText("invoiceId")).contains(victim.key());
    assertThat(problems.findValuesAsText("kind")).contains("ALTERED");
  }

  @Test
  void shouldDetectADeletedChainByTheCheckpoint() throws Exception {
    String gone = audit.get(audit.size() / 2).key();
    forge("forged.deleted", r -> !r.key().equals(gone), UnaryOperator.identity(), List.of());

    Result r = run("audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.deleted");

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("CHECKPOINT_MISMATCH").contains("input partition " + AuditChain.partitionOf(gone, 6));
    assertThat(r.out()).doesNotContain("MISSING");
  }

  @Test
  void shouldExportAVerifiableFileAndShowOneHistory() throws Exception {
    Path jsonl = dir.resolve("audit.jsonl");
    Result r = run("audit", "export", "--bootstrap", kafka.bootstrapServers(), "--from", "2000-01-01", "--to", "2100-01-01", "--format",
        "jsonl", "--out", jsonl.toString());
    assertThat(r.exit()).as(r.out()).isZero();
    List<String> lines = Files.readAllLines(jsonl);
    assertThat(lines).hasSize(audit.size());
    // the file alone suffices to recompute every hash
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      JsonNode n = json.readTree(line);
      AuditEntry e = AuditEntry.newBuilder().setInvoiceId(n.get("invoiceId").asText()).setEvent(n.get("event").asText())
          .setVersion(n.get("version").isNull() ? null : n.get("version").asInt())
          .setSource(SourcePosition.newBuilder().setLsn(n.get("sourceLsn").asLong())
              .setCommitTs(Instant.ofEpochMilli(n.get("sourceCommitTs").asLong())).build())
          .setDigest(n.get("digest").asText()).setDetail(text(n, "detail")).setPrevHash(text(n, "prevHash")).setHash(n.get("hash").asText())
          .setRecordedAt(Instant.ofEpochMilli(n.get("recordedAt").asLong())).setStage(text(n, "stage"))
          .setCapturedAt(n.get("capturedAt").isNull() ? null : Instant.ofEpochMilli(n.get("capturedAt").asLong()))
          .setDecidedAt(n.get("decidedAt").isNull() ? null : Instant.ofEpochMilli(n.get("decidedAt").asLong()))
          .setInvoiceCode(text(n, "invoiceCode")).setInvoiceNumber(text(n, "invoiceNumber")).setSellerTaxId(text(n, "sellerTaxId")).build();
      assertThat(AuditChain.hash(e)).as(line).isEqualTo(e.getHash());
    }
    Path csv = dir.resolve("audit.csv");
    String seller = entry(audit.get(0)).getSellerTaxId();
    assertThat(run("audit", "export", "--bootstrap", kafka.bootstrapServers(), "--from", "2000-01-01", "--to", "2100-01-01", "--seller",
        seller, "--format", "csv", "--out", csv.toString()).exit()).isZero();
    List<String> rows = Files.readAllLines(csv);
    assertThat(rows.get(0)).startsWith("invoiceId,event,version");
    java.util.Set<String> sellersInvoices = new java.util.HashSet<>();
    audit.forEach(x -> {
      if (seller.equals(entry(x).getSellerTaxId())) {
        sellersInvoices.add(x.key());
      }
    });
    assertThat(rows.size() - 1).as("every entry of the seller's invoices' chains")
        .isEqualTo(audit.stream().filter(x -> sellersInvoices.contains(x.key())).count());

    String id = secondOfSomeChain(0).key();
    Result h = run("audit", "history", id, "--bootstrap", kafka.bootstrapServers());
    assertThat(h.exit()).as(h.out()).isZero();
    assertThat(h.out()).contains("APPLIED").contains("PROJECTED").contains("chain verified");
  }

  // --- helpers

  record Result(int exit, String out) {
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    return new Result(exit, out + err.toString());
  }

  static String text(JsonNode n, String field) {
    return n.get(field) == null || n.get(field).isNull() ? null : n.get(field).asText();
  }

  static AuditEntry entry(ConsumerRecord<String, byte[]> r) {
    return serdes.valueSerde(AuditEntry.class).deserializer().deserialize(r.topic(), r.value());
  }

  /** The second entry of the {@code n}th invoice (in topic order) whose chain has at least three entries. */
  static ConsumerRecord<String, byte[]> secondOfSomeChain(int n) {
    Map<String, List<ConsumerRecord<String, byte[]>>> chains = new LinkedHashMap<>();
    audit.forEach(r -> chains.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r));
    return chains.values().stream().filter(c -> c.size() >= 3).skip(n).findFirst().orElseThrow().get(1);
  }

  /** A copy of the audit topic, partition for partition, keeping {@code keep}, changed by {@code change}, with {@code extra} appended. */
  static void forge(String topic, Predicate<ConsumerRecord<String, byte[]>> keep, UnaryOperator<AuditEntry> change,
                    List<ConsumerRecord<String, byte[]>> extra) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get();
    }
    var serializer = serdes.valueSerde(AuditEntry.class).serializer();
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()), new StringSerializer(),
        new ByteArraySerializer())) {
      List<ConsumerRecord<String, byte[]>> all = new ArrayList<>(audit);
      all.addAll(extra);
      for (ConsumerRecord<String, byte[]> r : all) {
        if (keep.test(r)) {
          p.send(new ProducerRecord<>(topic, r.partition(), r.key(), serializer.serialize(topic, change.apply(entry(r))))).get();
        }
      }
    }
  }

  static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
    return KafkaTestSupport.readToEnd(kafka.bootstrapServers(), topic, new StringDeserializer(), new ByteArrayDeserializer());
  }
}
