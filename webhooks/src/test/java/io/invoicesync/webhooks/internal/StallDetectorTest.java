package io.invoicesync.webhooks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StallDetectorTest {

  static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

  static List<StallDetector.Lag> lag(Duration synced) {
    return List.of(new StallDetector.Lag("invoice-sync-streams", "invoices.captured", "invoice-sync-streams", null),
        new StallDetector.Lag("invoice-sync-projector", "invoices.synced", "invoice-sync-projector", synced));
  }

  @Test
  void shouldSayStalledOnceWhenAStageWaitsPastTheThresholdAndResumedOnceWhenItCatchesUp() {
    StallDetector d = new StallDetector(Duration.ofSeconds(60));
    assertThat(d.observe(T0, lag(null), null)).isEmpty();
    assertThat(d.observe(T0, lag(Duration.ofSeconds(59)), null)).as("within the threshold").isEmpty();

    Optional<StallDetector.Change> stalled = d.observe(T0.plusSeconds(5), lag(Duration.ofSeconds(64)), null);
    assertThat(stalled).get().isInstanceOf(StallDetector.Stalled.class);
    StallDetector.Stalled s = (StallDetector.Stalled) stalled.get();
    assertThat(s.since()).as("since the oldest waiting record").isEqualTo(T0.minusSeconds(59));
    assertThat(s.reason()).contains("invoice-sync-projector", "invoices.synced", "64 s");
    assertThat(d.observe(T0.plusSeconds(10), lag(Duration.ofSeconds(69)), null)).as("said once").isEmpty();

    Optional<StallDetector.Change> resumed = d.observe(T0.plusSeconds(20), lag(Duration.ofSeconds(2)), null);
    assertThat(resumed).contains(new StallDetector.Resumed(T0.minusSeconds(59), T0.plusSeconds(20)));
    assertThat(d.observe(T0.plusSeconds(25), lag(null), null)).as("said once").isEmpty();
  }

  @Test
  void shouldCallProgressThatCannotBeMeasuredForTheThresholdAStall() {
    StallDetector d = new StallDetector(Duration.ofSeconds(30));
    assertThat(d.observe(T0, List.of(), "Kafka did not answer in time")).isEmpty();
    assertThat(d.observe(T0.plusSeconds(29), List.of(), "Kafka did not answer in time")).isEmpty();
    Optional<StallDetector.Change> c = d.observe(T0.plusSeconds(30), List.of(), "Kafka did not answer in time");
    assertThat(c).get().isEqualTo(new StallDetector.Stalled(T0, "the pipeline's progress cannot be measured: Kafka did not answer in time"));
    assertThat(d.observe(T0.plusSeconds(40), lag(null), null)).get().isInstanceOf(StallDetector.Resumed.class);
    assertThat(d.observe(T0.plusSeconds(41), List.of(), "again")).as("a new count starts").isEmpty();
  }
}
