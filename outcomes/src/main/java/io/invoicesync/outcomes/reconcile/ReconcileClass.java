package io.invoicesync.outcomes.reconcile;

import io.invoicesync.outcomes.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The classes a reconciliation sorts a difference into, and the pure rule that sorts it. MISSING,
 * STALE and EXTRA are alarms (unexplained); REJECTED, DEAD_LETTERED and IN_FLIGHT are explained by
 * the pipeline's own outcome tables or by time.
 */
public enum ReconcileClass {
  /** In the issuing database, not visible, and nothing explains it. */
  MISSING(true),
  /** Visible at an older state than the source's, and nothing explains it. */
  STALE(true),
  /** Its latest source state was rejected by validation. */
  REJECTED(false),
  /** A record of it is in a dead-letter topic. */
  DEAD_LETTERED(false),
  /** Committed after the pipeline's watermark (within the grace period), or still being processed. */
  IN_FLIGHT(false),
  /** In the query store, not in the issuing database. */
  EXTRA(true),
  /**
   * In the query store and not in the issuing database because only the tax platform's files brought it
   * ({@code invoice-sync import}: a received invoice, or one the issuing database never had).
   */
  IMPORTED(false);

  private final boolean alarm;

  ReconcileClass(boolean alarm) {
    this.alarm = alarm;
  }

  public boolean alarm() {
    return alarm;
  }

  /**
   * What is known of a differing invoice; null fields when unknown.
   *
   * @param recordedCommit commit time of the newest source change the pipeline decided on for this invoice
   */
  public record Seen(boolean inSource, boolean inStore, Instant sourceChangedAt, Outcome recordedOutcome, Instant recordedCommit) {
  }

  /**
   * A change the pipeline decided on that was committed after the source was read may be one the read did not see (the store
   * is then ahead of the read, not wrong): in flight, not an alarm. With the pipeline 35 ms behind the source, a red-letter
   * invoice flushing its blue one between the source's read and the store's was reported STALE (ReconcileIT, session 17).
   *
   * @param watermark    the newest source commit the pipeline has decided on (null: nothing yet)
   * @param grace        how long after its commit a change not yet decided counts as in flight
   * @param sourceReadAt when the source's rows were read (before its query started); null: unknown
   */
  public static ReconcileClass classify(Seen s, Instant watermark, Instant now, Duration grace, Instant sourceReadAt) {
    if (!s.inSource()) {
      return EXTRA;
    }
    if (s.recordedOutcome() != null) {
      switch (s.recordedOutcome()) {
        case REJECTED -> {
          return REJECTED;
        }
        case DEAD_LETTERED -> {
          return DEAD_LETTERED;
        }
        case IN_FLIGHT -> {
          return IN_FLIGHT;
        }
        default -> {
          // VISIBLE (or a trace-only outcome): decided by the times below
        }
      }
    }
    // the pipeline decided on this invoice's latest source change (updated_at is its transaction's start, before its
    // commit): nothing of it is in flight, so a store that disagrees is wrong
    // (the commit time comes in milliseconds, updated_at in microseconds: compared at the millisecond)
    if (s.recordedCommit() != null && s.sourceChangedAt() != null
        && !s.sourceChangedAt().truncatedTo(ChronoUnit.MILLIS).isAfter(s.recordedCommit())) {
      if (sourceReadAt != null && s.recordedCommit().isAfter(sourceReadAt)) {
        return IN_FLIGHT; // decided on a change committed after the source was read: the read may be the one behind
      }
      return s.inStore() ? STALE : MISSING;
    }
    // otherwise, in flight while recent (partitions move at their own pace) or after the watermark (the pipeline has not
    // reached that time on any partition yet: capture or sync behind)
    boolean recent = s.sourceChangedAt() != null && s.sourceChangedAt().isAfter(now.minus(grace));
    // (no watermark: the store records no pipeline progress, so only the grace period can explain a difference)
    boolean afterWatermark = watermark != null && s.sourceChangedAt() != null && s.sourceChangedAt().isAfter(watermark);
    if (recent || afterWatermark) {
      return IN_FLIGHT;
    }
    return s.inStore() ? STALE : MISSING;
  }
}
