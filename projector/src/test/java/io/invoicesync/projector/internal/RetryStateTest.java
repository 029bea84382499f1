package io.invoicesync.projector.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.projector.internal.RetryState.Attempt;
import io.invoicesync.projector.internal.RetryState.HeldPartition;
import io.invoicesync.projector.internal.RetryState.Parking;
import io.invoicesync.projector.internal.RetryState.Position;
import io.invoicesync.projector.internal.RetryState.Saved;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The invariants of one instance's retry state, without a broker: parking, a head's attempts, held partitions, revocation. */
class RetryStateTest {

  private static final long NOW = 1_000_000L;
  private static final TopicPartition P0 = new TopicPartition("invoices.synced.retry", 0);
  private static final TopicPartition P1 = new TopicPartition("invoices.synced.retry", 1);
  private static final Duration AT_MOST = Duration.ofMillis(200);

  private final RetryState state = new RetryState();

  @Test
  void shouldParkAnInvoiceWhileAnyOfItsRecordsWaits() {
    // Given two records of a and one of b on the retry topic
    state.park("a");
    state.park("a");
    state.park("b");
    assertThat(state.parkingOf("a")).isEqualTo(Parking.PARKED);
    assertThat(state.waiting("a")).isEqualTo(2);
    assertThat(state.parkedInvoices()).isEqualTo(2);

    // When a's first waiting record is settled, Then a stays parked behind its second
    state.settle(new Position(P0, 0), "a");
    assertThat(state.parkingOf("a")).isEqualTo(Parking.PARKED);

    // When its last one is, Then it is free and no longer counted
    state.settle(new Position(P0, 1), "a");
    assertThat(state.parkingOf("a")).isEqualTo(Parking.FREE);
    assertThat(state.waiting("a")).isZero();
    assertThat(state.parkedInvoices()).isEqualTo(1);
  }

  @Test
  void shouldTakeSettlingMoreThanWasParkedAndRecordsWithoutKeyInItsStride() {
    state.settle(new Position(P0, 0), "never-parked");
    state.park(null);
    state.settle(new Position(P0, 1), null);

    assertThat(state.parkingOf("never-parked")).isEqualTo(Parking.FREE);
    assertThat(state.waiting("never-parked")).isZero();
    assertThat(state.parkingOf(null)).isEqualTo(Parking.FREE);
    assertThat(state.waiting(null)).isZero();
    assertThat(state.parkedInvoices()).isZero();
  }

  @Test
  void shouldCountAHeadsAttemptsHereOnceItIsHeldAndForgetThemWhenItIsSettled() {
    Position head = new Position(P0, 17);
    Attempt fromHeaders = new Attempt(1, NOW);
    assertThat(state.attemptOf(head, fromHeaders)).as("not failed here yet: its headers count").isEqualTo(fromHeaders);

    state.hold(head, new Attempt(2, NOW + 2_000), 42);
    assertThat(state.attemptOf(head, fromHeaders)).isEqualTo(new Attempt(2, NOW + 2_000));
    assertThat(state.attemptOf(new Position(P0, 18), fromHeaders)).as("only that position").isEqualTo(fromHeaders);

    state.settle(head, "a");
    assertThat(state.attemptOf(head, fromHeaders)).isEqualTo(fromHeaders);
  }

  @Test
  void shouldSeedAHeadsAttemptsFromItsPartitionsCommitAtAssignment() {
    Position head = new Position(P1, 5);
    state.restore(head, new Attempt(3, NOW + 4_000));

    assertThat(state.attemptOf(head, new Attempt(1, NOW))).isEqualTo(new Attempt(3, NOW + 4_000));
    assertThat(state.isHeld(P1)).as("restoring is not holding: the head is read again and held when it is not due").isFalse();
  }

