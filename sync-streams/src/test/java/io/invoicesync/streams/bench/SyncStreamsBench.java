package io.invoicesync.streams.bench;

import static org.awaitility.Awaitility.await;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topic;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.InvoiceFixtures;
import io.invoicesync.testkit.KafkaTestSupport;
import io.invoicesync.streams.SyncStreamsConfig;
import io.invoicesync.streams.SyncStreamsService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sync-streams alone on a real broker with exactly_once_v2: a pre-filled invoices.captured of N
 * new invoices (1-5 lines, 3 on average, all valid), drained by one instance (one stream thread).
 * Prints invoices/s and the state-store bytes per invoice (changelog bytes and RocksDB files).
 * Run: {@code mvn -B verify -Pbench -pl sync-streams -am -Dit.test=SyncStreamsBench -Dbench.invoices=50000}
 */
class SyncStreamsBench {

  /** Sum over keys of the serialized key and latest value size in a changelog topic (what a compacted changelog and the store hold). */
  static long latestBytesPerKey(String bootstrap, String topic) {
    Map<String, Integer> latest = new java.util.HashMap<>();
    Properties c = new Properties();
    c.put("bootstrap.servers", bootstrap);
    c.put("group.id", "bench-" + System.nanoTime());
    c.put("auto.offset.reset", "earliest");
    c.put("isolation.level", "read_committed");
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(c,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      int empty = 0;
      while (empty < 10) {
        var records = consumer.poll(Duration.ofMillis(500));
        empty = records.isEmpty() ? empty + 1 : 0;
        records.forEach(r -> latest.put(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), r.serializedKeySize() + r.serializedValueSize()));
      }
    }
    return latest.values().stream().mapToLong(Integer::longValue).sum();
  }

  @TempDir
  Path dir;

  @Test
  void measure() throws Exception {
    int n = Integer.getInteger("bench.invoices", 50_000);
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      KafkaTestSupport.createTopics(kafka.bootstrapServers(), List.<Topic<?>>copyOf(Topics.ALL));
      SerdeFactory serdes = SerdeFactory.registryLess();
      Properties pp = new Properties();
      pp.put("bootstrap.servers", kafka.bootstrapServers());
      pp.put("linger.ms", 20);
      pp.put("compression.type", "lz4");
      long lines = 0;
      try (KafkaProducer<String, InvoiceChange> p = new KafkaProducer<>(pp, serdes.keySerde().serializer(),
          serdes.valueSerde(InvoiceChange.class).serializer())) {
        for (int i = 0; i < n; i++) {
          int lc = 1 + ThreadLocalRandom.current().nextInt(5);
          lines += lc;
          Invoice inv = InvoiceFixtures.digitalInvoice("b-" + i, lc);
          p.send(new ProducerRecord<>(Topics.CAPTURED.name(), inv.getId(), InvoiceFixtures.created(inv, 1000L + i)));
        }
      }
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      SyncStreamsConfig config = new SyncStreamsConfig(Map.of(SyncStreamsConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
          SyncStreamsConfig.STATE_DIR, dir.resolve("state").toString()));
      try (SyncStreamsService streams = new SyncStreamsService(config, registry)) {
        long t0 = System.nanoTime();
        streams.start();
        await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofMillis(100))
            .until(() -> streams.metrics().synced() + streams.metrics().rejected() >= n);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long changelog;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
          changelog = admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1).values().stream()
              .flatMap(d -> d.replicaInfos().entrySet().stream())
              .filter(e -> e.getKey().topic().endsWith("invoice-state-changelog"))
              .mapToLong(e -> e.getValue().size()).sum();
        }
        long invoiceState = latestBytesPerKey(kafka.bootstrapServers(), config.getString(SyncStreamsConfig.APPLICATION_ID) + "-invoice-state-changelog");
        long ledger = latestBytesPerKey(kafka.bootstrapServers(), config.getString(SyncStreamsConfig.APPLICATION_ID) + "-red-ledger-changelog");
        System.out.printf("%nSyncStreamsBench: %d invoices (%.2f lines each) in %.1f s = %.0f invoices/s (exactly_once_v2, 1 thread, incl. start-up)%n"
                + "  rejected %.0f; state per invoice (serialized key + latest value): invoice-state %.0f B + red-ledger %.0f B = %.0f B;"
                + " changelog on disk (lz4) %.0f B%n",
            n, (double) lines / n, seconds, n / seconds, streams.metrics().rejected(), (double) invoiceState / n, (double) ledger / n,
            (double) (invoiceState + ledger) / n, (double) changelog / n);
      }
    }
  }
}
