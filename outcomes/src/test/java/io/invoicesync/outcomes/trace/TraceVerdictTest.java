package io.invoicesync.outcomes.trace;

import io.invoicesync.outcomes.Outcome;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TraceVerdictTest {

  static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
  static final TraceVerdict.Visible V1 = new TraceVerdict.Visible(1, "ISSUED", NOW.minusSeconds(60), NOW.minusSeconds(59));

  @Test
  void shouldSayUnknownWithoutSourceAccessAndNotCapturedWithIt() {
    assertThat(TraceVerdict.decide(null, null, TraceVerdict.Source.UNCHECKED, NOW).outcome()).isEqualTo(Outcome.UNKNOWN);
    TraceVerdict v = TraceVerdict.decide(null, null,
        new TraceVerdict.Source(true, true, "ISSUED", NOW.minusSeconds(30), 4096L, NOW.minusSeconds(45)), NOW);
    assertThat(v.outcome()).isEqualTo(Outcome.NOT_CAPTURED);
    assertThat(v.explanation()).contains("committed in the issuing database at " + NOW.minusSeconds(30)).contains("at least 30 s behind")
        .contains("4096 bytes").contains("committed at " + NOW.minusSeconds(45));
    assertThat(TraceVerdict.decide(null, null, new TraceVerdict.Source(true, false, null, null, 0L, null), NOW).outcome())
        .isEqualTo(Outcome.UNKNOWN);
  }

  @Test
  void shouldSayNotCapturedForAStatusChangeTheStoreHasNotSeen() {
    TraceVerdict v = TraceVerdict.decide(V1, new TraceVerdict.Recorded(Outcome.VISIBLE, "PROJECTED", 1, 1, NOW),
        new TraceVerdict.Source(true, true, "RED_FLUSHED", NOW.minusSeconds(5), 0L, NOW.minusSeconds(50)), NOW);
    assertThat(v.outcome()).isEqualTo(Outcome.NOT_CAPTURED);
    assertThat(v.explanation()).contains("visible at version 1").contains("RED_FLUSHED");
  }

  @Test
  void shouldFollowTheRecordedOutcome() {
    assertThat(TraceVerdict.decide(V1, new TraceVerdict.Recorded(Outcome.VISIBLE, "PROJECTED", 1, 1, NOW), TraceVerdict.Source.UNCHECKED, NOW)
        .outcome()).isEqualTo(Outcome.VISIBLE);
    TraceVerdict rejected = TraceVerdict.decide(V1, new TraceVerdict.Recorded(Outcome.REJECTED, "REJECTED", 1, 1, NOW),
        TraceVerdict.Source.UNCHECKED, NOW);
    assertThat(rejected.outcome()).isEqualTo(Outcome.REJECTED);
    assertThat(rejected.explanation()).startsWith("visible at version 1");
    TraceVerdict retrying = TraceVerdict.decide(null, new TraceVerdict.Recorded(Outcome.IN_FLIGHT, "RETRIED", 1, null, NOW),
        TraceVerdict.Source.UNCHECKED, NOW);
    assertThat(retrying.outcome()).isEqualTo(Outcome.IN_FLIGHT);
    assertThat(retrying.explanation()).contains("retrying");
    assertThat(TraceVerdict.decide(null, new TraceVerdict.Recorded(Outcome.DEAD_LETTERED, "DEAD_LETTERED", 1, null, NOW),
        TraceVerdict.Source.UNCHECKED, NOW).action()).contains("dlt replay");
  }

  @Test
  void shouldCallAVisibleRowWithoutRecordedEventsVisible() {
    assertThat(TraceVerdict.decide(V1, null, TraceVerdict.Source.UNCHECKED, NOW).outcome()).isEqualTo(Outcome.VISIBLE);
  }
}
