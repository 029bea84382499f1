package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.audit.AuditExport;
import io.invoicesync.outcomes.trace.AuditPeriod;
import io.invoicesync.outcomes.trace.TraceService;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.admin.Admin;
import org.postgresql.ds.PGSimpleDataSource;
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

  /** The HMAC secret of the first run (key id k1) and the Ed25519 public key of the second (k2): a rotation. */
  static Path k1;
  static Path k2;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    pg = stack.pg;
    kafka = stack.kafka;
    Map<String, String> cfg = stack.config();
    cfg.put("streams.audit.checkpoint.interval.ms", "1000");
    cfg.put("projector.audit.anchor.dir", dir.resolve("anchors").toString());
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    k1 = Files.write(dir.resolve("k1.key"), secret);
    cfg.put("streams.audit.signing.key.file", k1.toString()); // key id: the file's name, k1
    pipeline = stack.startPipeline(cfg);
    // a run: valid and invalid invoices, status changes, red-letter ones
    issueAndSettle("au-", 300, 300);

    // the key rotates to an Ed25519 key: the chains go on under k2
    stack.stopPipeline();
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path k2Private = Files.writeString(dir.resolve("k2-private.pem"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    k2 = Files.writeString(dir.resolve("k2.pem"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    cfg.remove("streams.audit.signing.key.file");
    cfg.put("streams.audit.signing.private.key", k2Private.toString());
    cfg.put("streams.audit.signing.key.id", "k2");
    pipeline = stack.startPipeline(cfg);
    issueAndSettle("au2-", 60, 360);

    Instant settled = Instant.now();
    await().atMost(Duration.ofMinutes(1)).until(() -> readAll(Topics.AUDIT_CHECKPOINTS.name()).stream()
        .map(r -> serdes.valueSerde(AuditCheckpoint.class).deserializer().deserialize(r.topic(), r.value()))
        .filter(cp -> cp.getCheckpointAt().isAfter(settled)).map(AuditCheckpoint::getPartition).distinct().count() == 6);
    stack.stopPipeline(); // nothing more is written while the copies are forged
    pipeline = null;
    audit = readAll(Topics.AUDIT.name());
  }

  /** Issues {@code n} invoices at 300/s and waits until {@code total} are decided and projected. */
  static void issueAndSettle(String prefix, int n, int total) throws Exception {
    InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), prefix, 3, true);
    AtomicBoolean enough = new AtomicBoolean();
    for (Thread w : generator.startAtRate(300, 1, () -> generator.issuedCount() >= n || enough.get())) {
      w.join(Duration.ofMinutes(2).toMillis());
    }
    enough.set(true);
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      try (var c = pg.connect("querystore"); var s = c.createStatement();
           var rs = s.executeQuery("SELECT count(*) FILTER (WHERE outcome = 'IN_FLIGHT'), count(*) FROM invoice_outcome")) {
        rs.next();
        return rs.getLong(1) == 0 && rs.getLong(2) >= total;
      }
    });
  }

  /** Both keys of the rotation, as an auditor passes them. */
  static String[] keys() {
    return new String[] {"--key", k1.toString(), "--key", "k2=" + k2};
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldVerifyTheChainAsWritten() throws Exception {
    Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--output", "json", "--all-checkpoints"));

    assertThat(r.exit()).as(r.out()).isZero();
    JsonNode body = new ObjectMapper().readTree(r.out());
    assertThat(body.get("verified").asBoolean()).isTrue();
    assertThat(body.get("entries").asLong()).isEqualTo(audit.size());
    assertThat(body.get("keyedEntries").asLong()).isEqualTo(audit.size()); // format v3 throughout, under k1 then k2
    assertThat(body.get("invoices").asLong()).isGreaterThanOrEqualTo(300);
    assertThat(body.get("checkpoints").asLong()).isGreaterThanOrEqualTo(6);
  }

  @Test
  void shouldNameTheInvoiceWhenAnEntryIsReplayed() throws Exception {
    ConsumerRecord<String, byte[]> first = secondOfSomeChain(0);
    forge("forged.replayed", r -> true, UnaryOperator.identity(), List.of(first));

    Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.replayed"));

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains(first.key()).contains("REPLAYED");
  }

  @Test
  void shouldNameTheInvoiceWhenAnEntryIsDropped() throws Exception {
    ConsumerRecord<String, byte[]> victim = secondOfSomeChain(1);
    String dropped = entry(victim).getHash();
    forge("forged.dropped", r -> !entry(r).getHash().equals(dropped), UnaryOperator.identity(), List.of());

    Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.dropped"));

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

    Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.altered", "--output", "json"));

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    JsonNode problems = new ObjectMapper().readTree(r.out()).get("problems");
    assertThat(problems.findValuesAsText("invoiceId")).contains(victim.key());
    assertThat(problems.findValuesAsText("kind")).contains("ALTERED");
  }

  @Test
  void shouldDetectADeletedChainByTheCheckpoint() throws Exception {
    String gone = audit.get(audit.size() / 2).key();
    forge("forged.deleted", r -> !r.key().equals(gone), UnaryOperator.identity(), List.of());

    Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.deleted"));

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("CHECKPOINT_MISMATCH").contains("input partition " + AuditChain.partitionOf(gone, 6));
    assertThat(r.out()).doesNotContain("MISSING");
  }

  @Test
  void shouldCatchEntriesForgedWithThePublishedFormulaButWithoutTheKey() throws Exception {
    // an insider with write access to every topic, recomputing the hash by the documented formula
    ConsumerRecord<String, byte[]> altered = secondOfSomeChain(3);
    List<ConsumerRecord<String, byte[]>> chain = chainOf(altered.key());
    forgeRechained("forged.rechained", altered.key(), c -> c.get(1).setDetail("nothing happened here"));
    ConsumerRecord<String, byte[]> droppedFrom = secondOfSomeChain(4);
    forgeRechained("forged.droprechained", droppedFrom.key(), c -> c.remove(1));
    AuditEntry last = entry(chain.get(chain.size() - 1));
    AuditEntry appended = AuditEntry.newBuilder(last).setEvent("PROJECTED").setDetail("forged").setPrevHash(last.getHash())
        .setRecordedAt(last.getRecordedAt().plusMillis(1)).build();
    appended.setHash(AuditChain.hash(appended));
    forge("forged.appended", r -> true, UnaryOperator.identity(), List.of(record(chain.get(0), appended)));

    for (String[] t : List.of(new String[] {"forged.rechained", altered.key()}, new String[] {"forged.droprechained", droppedFrom.key()},
        new String[] {"forged.appended", altered.key()})) {
      Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", t[0], "--output", "json"));
      assertThat(r.exit()).as(t[0] + ": " + r.out()).isEqualTo(1);
      JsonNode problems = new ObjectMapper().readTree(r.out()).get("problems");
      assertThat(problems.findValuesAsText("invoiceId")).as(t[0]).contains(t[1]);
      assertThat(problems.findValuesAsText("kind")).as(t[0]).contains("FORGED");
    }
  }

  @Test
  void shouldReportTheRotatedOutKeysEntriesAsUnverifiableWithoutIt() throws Exception {
    Result both = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers()));
    assertThat(both.exit()).as(both.out()).isZero();
    assertThat(both.out()).contains("verified");

    Result onlyK2 = run("audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--key", "k2=" + k2, "--output", "json");
    assertThat(onlyK2.exit()).as(onlyK2.out()).isEqualTo(1);
    JsonNode problems = new ObjectMapper().readTree(onlyK2.out()).get("problems");
    assertThat(problems.findValuesAsText("kind")).containsExactly("UNVERIFIABLE"); // one per key not given, entries and checkpoints
    assertThat(problems.toString()).contains("key k1").doesNotContain("key k2");
  }

  @Test
  void shouldFailWithoutTheCheckpointTopicOrWithAForgedLaterCheckpoint() throws Exception {
    Result deleted = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--checkpoint-topic", "no.such.checkpoints"));
    assertThat(deleted.exit()).as(deleted.out()).isEqualTo(1);
    assertThat(deleted.out()).contains("NO_CHECKPOINT_TOPIC");

    // a copy of the checkpoints plus a later one that commits to the topic without some invoice's chain
    String gone = audit.get(audit.size() / 3).key();
    int p = AuditChain.partitionOf(gone, 6);
    AuditCheckpoint newest = checkpoints().stream().filter(cp -> cp.getPartition() == p)
        .max(java.util.Comparator.comparing(AuditCheckpoint::getCheckpointAt)).orElseThrow();
    Map<String, String> heads = new java.util.HashMap<>();
    audit.stream().filter(r -> AuditChain.partitionOf(r.key(), 6) == p && !r.key().equals(gone)).forEach(r -> heads.put(r.key(), entry(r).getHash()));
    AuditCheckpoint forged = AuditCheckpoint.newBuilder(newest).setCheckpointAt(newest.getCheckpointAt().plusSeconds(1))
        .setChains(heads.size()).setRoot(AuditChain.merkleRoot(heads)).build();
    copyCheckpoints("forged.checkpoints", readAll(Topics.AUDIT_CHECKPOINTS.name()), forged);
    forge("forged.chaingone", r -> !r.key().equals(gone), UnaryOperator.identity(), List.of());

    Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.chaingone",
        "--checkpoint-topic", "forged.checkpoints"));
    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("FORGED_CHECKPOINT").contains("CHECKPOINT_MISMATCH");
  }

  @Test
  void shouldHoldTheTopicsToTheAnchorsInTheStoreAndInTheFiles() throws Exception {
    String store = pg.jdbcUrl("querystore") + (pg.jdbcUrl("querystore").contains("?") ? "&" : "?") + "user=" + EmbeddedPostgresServer.USER;
    Result clean = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--store-url", store, "--anchors",
        dir.resolve("anchors").toString(), "--output", "json", "--all-checkpoints"));
    assertThat(clean.exit()).as(clean.out()).isZero();
    assertThat(new ObjectMapper().readTree(clean.out()).get("anchors").asLong()).as("every checkpoint, in the table and in the files")
        .isEqualTo(2L * checkpoints().size());

    // the insider rewrites both topics consistently: one chain gone, the checkpoints re-rooted from the published formula
    // (unsigned: the key is not theirs) and the newest ones dropped; the anchors still hold what was written
    String gone = audit.get(audit.size() / 4).key();
    forge("forged.anchored", r -> !r.key().equals(gone), UnaryOperator.identity(), List.of());
    List<ConsumerRecord<String, byte[]>> cps = readAll(Topics.AUDIT_CHECKPOINTS.name());
    copyCheckpoints("forged.cptruncated", cps.subList(0, cps.size() / 2), null);
    Result r = run(with(keys(), "audit", "verify", "--bootstrap", kafka.bootstrapServers(), "--topic", "forged.anchored",
        "--checkpoint-topic", "forged.cptruncated", "--store-url", store, "--output", "json"));
    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    JsonNode problems = new ObjectMapper().readTree(r.out()).get("problems");
    assertThat(problems.findValuesAsText("kind")).contains("TRUNCATED", "ANCHOR_ROOT_MISMATCH");

    // and the table keeps them: no role short of one that drops its triggers updates or deletes an anchor
    try (var c = pg.connect("querystore"); var s = c.createStatement()) {
      assertThatThrownBy(() -> s.executeUpdate("UPDATE audit_anchor SET root = 'x'")).hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.executeUpdate("DELETE FROM audit_anchor")).hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.executeUpdate("TRUNCATE audit_anchor")).hasMessageContaining("append-only");
    }
  }

  @Test
  void shouldShowTheRecordedKeyedTrailVerifiedInTheTrace() throws Exception {
    // the query store recorded every field the v3 hash covers: the API's trace rechecks each chain as the topic had it
    PGSimpleDataSource store = new PGSimpleDataSource();
    store.setUrl(pg.jdbcUrl("querystore"));
    store.setUser(EmbeddedPostgresServer.USER);
    String underK1 = secondOfSomeChain(0).key();
    String underK2 = audit.stream().map(ConsumerRecord::key).filter(k -> k.startsWith("au2-")).findFirst().orElseThrow();
    for (String id : List.of(underK1, underK2)) {
      TraceService.History h = new TraceService(store, null).history(Tenant.ALL, id);
      assertThat(h.entries()).as(id).hasSize(chainOf(id).size());
      assertThat(h.verified()).as(id + ": " + h.problems()).isTrue();
    }
  }

  @Test
  void shouldExportFromTheStoreTheSameFileAsFromTheTopicAndOnlyATenantsInvoices() throws Exception {
    // the API's and the console's export reads the query store's copy: it must be the topic's file, line for line
    Path fromTopic = dir.resolve("topic.jsonl");
    Result r = run("audit", "export", "--bootstrap", kafka.bootstrapServers(), "--from", "2000-01-01", "--to", "2100-01-01", "--format",
        "jsonl", "--out", fromTopic.toString());
    assertThat(r.exit()).as(r.out()).isZero();
    PGSimpleDataSource store = new PGSimpleDataSource();
    store.setUrl(pg.jdbcUrl("querystore"));
    store.setUser(EmbeddedPostgresServer.USER);
    AuditPeriod period = new AuditPeriod(store);
    Instant from = Instant.parse("2000-01-01T00:00:00Z");
    Instant to = Instant.parse("2100-01-01T00:00:00Z");
    StringWriter all = new StringWriter();
    AuditPeriod.Summary summary = period.export(Tenant.ALL, true, from, to, null, new AuditExport(all, AuditExport.Format.JSONL));
    List<String> storeLines = all.toString().lines().toList();
    assertThat(summary.entries()).isEqualTo(audit.size());
    assertThat(period.count(Tenant.ALL, from, to, null)).as("the console's count, without reading the entries").isEqualTo(summary);
    assertThat(summary.invoices()).isEqualTo(audit.stream().map(ConsumerRecord::key).distinct().count());
    assertThat(storeLines).containsExactlyInAnyOrderElementsOf(Files.readAllLines(fromTopic));
    Path fromStore = Files.writeString(dir.resolve("store.jsonl"), all.toString());
    String underK2 = audit.stream().map(ConsumerRecord::key).filter(k -> k.startsWith("au2-")).findFirst().orElseThrow();
    Recipe ok = recipe(fromStore, underK2);
    assertThat(ok.exit()).as(ok.out()).isZero();

    // a taxpayer's token: every entry of its invoices, none of the others'
    String seller = entry(audit.get(0)).getSellerTaxId();
    java.util.Set<String> sellers = new java.util.HashSet<>();
    audit.forEach(x -> {
      if (seller.equals(entry(x).getSellerTaxId())) {
        sellers.add(x.key());
      }
    });
    StringWriter mine = new StringWriter();
    AuditPeriod.Summary theirs = period.export(Tenant.of(java.util.Set.of(seller)), true, from, to, null, new AuditExport(mine,
        AuditExport.Format.CSV));
    assertThat(theirs.invoices()).isGreaterThanOrEqualTo(sellers.size()).isLessThan(summary.invoices());
    assertThat(period.count(Tenant.of(java.util.Set.of(seller)), from, to, null)).isEqualTo(theirs);
    assertThat(mine.toString().lines().skip(1).map(l -> l.substring(0, l.indexOf(','))).distinct().toList()).containsAll(sellers);
    StringWriter stranger = new StringWriter();
    assertThat(period.export(Tenant.of(java.util.Set.of("91110108551385082Q")), true, from, to, null,
        new AuditExport(stranger, AuditExport.Format.JSONL)).entries()).isZero();
    assertThat(stranger.toString()).isEmpty();
    // and a period is a period: nothing recorded before 2001
    assertThat(period.export(Tenant.ALL, true, from, Instant.parse("2001-01-01T00:00:00Z"), null, new AuditExport(new StringWriter(),
        AuditExport.Format.JSONL)).entries()).isZero();
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
              .setCommitTs(Instant.ofEpochMilli(n.get("sourceCommitTs").asLong()))
              .setTxId(n.get("sourceTxId").isNull() ? null : n.get("sourceTxId").asLong()).setEpoch(n.get("sourceEpoch").asLong())
              .setSnapshot(n.get("sourceSnapshot").asBoolean()).setName(n.get("sourceName").isNull() ? "" : n.get("sourceName").asText()).build())
          .setDigest(n.get("digest").asText()).setDetail(text(n, "detail")).setPrevHash(text(n, "prevHash")).setHash(n.get("hash").asText())
          .setRecordedAt(Instant.ofEpochMilli(n.get("recordedAt").asLong())).setStage(text(n, "stage"))
          .setCapturedAt(n.get("capturedAt").isNull() ? null : Instant.ofEpochMilli(n.get("capturedAt").asLong()))
          .setDecidedAt(n.get("decidedAt").isNull() ? null : Instant.ofEpochMilli(n.get("decidedAt").asLong()))
          .setInvoiceCode(text(n, "invoiceCode")).setInvoiceNumber(text(n, "invoiceNumber")).setSellerTaxId(text(n, "sellerTaxId"))
          .setKeyId(text(n, "keyId")).setMac(text(n, "mac")).build();
      assertThat(AuditChain.hash(e)).as(line).isEqualTo(e.getHash());
    }
    // docs/auditor.md's recipe (Python's standard library and openssl) verifies a chain of each key from the file alone
    String underK1 = secondOfSomeChain(0).key();
    String underK2 = audit.stream().map(ConsumerRecord::key).filter(k -> k.startsWith("au2-")).findFirst().orElseThrow();
    for (String id : List.of(underK1, underK2)) {
      Recipe ok = recipe(jsonl, id);
      assertThat(ok.exit()).as(ok.out()).isZero();
      assertThat(ok.out()).contains("OK: " + chainOf(id).size() + " entries");
    }
    Path altered = dir.resolve("altered.jsonl");
    Files.write(altered, lines.stream().map(l -> l.contains("\"" + underK2 + "\"") ? l.replace("\"digest\":\"", "\"digest\":\"0") : l).toList());
    Recipe broken = recipe(altered, underK2);
    assertThat(broken.exit()).as(broken.out()).isEqualTo(1);
    assertThat(broken.out()).contains("does not match its hash").contains("the MAC is not key k2's");

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

  record Recipe(int exit, String out) {
  }

  /** docs/audit/verify_chain.py on {@code export} for one invoice, with both keys of the rotation. */
  static Recipe recipe(Path export, String invoice) throws Exception {
    Path script = Path.of(System.getProperty("user.dir")).resolveSibling("docs").resolve("audit").resolve("verify_chain.py");
    Process p = new ProcessBuilder("python3", script.toString(), export.toString(), "--hmac-key", "k1=" + k1, "--ed25519-key", "k2=" + k2,
        "--invoice", invoice).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Recipe(p.waitFor(), out);
  }

  static String[] with(String[] keys, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(keys));
    return all.toArray(String[]::new);
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static List<ConsumerRecord<String, byte[]>> chainOf(String id) {
    return audit.stream().filter(r -> r.key().equals(id)).toList();
  }

  /** {@code r}'s coordinates carrying {@code e} instead. */
  static ConsumerRecord<String, byte[]> record(ConsumerRecord<String, byte[]> r, AuditEntry e) {
    return new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), serdes.valueSerde(AuditEntry.class).serializer().serialize(r.topic(), e));
  }

  /** A copy of the audit topic where {@code id}'s chain is changed by {@code edit}, then re-linked and rehashed by the published formula. */
  static void forgeRechained(String topic, String id, java.util.function.Consumer<List<AuditEntry>> edit) throws Exception {
    List<ConsumerRecord<String, byte[]>> original = chainOf(id);
    List<AuditEntry> chain = new ArrayList<>(original.stream().map(AuditVerifyIT::entry).toList());
    edit.accept(chain);
    String prev = null;
    for (AuditEntry e : chain) {
      e.setPrevHash(prev);
      e.setHash(AuditChain.hash(e));
      prev = e.getHash();
    }
    List<ConsumerRecord<String, byte[]>> replaced = new ArrayList<>();
    for (int i = 0; i < chain.size(); i++) {
      replaced.add(record(original.get(i), chain.get(i)));
    }
    forge(topic, r -> !r.key().equals(id) || replaced.stream().anyMatch(x -> x == r), UnaryOperator.identity(), replaced);
  }

  static List<AuditCheckpoint> checkpoints() {
    return readAll(Topics.AUDIT_CHECKPOINTS.name()).stream()
        .map(r -> serdes.valueSerde(AuditCheckpoint.class).deserializer().deserialize(r.topic(), r.value())).toList();
  }

  /** A topic of checkpoints: {@code records} (copied to their partitions), then {@code extra} if not null. */
  static void copyCheckpoints(String topic, List<ConsumerRecord<String, byte[]>> records, AuditCheckpoint extra) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      int partitions = admin.describeTopics(List.of(Topics.AUDIT_CHECKPOINTS.name())).allTopicNames().get()
          .get(Topics.AUDIT_CHECKPOINTS.name()).partitions().size();
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
    var serializer = serdes.valueSerde(AuditCheckpoint.class).serializer();
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()), new StringSerializer(),
        new ByteArraySerializer())) {
      for (ConsumerRecord<String, byte[]> r : records) {
        p.send(new ProducerRecord<>(topic, r.partition(), r.key(), r.value())).get();
      }
      if (extra != null) {
        p.send(new ProducerRecord<>(topic, "partition-" + extra.getPartition(), serializer.serialize(topic, extra))).get();
      }
    }
  }

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
