package io.invoicesync.projector.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * What one projector instance knows about the records waiting on its retry partitions, in one
 * place: which invoices are <i>parked</i> (how many of their records wait), the attempts and due
 * time of retry heads that failed again here, and which retry partitions are <i>held</i> (paused
 * until their head is due, with the synced offset that head came from). No I/O: the shell seeks,
 * pauses and commits as this state says.
 *
 * <p>Invariants, kept here and checked by {@code RetryStateTest}:
 * <ul>
 *   <li>an invoice is parked while at least one of its records waits; settling its last waiting
 *       record unparks it, settling more than were parked is harmless, and a record without a key
 *       parks nothing;</li>
 *   <li>a head's attempts are its progress here once it has been held here (or restored from its
 *       partition's commit), else what its headers say; settling the head forgets them;</li>
 *   <li>a retry partition is held at most once, until its head is due; {@link #releaseDue} hands a
 *       hold back exactly once;</li>
 *   <li>after a revocation nothing of the old assignment's parking or progress remains (the new
 *       assignment rebuilds both from the retry topic and its commits), and revoked partitions are
 *       no longer held.</li>
 * </ul>
 *
 * <p>Local to one instance and to its poll thread (the health gauge only reads the count of parked
 * invoices).
 */
public final class RetryState {

  /** Whether an invoice has records waiting on the retry topic. */
  public enum Parking {
    /** Nothing of it waits: its records are applied. */
    FREE,
    /** An earlier record of it waits: its later records follow onto the retry topic, unapplied. */
    PARKED
  }

  /** Where a retry record sits. */
  public record Position(TopicPartition partition, long offset) {
  }

  /** How often a record has failed, and when it may be tried again. */
  public record Attempt(int failures, long dueAtMs) {
  }

  /** A retry partition paused until {@code untilMs}; {@code origin}: its head's offset on the synced topic (-1 when unknown). */
  public record HeldPartition(TopicPartition partition, long untilMs, long origin) {
  }

  /**
   * What the commit of a retry partition at its waiting head carries (the offset commit's metadata),
   * so that a restart goes on counting where it was: the head's attempts and due time, and its
   * original offset on the synced topic (from where to project again should the retry records
   * expire; -1 when unknown).
   */
  public record Saved(Attempt attempt, long origin) {

    public String metadata() {
      return "attempt=" + attempt.failures() + ";due=" + attempt.dueAtMs() + ";origin=" + origin;
    }

    /** The saved progress in {@code metadata}, or empty when it holds none (committed by a settle, or by a version without it). */
    public static Optional<Saved> parse(String metadata) {
      if (metadata == null || !metadata.startsWith("attempt=")) {
        return Optional.empty();
      }
      Map<String, Long> v = new HashMap<>();
      try {
        for (String kv : metadata.split(";")) {
          int eq = kv.indexOf('=');
          v.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
        }
        return Optional.of(new Saved(new Attempt(v.get("attempt").intValue(), v.get("due")), v.getOrDefault("origin", -1L)));
      } catch (RuntimeException e) {
        return Optional.empty(); // garbled: the record's headers count instead
      }
    }
  }

  /** Records waiting on the retry topic, per parked invoice (never 0: an invoice with none is not here). */
  private final Map<String, Integer> waiting = new HashMap<>();
  /** Attempts of the heads held here, by position, until they are settled. */
  private final Map<Position, Attempt> progress = new HashMap<>();
  private final Map<TopicPartition, HeldPartition> held = new HashMap<>();

  // --- parking

  /** Whether {@code invoiceId} has records waiting on the retry topic (a record without key never has). */
  public Parking parkingOf(String invoiceId) {
    return invoiceId != null && waiting.containsKey(invoiceId) ? Parking.PARKED : Parking.FREE;
  }

  /** One more record of {@code invoiceId} now waits on the retry topic; its later records are to follow it. */
  public void park(String invoiceId) {
    if (invoiceId != null) {
      waiting.merge(invoiceId, 1, Integer::sum);
    }
  }

  /** Records of {@code invoiceId} waiting (0 when it is not parked). */
  public int waiting(String invoiceId) {
    return invoiceId == null ? 0 : waiting.getOrDefault(invoiceId, 0);
  }

  /** Parked invoices, for the {@code invoicesync.projector.parked.invoices} gauge and the health details. */
  public int parkedInvoices() {
    return waiting.size();
  }

  /** Some waiting records are gone (expired): parking is forgotten, to be counted again from what still waits. */
  public void forgetParking() {
    waiting.clear();
  }

  // --- retry heads

  /** The head at {@code head}: its attempts here, or {@code fromHeaders} (how it arrived) when it has not been held here. */
  public Attempt attemptOf(Position head, Attempt fromHeaders) {
    return progress.getOrDefault(head, fromHeaders);
  }

  /** At assignment: the head at {@code head} was held by the partition's previous owner with {@code saved} attempts. */
  public void restore(Position head, Attempt saved) {
    progress.put(head, saved);
  }

  /**
   * The head at {@code head} is not due, or failed again: its partition is held until
   * {@code attempt.dueAtMs()} and its attempts kept; {@code origin} is its offset on the synced
   * topic. Returns what the partition's commit at the head is to carry.
   */
  public Saved hold(Position head, Attempt attempt, long origin) {
    progress.put(head, attempt);
    held.put(head.partition(), new HeldPartition(head.partition(), attempt.dueAtMs(), origin));
    return new Saved(attempt, origin);
  }

  /** The head at {@code head}, a record of {@code invoiceId}, was applied or dead-lettered: it waits no more. */
  public void settle(Position head, String invoiceId) {
    progress.remove(head);
    if (invoiceId != null) {
      waiting.computeIfPresent(invoiceId, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  // --- held partitions

  /** The holds that are over at {@code nowMs}, each handed back once: their partitions may be resumed. */
  public List<HeldPartition> releaseDue(long nowMs) {
    List<HeldPartition> due = new ArrayList<>();
    for (Iterator<HeldPartition> it = held.values().iterator(); it.hasNext(); ) {
      HeldPartition h = it.next();
      if (h.untilMs() <= nowMs) {
        due.add(h);
        it.remove();
      }
    }
    return due;
  }

  /** Whether {@code partition} is held. */
  public boolean isHeld(TopicPartition partition) {
    return held.containsKey(partition);
  }

  /** How long a poll at {@code nowMs} may wait: until the next hold is over, at most {@code atMost}, at least 1 ms. */
  public Duration untilNextDue(long nowMs, Duration atMost) {
    long wait = held.values().stream().mapToLong(h -> h.untilMs() - nowMs).min().orElse(atMost.toMillis());
    return Duration.ofMillis(Math.max(1, Math.min(atMost.toMillis(), wait)));
  }

  /** {@code partitions} were revoked: parking and progress are forgotten (rebuilt at assignment), their holds dropped. */
  public void revoked(Collection<TopicPartition> partitions) {
    waiting.clear();
    progress.clear();
    partitions.forEach(held::remove);
  }
}
