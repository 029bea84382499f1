package io.invoicesync.runtime;

import static io.invoicesync.runtime.ErrorClassifier.Kind.NON_RETRIABLE;
import static io.invoicesync.runtime.ErrorClassifier.Kind.OUTAGE;
import static io.invoicesync.runtime.ErrorClassifier.Kind.POISON_PILL;
import static io.invoicesync.runtime.ErrorClassifier.Kind.RECORD_TRANSIENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class ErrorClassifierTest {

  @Test
  void shouldSeeAnOutageAnywhereInTheCauseChain() {
    assertThat(ErrorClassifier.classify(new SQLException("conn", "08006"))).isEqualTo(OUTAGE);
    assertThat(ErrorClassifier.classify(new SQLException("shutdown", "57P01"))).isEqualTo(OUTAGE);
    assertThat(ErrorClassifier.classify(new RuntimeException(new ConnectException("refused")))).isEqualTo(OUTAGE);
  }

  @Test
  void shouldSortRowLevelFailures() {
    assertThat(ErrorClassifier.classify(new SQLException("deadlock", "40P01"))).isEqualTo(RECORD_TRANSIENT);
    assertThat(ErrorClassifier.classify(new SQLException("raised by trigger", "P0001"))).isEqualTo(RECORD_TRANSIENT);
    assertThat(ErrorClassifier.classify(new SQLException("value too long", "22001"))).isEqualTo(NON_RETRIABLE);
    assertThat(ErrorClassifier.classify(new IllegalStateException("?"))).isEqualTo(NON_RETRIABLE);
    assertThat(ErrorClassifier.classify(new SerializationException("bad bytes"))).isEqualTo(POISON_PILL);
  }

  @Test
  void aSchemaRegistryThatCannotBeReachedIsAnOutageNotAPoisonPill() {
    assertThat(ErrorClassifier.classify(new org.apache.kafka.common.errors.SerializationException("cannot fetch schema",
        new RuntimeException(new java.net.SocketTimeoutException("connect timed out"))))).isEqualTo(ErrorClassifier.Kind.OUTAGE);
    assertThat(ErrorClassifier.classify(new org.apache.kafka.common.errors.SerializationException("unknown schema id 32639")))
        .isEqualTo(ErrorClassifier.Kind.POISON_PILL);
  }

  @Test
  void aSendThatTimedOutIsABrokerOutageNotTheRecordsFault() {
    assertThat(ErrorClassifier.classify(new org.apache.kafka.common.errors.TimeoutException(
        "Expiration of 1 record(s) for invoices.synced.dlt-0: 6001 ms has passed since batch creation"))).isEqualTo(OUTAGE);
    assertThat(ErrorClassifier.classify(new org.apache.kafka.common.errors.RecordTooLargeException("too large")))
        .isEqualTo(ErrorClassifier.Kind.NON_RETRIABLE);
  }

  @Test
  void aStoreThatTurnedReadOnlyIsAnOutageNotARecordsFault() {
    assertThat(ErrorClassifier.classify(new SQLException("cannot execute INSERT in a read-only transaction", "25006")))
        .isEqualTo(OUTAGE);
  }
}
