package io.invoicesync.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Reports whose send timed out are sent again, in order, by the next acknowledge (Kafka's MockProducer in place of a broker). */
class ProjectionReportsTest {

  private final MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final ProjectionReports reports = new ProjectionReports(producer, Topics.PROJECTION.name(),
      SerdeFactory.registryLess().valueSerde(io.invoicesync.schemas.ProjectionEvent.class).serializer(),
      new SimpleMeterRegistry().timer("t"), new AtomicLong());

  @Test
  void aTimedOutReportIsSentAgainByTheNextAcknowledge() {
    reports.retried(record("a"), null, "cause", 1);
    reports.retried(record("b"), null, "cause", 1);
    producer.errorNext(new TimeoutException("Expiration of 1 record(s)"));
    producer.completeNext();
    assertThatThrownBy(reports::acknowledge).isInstanceOf(TimeoutException.class); // unwrapped: the caller rides it out

    Thread t = new Thread(() -> {
      while (producer.history().size() < 3) {
        Thread.onSpinWait();
      }
      producer.completeNext();
    });
    t.start();
    reports.acknowledge(); // "a" again; "b" was acknowledged and is not repeated
    assertThat(producer.history()).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactly("a", "b", "a");
    reports.acknowledge(); // nothing pending
    assertThat(producer.history()).hasSize(3);
  }

  private static ConsumerRecord<String, byte[]> record(String key) {
    return new ConsumerRecord<>(Topics.SYNCED.name(), 0, 0, key, new byte[0]);
  }
}
