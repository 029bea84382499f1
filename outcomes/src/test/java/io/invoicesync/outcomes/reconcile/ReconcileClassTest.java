package io.invoicesync.outcomes.reconcile;

import io.invoicesync.outcomes.Outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReconcileClassTest {

  static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
  static final Duration GRACE = Duration.ofSeconds(60);
  static final Instant WATERMARK = NOW.minusSeconds(2);

  static ReconcileClass classify(boolean inStore, Instant changed, String outcome, Instant recordedCommit) {
    return ReconcileClass.classify(new ReconcileClass.Seen(true, inStore, changed, outcome == null ? null : Outcome.valueOf(outcome), recordedCommit), WATERMARK, NOW, GRACE, null);
  }

  @Test
  void shouldCallADisagreementAboutADecidedChangeAnAlarmEvenWhenRecent() {
    Instant changed = NOW.minusSeconds(5);
    assertThat(classify(false, changed, "VISIBLE", changed.plusMillis(30))).isEqualTo(ReconcileClass.MISSING);
    assertThat(classify(true, changed, "VISIBLE", changed.plusMillis(30))).isEqualTo(ReconcileClass.STALE);
    Instant micros = Instant.parse("2026-11-27T09:59:55.123456Z"); // committed within the millisecond it started in
    assertThat(classify(false, micros, "VISIBLE", Instant.parse("2026-11-27T09:59:55.123Z"))).isEqualTo(ReconcileClass.MISSING);
  }

  @Test
  void shouldCallAChangeDecidedAfterTheSourceWasReadInFlight() {
    // the source read the blue invoice ISSUED; a red-letter invoice committed just after flushed it, and the pipeline projected
    // that before the store was read: the store is ahead of the read, not wrong
    Instant changed = NOW.minusSeconds(5);
    Instant sourceReadAt = NOW.minusMillis(400);
    ReconcileClass.Seen ahead = new ReconcileClass.Seen(true, true, changed, Outcome.VISIBLE, sourceReadAt.plusMillis(30));
    assertThat(ReconcileClass.classify(ahead, WATERMARK, NOW, GRACE, sourceReadAt)).isEqualTo(ReconcileClass.IN_FLIGHT);
    // decided on a change the read saw (committed before it): a store that disagrees is wrong
    ReconcileClass.Seen wrong = new ReconcileClass.Seen(true, true, changed, Outcome.VISIBLE, changed.plusMillis(30));
    assertThat(ReconcileClass.classify(wrong, WATERMARK, NOW, GRACE, sourceReadAt)).isEqualTo(ReconcileClass.STALE);
    assertThat(ReconcileClass.classify(new ReconcileClass.Seen(true, false, changed, Outcome.VISIBLE, changed.plusMillis(30)), WATERMARK, NOW,
        GRACE, sourceReadAt)).isEqualTo(ReconcileClass.MISSING);
  }

  @Test
  void shouldCallAnUndecidedChangeInFlightWhileRecentOrAfterTheWatermark() {
    assertThat(classify(false, NOW.minusSeconds(5), null, null)).as("recent, nothing recorded").isEqualTo(ReconcileClass.IN_FLIGHT);
    assertThat(classify(true, NOW.minusSeconds(5), "VISIBLE", NOW.minusSeconds(600))).as("a newer change than the one decided")
        .isEqualTo(ReconcileClass.IN_FLIGHT);
    assertThat(ReconcileClass.classify(new ReconcileClass.Seen(true, false, NOW.minusSeconds(300), null, null), NOW.minusSeconds(900), NOW,
        GRACE, null)).as("older than the grace, but the pipeline is behind it").isEqualTo(ReconcileClass.IN_FLIGHT);
    assertThat(classify(false, NOW.minusSeconds(300), null, null)).as("old, before the watermark, never decided").isEqualTo(ReconcileClass.MISSING);
    assertThat(ReconcileClass.classify(new ReconcileClass.Seen(true, false, NOW.minusSeconds(300), null, null), null, NOW, GRACE, null))
        .as("no watermark recorded: old is old").isEqualTo(ReconcileClass.MISSING);
  }

  @Test
  void shouldFollowRecordedExplanationsAndCallStoreOnlyRowsExtra() {
    assertThat(classify(false, NOW.minusSeconds(300), "REJECTED", null)).isEqualTo(ReconcileClass.REJECTED);
    assertThat(classify(false, NOW.minusSeconds(300), "DEAD_LETTERED", null)).isEqualTo(ReconcileClass.DEAD_LETTERED);
    assertThat(classify(false, NOW.minusSeconds(300), "IN_FLIGHT", null)).isEqualTo(ReconcileClass.IN_FLIGHT);
    assertThat(ReconcileClass.classify(new ReconcileClass.Seen(false, true, null, null, null), WATERMARK, NOW, GRACE, null))
        .isEqualTo(ReconcileClass.EXTRA);
    assertThat(ReconcileClass.MISSING.alarm()).isTrue();
    assertThat(ReconcileClass.IN_FLIGHT.alarm()).isFalse();
  }
}
