package io.invoicesync.runtime;

import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;

/** Offset commits of the projector's loops, which write idempotently and so may let a new owner re-read. */
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
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      log.warn("offsets not committed, Kafka did not answer in time; the next commit covers them: {}", e.getMessage());
    }
  }
}
