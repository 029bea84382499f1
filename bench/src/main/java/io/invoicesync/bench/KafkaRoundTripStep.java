package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.round;

import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.testkit.InvoiceFixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Step 3, the Kafka ceiling: produce (lz4, acks=all) and consume InvoiceChange-sized records on the embedded broker. */
final class KafkaRoundTripStep {

  /**
   * @param recordsPerS  records produced and consumed per second, both included
   * @param recordBytes  average serialized size of a record's value
   */
  record Result(double recordsPerS, int recordBytes) {
  }

  private KafkaRoundTripStep() {
  }

  static Result run(BenchRun run) throws Exception {
    int n = run.quick() ? 50_000 : 200_000;
    SerdeFactory serdes = SerdeFactory.registryLess();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      Invoice inv = InvoiceFixtures.digitalInvoice("k-" + i, 1 + i % 5);
      values.add(serdes.valueSerde(InvoiceChange.class).serializer().serialize("t", InvoiceFixtures.created(inv, i)));
    }
    int bytes = values.stream().mapToInt(v -> v.length).sum() / values.size();
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-rt"))) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic("roundtrip", 6, (short) 1))).all().get();
      }
      long t0 = System.nanoTime();
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 5,
          "compression.type", "lz4", "acks", "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < n; i++) {
          p.send(new ProducerRecord<>("roundtrip", ("k-" + i).getBytes(), values.get(i % values.size())));
        }
        p.flush();
      }
      long got = 0;
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "group.id", "rt",
          "auto.offset.reset", "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of("roundtrip"));
        while (got < n) {
          got += c.poll(Duration.ofMillis(200)).count();
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      log("   %d records (avg %d bytes) produced and consumed in %.1f s", n, bytes, seconds);
      return new Result(round(n / seconds), bytes);
    }
  }
}
