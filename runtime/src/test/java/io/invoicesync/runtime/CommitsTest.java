package io.invoicesync.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A commit that cannot happen now is not a reason for the loop to die: the next one covers it; anything else still is. */
class CommitsTest {

  private static MockConsumer<String, byte[]> failingWith(RuntimeException e) {
    return new MockConsumer<>("earliest") {
      @Override
      public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        throw e;
      }
    };
  }

  private static final Map<TopicPartition, OffsetAndMetadata> OFFSETS = Map.of(new TopicPartition("invoices.synced", 0), new OffsetAndMetadata(42));

  @Test
  void aBrokerThatDoesNotAnswerOrARebalanceLeavesTheCommitToTheNextBatch() {
    assertThatCode(() -> Commits.afterWrite(failingWith(new TimeoutException("no answer in 60000 ms")), OFFSETS, LoggerFactory.getLogger("t")))
        .doesNotThrowAnyException();
    assertThatCode(() -> Commits.afterWrite(failingWith(new CommitFailedException()), OFFSETS, LoggerFactory.getLogger("t")))
        .doesNotThrowAnyException();
  }

  @Test
  void anyOtherCommitErrorStillEndsTheLoop() {
    assertThatThrownBy(() -> Commits.afterWrite(failingWith(new KafkaException("fatal")), OFFSETS, LoggerFactory.getLogger("t")))
        .hasMessage("fatal");
  }

  @Test
  void shouldCommitPastTheLastRecordOfEachPartitionOfAPoll() {
    TopicPartition p0 = new TopicPartition("invoices.audit", 0);
    TopicPartition p1 = new TopicPartition("invoices.audit", 1);
    ConsumerRecords<String, String> poll = new ConsumerRecords<>(Map.of(
        p0, List.of(new ConsumerRecord<>("invoices.audit", 0, 7, "a", "v"), new ConsumerRecord<>("invoices.audit", 0, 8, "a", "v")),
        p1, List.of(new ConsumerRecord<>("invoices.audit", 1, 3, "b", "v"))), Map.of());

    assertThat(Commits.after(poll)).isEqualTo(Map.of(p0, new OffsetAndMetadata(9), p1, new OffsetAndMetadata(4)));
  }
}
