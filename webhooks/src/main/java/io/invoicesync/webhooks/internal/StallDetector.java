package io.invoicesync.webhooks.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Decides when sync has stalled and when it resumed (a pure core; {@link LagProbe} measures, the
 * service sends). Sync has stalled when, in a watched stage, the oldest record not yet processed has
 * waited longer than the threshold (invoices captured but not validated, or synced but not visible:
 * a stage down, the query store refusing writes), or when the lag cannot be measured for that long
 * (Kafka unreachable). It resumes when every stage is within the threshold again. Each change is
 * said once.
 */
public final class StallDetector {

  /** The oldest record a stage has not processed yet, and how long it has waited; {@code age} null when it is caught up. */
  public record Lag(String stage, String topic, String group, Duration age) {
  }

  /** A change of state worth telling people. */
  public sealed interface Change permits Stalled, Resumed {
  }

  /** Sync stopped: since when (the oldest waiting record's time, or the first failed measurement) and why. */
  public record Stalled(Instant since, String reason) implements Change {
  }

  /** Sync caught up again after a stall. */
  public record Resumed(Instant stalledSince, Instant resumedAt) implements Change {
  }

  private final Duration threshold;
  private Instant unmeasurableSince;
  private Stalled stalled;

  public StallDetector(Duration threshold) {
    this.threshold = threshold;
  }

  /** One measurement: the lags, or the error that kept them from being measured (lags then ignored). */
  public Optional<Change> observe(Instant now, List<Lag> lags, String error) {
    String reason = null;
    Instant since = null;
    if (error != null) {
      unmeasurableSince = unmeasurableSince == null ? now : unmeasurableSince;
      if (!now.isBefore(unmeasurableSince.plus(threshold))) {
        reason = "the pipeline's progress cannot be measured: " + error;
        since = unmeasurableSince;
      } else {
        return Optional.empty(); // too early to say, either way
      }
    } else {
      unmeasurableSince = null;
      for (Lag l : lags) {
        if (l.age() != null && l.age().compareTo(threshold) > 0 && (since == null || now.minus(l.age()).isBefore(since))) {
          since = now.minus(l.age());
          reason = l.stage() + " has not processed " + l.topic() + " for " + l.age().toSeconds() + " s (threshold " + threshold.toSeconds() + " s)";
        }
      }
    }
    if (reason != null && stalled == null) {
      stalled = new Stalled(since, reason);
      return Optional.of(stalled);
    }
    if (reason == null && stalled != null) {
      Resumed r = new Resumed(stalled.since(), now);
      stalled = null;
      return Optional.of(r);
    }
    return Optional.empty();
  }

  /** Whether the last change said was a stall. */
  public boolean isStalled() {
    return stalled != null;
  }
}
