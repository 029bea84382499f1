package io.invoicesync.runtime;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;

/** Offset commits of the consumer loops ({@link ConsumerLoop}), which write idempotently and so may let a new owner re-read. */
public final class Commits {

  private Commits() {
  }

  /**
   * Commits {@code offsets} after their records were written. When the partitions moved during the
   * write, the commit fails; their new owner re-reads those records, and re-reading changes nothing
   * (the store's version guard, keyed event rows), so the loop goes on instead of dying. When Kafka
   * does not answer in time (a broker outage), the commit is left to the next batch's: commits are
   * cumulative, and what a restart re-reads meanwhile is written idempotently.
   */
  public static void afterWrite(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> offsets, Logger log) {
    if (offsets.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(offsets);
    } catch (CommitFailedException | RebalanceInProgressException e) {
      log.info("offsets not committed after a rebalance; the new owner re-reads these records: {}", e.getMessage());
    } catch (TimeoutException e) {
      log.warn("offsets not committed, Kafka did not answer in time; the next commit covers them: {}", e.getMessage());
    }
  }

  /** The offsets after the last record of each partition of {@code records}: what to commit once all of them are written. */
  public static Map<TopicPartition, OffsetAndMetadata> after(ConsumerRecords<?, ?> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<? extends ConsumerRecord<?, ?>> rs = records.records(tp);
      offsets.put(tp, new OffsetAndMetadata(rs.get(rs.size() - 1).offset() + 1));
    }
    return offsets;
  }
}
