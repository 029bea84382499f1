package io.invoicesync.projector.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.projector.internal.ProjectionPolicy.Apply;
import io.invoicesync.projector.internal.ProjectionPolicy.DeadLetter;
import io.invoicesync.projector.internal.ProjectionPolicy.Hold;
import io.invoicesync.projector.internal.ProjectionPolicy.Park;
import io.invoicesync.projector.internal.ProjectionPolicy.Retry;
import io.invoicesync.projector.internal.RetryState.Attempt;
import io.invoicesync.projector.internal.RetryState.Parking;
import io.invoicesync.projector.internal.RetryState.Position;
import io.invoicesync.runtime.ErrorClassifier.Kind;
import io.invoicesync.schemas.InvoiceState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** The projector's decisions without a broker or a database: the error taxonomy as a table. */
class ProjectionPolicyTest {

  private static final long NOW = 1_000_000L;
  private static final Decoded DECODED = new Decoded.Ok(new InvoiceState());
  private static final Decoded POISON = new Decoded.Poison(new SerializationException("unknown magic byte"));
  private final ProjectionPolicy policy = new ProjectionPolicy(4, ProjectionPolicy.doubling(1_000, 5_000));

  @Test
  void aDecodedRecordOfAFreeInvoiceIsApplied() {
    assertThat(policy.onMainRecord(DECODED, Parking.FREE)).isInstanceOf(Apply.class);
  }

  @Test
  void aRecordOfAParkedInvoiceFollowsTheWaitingOne() {
    assertThat(policy.onMainRecord(DECODED, Parking.PARKED)).isInstanceOf(Park.class);
  }

  @Test
  void bytesThatDoNotDecodeAreAPoisonPillEvenWhenTheInvoiceIsParked() {
    assertThat(policy.onMainRecord(POISON, Parking.PARKED)).isEqualTo(new DeadLetter(Kind.POISON_PILL, 1));
  }

  @Test
  void aRecordSpecificTransientFailureIsRetriedWithDoublingBackOffUntilTheAttemptsAreSpent() {
    assertThat(policy.onWriteFailure(Kind.RECORD_TRANSIENT, 0, NOW)).isEqualTo(new Retry(1, NOW + 1_000));
    assertThat(policy.onWriteFailure(Kind.RECORD_TRANSIENT, 1, NOW)).isEqualTo(new Retry(2, NOW + 2_000));
    assertThat(policy.onWriteFailure(Kind.RECORD_TRANSIENT, 2, NOW)).isEqualTo(new Retry(3, NOW + 4_000));
    assertThat(policy.onWriteFailure(Kind.RECORD_TRANSIENT, 3, NOW)).isEqualTo(new DeadLetter(Kind.NON_RETRIABLE, 4));
  }

  @Test
  void theBackOffIsCapped() {
    ProjectionPolicy many = new ProjectionPolicy(100, ProjectionPolicy.doubling(1_000, 5_000));
    // Kafka's ExponentialBackoff caps the exponent, so the capped wait is the maximum give or take its rounding
    Retry capped = (Retry) many.onWriteFailure(Kind.RECORD_TRANSIENT, 10, NOW);
    assertThat(capped.attempt()).isEqualTo(11);
    assertThat(capped.dueAtMs()).isBetween(NOW + 4_999, NOW + 5_000);
  }

  @Test
  void oneAttemptMeansNoRetry() {
    ProjectionPolicy once = new ProjectionPolicy(1, ProjectionPolicy.doubling(1_000, 5_000));
    assertThat(once.onWriteFailure(Kind.RECORD_TRANSIENT, 0, NOW)).isEqualTo(new DeadLetter(Kind.NON_RETRIABLE, 1));
  }

  @Test
  void nonRetriableAndPoisonFailuresAreDeadLetteredAtOnceWithTheirKind() {
    assertThat(policy.onWriteFailure(Kind.NON_RETRIABLE, 0, NOW)).isEqualTo(new DeadLetter(Kind.NON_RETRIABLE, 1));
    assertThat(policy.onWriteFailure(Kind.POISON_PILL, 2, NOW)).isEqualTo(new DeadLetter(Kind.POISON_PILL, 3));
  }

  @Test
  void anOutageIsNotARecordDecision() {
    assertThatThrownBy(() -> policy.onWriteFailure(Kind.OUTAGE, 0, NOW)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outage");
  }

  @Test
  void aRetryHeadNotYetDueHoldsItsPartitionUntilItIs() {
    Attempt a = new Attempt(1, NOW + 500);
    assertThat(policy.onRetryHead(a, DECODED, NOW)).isEqualTo(new Hold(NOW + 500));
    assertThat(policy.onRetryHead(a, DECODED, NOW + 500)).isInstanceOf(Apply.class);
    assertThat(policy.onRetryHead(a, POISON, NOW + 500)).isEqualTo(new DeadLetter(Kind.POISON_PILL, 1));
  }

  @Test
  void aParkedRecordOnTheRetryTopicIsDueAtOnceAndHasNotFailedYet() {
    Attempt parked = new Attempt(0, 0);
    assertThat(policy.onRetryHead(parked, DECODED, NOW)).isInstanceOf(Apply.class);
    assertThat(policy.onWriteFailure(Kind.RECORD_TRANSIENT, parked.failures(), NOW)).isEqualTo(new Retry(1, NOW + 1_000));
  }

  @Test
  void maxAttemptsBelowOneIsRefused() {
    assertThatThrownBy(() -> new ProjectionPolicy(0, ProjectionPolicy.doubling(1, 1))).hasMessageContaining("maxAttempts");
  }

  @Test
  void theParkingLotCountsWaitingRecordsPerInvoice() {
    RetryState lot = new RetryState();
    Position any = new Position(new TopicPartition("invoices.synced.retry", 0), 0);
    lot.park("a");
    lot.park("a");
    lot.park("b");
    assertThat(lot.parkingOf("a")).isEqualTo(Parking.PARKED);
    assertThat(lot.parkedInvoices()).isEqualTo(2);
    lot.settle(any, "a");
    assertThat(lot.parkingOf("a")).isEqualTo(Parking.PARKED);
    lot.settle(any, "a");
    assertThat(lot.parkingOf("a")).isEqualTo(Parking.FREE);
    lot.settle(any, "a"); // settling more than was parked (after a rebalance cleared the lot) is harmless
    assertThat(lot.waiting("a")).isZero();
    assertThat(lot.parkingOf(null)).isEqualTo(Parking.FREE);
  }

  @Test
  void retryProgressFallsBackToTheHeadersUntilTheRecordFailsHere() {
    RetryState progress = new RetryState();
    Position p = new Position(new TopicPartition("invoices.synced.retry", 2), 17);
    Attempt fromHeaders = new Attempt(1, NOW);
    assertThat(progress.attemptOf(p, fromHeaders)).isEqualTo(fromHeaders);
    progress.hold(p, new Attempt(2, NOW + 2_000), 5);
    assertThat(progress.attemptOf(p, fromHeaders)).isEqualTo(new Attempt(2, NOW + 2_000));
    progress.settle(p, null);
    assertThat(progress.attemptOf(p, fromHeaders)).isEqualTo(fromHeaders);
  }
}