  @Test
  void shouldHoldAPartitionUntilItsHeadIsDueAndHandTheHoldBackOnce() {
    Saved saved = state.hold(new Position(P0, 7), new Attempt(2, NOW + 500), 42);
    assertThat(saved).isEqualTo(new Saved(new Attempt(2, NOW + 500), 42));
    assertThat(state.isHeld(P0)).isTrue();

    assertThat(state.releaseDue(NOW + 499)).isEmpty();
    assertThat(state.releaseDue(NOW + 500)).containsExactly(new HeldPartition(P0, NOW + 500, 42));
    assertThat(state.releaseDue(NOW + 10_000)).as("handed back once").isEmpty();
    assertThat(state.isHeld(P0)).isFalse();
  }

  @Test
  void shouldHoldAPartitionAtMostOnceTheLatestHoldCounting() {
    state.hold(new Position(P0, 7), new Attempt(1, NOW + 100), 42);
    state.hold(new Position(P0, 7), new Attempt(2, NOW + 300), 42); // failed again when it was due

    assertThat(state.releaseDue(NOW + 100)).isEmpty();
    assertThat(state.releaseDue(NOW + 300)).containsExactly(new HeldPartition(P0, NOW + 300, 42));
  }

  @Test
  void shouldPollNoLongerThanUntilTheNextHoldIsDue() {
    assertThat(state.untilNextDue(NOW, AT_MOST)).as("nothing held").isEqualTo(AT_MOST);

    state.hold(new Position(P0, 1), new Attempt(1, NOW + 50), 1);
    state.hold(new Position(P1, 1), new Attempt(1, NOW + 80), 2);
    assertThat(state.untilNextDue(NOW, AT_MOST)).isEqualTo(Duration.ofMillis(50));
    assertThat(state.untilNextDue(NOW + 60, AT_MOST)).as("overdue: at once, but never a zero wait").isEqualTo(Duration.ofMillis(1));
    assertThat(state.untilNextDue(NOW - 1_000, AT_MOST)).as("capped").isEqualTo(AT_MOST);
  }

  @Test
  void shouldForgetParkingAndProgressOnRevocationAndDropTheRevokedPartitionsHolds() {
    Position head0 = new Position(P0, 7);
    Position head1 = new Position(P1, 9);
    state.park("a");
    state.hold(head0, new Attempt(2, NOW + 500), 42);
    state.hold(head1, new Attempt(1, NOW + 500), 43);

    state.revoked(List.of(P0));

    assertThat(state.parkingOf("a")).isEqualTo(Parking.FREE);
    assertThat(state.parkedInvoices()).isZero();
    assertThat(state.attemptOf(head0, new Attempt(1, NOW))).isEqualTo(new Attempt(1, NOW));
    assertThat(state.isHeld(P0)).isFalse();
    assertThat(state.isHeld(P1)).as("not revoked").isTrue();
    assertThat(state.releaseDue(NOW + 500)).extracting(HeldPartition::partition).containsExactly(P1);
  }

  @Test
  void shouldForgetOnlyParkingWhenWaitingRecordsExpired() {
    Position head = new Position(P0, 7);
    state.park("a");
    state.hold(head, new Attempt(2, NOW + 500), 42);

    state.forgetParking();

    assertThat(state.parkingOf("a")).isEqualTo(Parking.FREE);
    assertThat(state.attemptOf(head, new Attempt(1, NOW))).isEqualTo(new Attempt(2, NOW + 500));
    assertThat(state.isHeld(P0)).isTrue();
  }

  @Test
  void shouldReadBackWhatAHeldPartitionsCommitCarries() {
    Saved saved = state.hold(new Position(P0, 7), new Attempt(3, NOW + 8_000), 42);

    assertThat(saved.metadata()).isEqualTo("attempt=3;due=" + (NOW + 8_000) + ";origin=42");
    assertThat(Saved.parse(saved.metadata())).contains(saved);
    assertThat(Saved.parse("attempt=2;due=5")).as("committed before origins were kept").contains(new Saved(new Attempt(2, 5), -1));
    assertThat(Saved.parse(null)).as("committed by a settle").isEmpty();
    assertThat(Saved.parse("")).isEmpty();
    assertThat(Saved.parse("attempt=x;due=1")).as("garbled: the headers count instead").isEmpty();
  }
}
