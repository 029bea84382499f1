package io.invoicesync.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Riding out an outage in place, with Kafka's MockConsumer standing in for the broker (no store, no broker needed). */
class StoreOutageTest {

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final StoreOutage outage = new StoreOutage("test", LoggerFactory.getLogger(StoreOutageTest.class),
      new ExponentialBackoff(1, 2, 2, 0), running::get);
  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());

  @Test
  void anOutageIsRetriedInPlaceUntilTheStoreAnswers() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String result = outage.ride(consumer, () -> {
      if (calls.incrementAndGet() < 3) {
        throw new SQLException("connection refused", "08001");
      }
      return "written";
    });
    assertThat(result).isEqualTo("written");
    assertThat(calls).hasValue(3);
    assertThat(outage.active()).isFalse();
  }

  @Test
  void aRecordFailureIsThrownAtOnce() {
    assertThatThrownBy(() -> outage.ride(consumer, () -> {
      throw new SQLException("value too long", "22001");
    })).isInstanceOf(SQLException.class);
  }

  @Test
  void closingDuringAnOutageStopsTheWaitAndIsNoRecordsFailure() {
    running.set(true);
    assertThatThrownBy(() -> outage.ride(consumer, () -> {
      running.set(false); // close() is called while the store is down ...
      consumer.wakeup(); // ... and wakes the consumer's back-off poll
      throw new SQLException("connection refused", "08001");
    })).isInstanceOf(StoreOutage.Stopped.class); // not a WakeupException a caller would take for the record's failure
  }

  @Test
  void aWakeupWhileStillRunningIsNotSwallowed() {
    assertThatThrownBy(() -> outage.ride(consumer, () -> {
      consumer.wakeup();
      throw new SQLException("connection refused", "08001");
    })).isInstanceOf(WakeupException.class);
  }
}
