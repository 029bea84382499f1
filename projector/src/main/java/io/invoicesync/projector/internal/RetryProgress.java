package io.invoicesync.projector.internal;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Attempts and due time of the retry-topic heads that failed again on this instance. A record on
 * the retry topic is immutable: its headers say how it arrived (attempt and due time of its first
 * failure); when it fails again here, the new attempt count and due time are kept here, by its
 * position, until it is settled. Rebuilt empty after a rebalance (the headers' values are then used
 * again, so a record gets at most its configured attempts plus those made before the move).
 */
public final class RetryProgress {

  /** Where a retry record sits. */
  public record Position(TopicPartition partition, long offset) {
  }

  /** How often a record has failed, and when it may be tried again. */
  public record Attempt(int failures, long dueAtMs) {
  }

  private final Map<Position, Attempt> progress = new HashMap<>();

  /** This instance's progress for the record at {@code p}, or what its headers say when it has not failed here. */
  public Attempt of(Position p, Attempt fromHeaders) {
    return progress.getOrDefault(p, fromHeaders);
  }

  /** The record at {@code p} failed again and is due at {@code a.dueAtMs()}. */
  public void failedAgain(Position p, Attempt a) {
    progress.put(p, a);
  }

  /** The record at {@code p} was applied or dead-lettered. */
  public void settled(Position p) {
    progress.remove(p);
  }

  public void clear() {
    progress.clear();
  }
}
