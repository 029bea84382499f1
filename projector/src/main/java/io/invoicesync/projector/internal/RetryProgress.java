package io.invoicesync.projector.internal;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Attempts and due time of the retry-topic heads that failed again on this instance. A record on
 * the retry topic is immutable: its headers say how it arrived (attempt and due time of its first
 * failure); when it fails again here, the new attempt count and due time are kept here, by its
 * position, until it is settled, and committed with the partition's offset ({@link Saved}): a
 * restarted or new owner seeds this from the commit and goes on counting.
 */
public final class RetryProgress {

  /** Where a retry record sits. */
  public record Position(TopicPartition partition, long offset) {
  }

  /** How often a record has failed, and when it may be tried again. */
  public record Attempt(int failures, long dueAtMs) {
  }

  /**
   * What the commit of a retry partition at its waiting head carries (the offset commit's metadata),
   * so that a restart goes on counting where it was: the head's attempts and due time, and its
   * original offset on the synced topic (from where to project again should the retry records expire).
   */
  public record Saved(Attempt attempt, long origin) {
    public String metadata() {
      return "attempt=" + attempt.failures() + ";due=" + attempt.dueAtMs() + ";origin=" + origin;
    }

    /** The saved progress in {@code metadata}, or empty when it holds none (committed by a settle, or by a version without it). */
    public static java.util.Optional<Saved> parse(String metadata) {
      if (metadata == null || !metadata.startsWith("attempt=")) {
        return java.util.Optional.empty();
      }
      Map<String, Long> v = new HashMap<>();
      try {
        for (String kv : metadata.split(";")) {
          int eq = kv.indexOf('=');
          v.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
        }
        return java.util.Optional.of(new Saved(new Attempt(v.get("attempt").intValue(), v.get("due")), v.getOrDefault("origin", -1L)));
      } catch (RuntimeException e) {
        return java.util.Optional.empty(); // garbled: the record's headers count instead
      }
    }
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
