package io.invoicesync.outcomes.recorder;

import io.invoicesync.outcomes.Outcome;
import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.SourcePosition;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class InvoiceOutcomeTest {

  private long offset;

  private InvoiceOutcome fold(InvoiceOutcome o, String event, Integer version, long lsn, String stage) {
    AuditEntry e = AuditEntry.newBuilder().setInvoiceId("o-1").setEvent(event).setVersion(version)
        .setSource(SourcePosition.newBuilder().setLsn(lsn).setCommitTs(Instant.ofEpochSecond(lsn)).build()).setDigest("")
        .setHash("h").setRecordedAt(Instant.ofEpochSecond(1000 + offset)).setStage(stage).setInvoiceNumber("26442000000000000777").build();
    return InvoiceOutcome.after(o, e, 0, offset++);
  }

  @Test
  void shouldBeVisibleOnlyOnceTheLatestAppliedVersionIsProjected() {
    InvoiceOutcome o = fold(null, "APPLIED", 1, 100, "sync-streams");
    assertThat(o.outcome()).isEqualTo(Outcome.IN_FLIGHT);
    o = fold(o, "APPLIED", 2, 200, "sync-streams");
    o = fold(o, "PROJECTED", 1, 100, "projector");
    assertThat(o.outcome()).as("v1 visible, v2 still in flight").isEqualTo(Outcome.IN_FLIGHT);
    assertThat(o.visibleVersion()).isEqualTo(1);
    o = fold(o, "PROJECTED", 2, 200, "projector");
    assertThat(o.outcome()).isEqualTo(Outcome.VISIBLE);
    assertThat(o.latestLsn()).as("the projector's events do not move the source position").isEqualTo(200);
    assertThat(o.invoiceNumber()).isEqualTo("26442000000000000777");
  }

  @Test
  void shouldShowARejectionThenTheCorrectedVersion() {
    InvoiceOutcome o = fold(null, "REJECTED", null, 100, "sync-streams");
    assertThat(o.outcome()).isEqualTo(Outcome.REJECTED);
    o = fold(o, "DEDUPLICATED", null, 100, "sync-streams");
    assertThat(o.outcome()).as("a duplicate changes nothing").isEqualTo(Outcome.REJECTED);
    o = fold(o, "APPLIED", 1, 300, "sync-streams");
    o = fold(o, "PROJECTED", 1, 300, "projector");
    assertThat(o.outcome()).isEqualTo(Outcome.VISIBLE);
    assertThat(o.firstSeenAt()).isEqualTo(Instant.ofEpochSecond(1000));
  }

  @Test
  void shouldTrackRetriesAndDeadLetters() {
    InvoiceOutcome o = fold(null, "APPLIED", 1, 100, "sync-streams");
    o = fold(o, "RETRIED", 1, 100, "projector");
    assertThat(o.outcome()).isEqualTo(Outcome.IN_FLIGHT);
    assertThat(o.lastEvent()).isEqualTo("RETRIED");
    o = fold(o, "DEAD_LETTERED", 1, 100, "projector");
    assertThat(o.outcome()).isEqualTo(Outcome.DEAD_LETTERED);
    o = fold(o, "PROJECTED", 1, 100, "projector"); // replayed after the cause was fixed
    assertThat(o.outcome()).isEqualTo(Outcome.VISIBLE);
  }

  @Test
  void shouldRecogniseAnEventAlreadyFoldedIn() {
    InvoiceOutcome o = fold(null, "APPLIED", 1, 100, "sync-streams");
    assertThat(o.hasSeen(0, o.auditOffset())).isTrue();
    assertThat(o.hasSeen(0, o.auditOffset() + 1)).isFalse();
  }
}
