package io.invoicesync.projector.internal;

import io.invoicesync.projector.internal.RetryState.Attempt;
import io.invoicesync.projector.internal.RetryState.Parking;
import io.invoicesync.runtime.ErrorClassifier.Kind;
import io.invoicesync.runtime.StoreOutage;
import org.apache.kafka.common.utils.ExponentialBackoff;

/**
 * The projector's decisions, without I/O: for a record and what happened to it, whether it is
 * applied, parked behind an earlier record of its invoice, retried later, held until due, or
 * dead-lettered (ARCHITECTURE.md, error taxonomy). Its inputs are typed: the record {@link Decoded}
 * or a poison pill, its invoice's {@link Parking}, a head's {@link Attempt}s, a failure's
 * {@link Kind}. {@code RecordProjector} is the shell that writes and sends as these decisions say;
 * unit tests drive this class directly.
 *
 * <p>Outages are not decided here: they are ridden out in place by {@link StoreOutage}, and the
 * record they interrupted is written again unchanged.
 */
public final class ProjectionPolicy {

  /** What to do with one record. */
  public sealed interface Decision permits Apply, Park, Retry, Hold, DeadLetter {
  }

  /** Write it to the store. */
  public record Apply() implements Decision {
  }

  /** An earlier record of its invoice waits on the retry topic: send this one after it, unapplied. */
  public record Park() implements Decision {
  }

  /** Send it to the retry topic as failure number {@code attempt}, due at {@code dueAtMs}. */
  public record Retry(int attempt, long dueAtMs) implements Decision {
  }

  /** A retry-topic head not yet due: pause its partition until {@code untilMs}, then read it again. */
  public record Hold(long untilMs) implements Decision {
  }

  /** Send it to the dead-letter topic after {@code attempts} attempts, as {@code kind}. */
  public record DeadLetter(Kind kind, int attempts) implements Decision {
  }

  private static final Apply APPLY = new Apply();
  private static final Park PARK = new Park();

  private final int maxAttempts;
  private final ExponentialBackoff retryBackoff;

  /**
   * @param maxAttempts attempts of a record failing with a record-specific transient error before it is dead-lettered (≥ 1)
   * @param retryBackoff back-off before attempt n+1, by failures so far minus one (Kafka's exponential back-off)
   */
  public ProjectionPolicy(int maxAttempts, ExponentialBackoff retryBackoff) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    this.retryBackoff = retryBackoff;
  }

  /** A doubling back-off from {@code initialMs} capped at {@code maxMs}, without jitter (due times are reproducible). */
  public static ExponentialBackoff doubling(long initialMs, long maxMs) {
    return new ExponentialBackoff(initialMs, 2, maxMs, 0);
  }

  /** A record read from the synced topic, of an invoice that is {@code parking} ({@link RetryState#parkingOf}). */
  public Decision onMainRecord(Decoded record, Parking parking) {
    if (record instanceof Decoded.Poison) {
      return new DeadLetter(Kind.POISON_PILL, 1);
    }
    return parking == Parking.PARKED ? PARK : APPLY;
  }

  /** The head of a retry partition, with its progress so far ({@link RetryState#attemptOf}). */
  public Decision onRetryHead(Attempt progress, Decoded record, long nowMs) {
    if (nowMs < progress.dueAtMs()) {
      return new Hold(progress.dueAtMs());
    }
    if (record instanceof Decoded.Poison) {
      return new DeadLetter(Kind.POISON_PILL, Math.max(1, progress.failures()));
    }
    return APPLY;
  }

  /**
   * A write of the record failed with {@code kind} (never {@link Kind#OUTAGE}: outages are ridden
   * out in place) after {@code failuresBefore} earlier failed attempts (0 for a record from the
   * synced topic). A record-specific transient failure is retried until {@code maxAttempts} attempts
   * failed; then, and for every other kind, it is dead-lettered.
   */
  public Decision onWriteFailure(Kind kind, int failuresBefore, long nowMs) {
    if (kind == Kind.OUTAGE) {
      throw new IllegalArgumentException("an outage is ridden out in place, not decided per record");
    }
    int failures = failuresBefore + 1;
    if (kind != Kind.RECORD_TRANSIENT) {
      return new DeadLetter(kind, failures);
    }
    if (failures < maxAttempts) {
      return new Retry(failures, nowMs + retryBackoff.backoff(failures - 1));
    }
    return new DeadLetter(Kind.NON_RETRIABLE, failures);
  }
}
