package io.invoicesync.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.invoicesync.schemas.ComponentHealth.Status;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The shared loop shell on Kafka's MockConsumer (no broker, no store): poll, write, commit after the write, outage, failure, stop. */
@Timeout(30)
class ConsumerLoopTest {

  private static final TopicPartition TP = new TopicPartition("invoices.audit", 0);
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A MockConsumer whose empty polls wait a little, as a real one would, instead of spinning; it keeps every commit. */
  private static final class SlowMockConsumer extends MockConsumer<String, String> {
    final List<Map<TopicPartition, OffsetAndMetadata>> commits = new CopyOnWriteArrayList<>();

    SlowMockConsumer() {
      super(AutoOffsetResetStrategy.EARLIEST.name());
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
      super.commitSync(offsets);
      commits.add(Map.copyOf(offsets));
    }

    @Override
    public ConsumerRecords<String, String> poll(Duration timeout) {
      ConsumerRecords<String, String> records = super.poll(timeout);
      if (records.isEmpty()) {
        try {
          Thread.sleep(Math.min(5, timeout.toMillis()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return records;
    }
  }

  private final SlowMockConsumer consumer = new SlowMockConsumer();
  private final ConsumerLoop<String, String> loop = new ConsumerLoop<>("test", "test loop", LoggerFactory.getLogger(ConsumerLoopTest.class),
      new ExponentialBackoff(1, 2, 2, 0));
  private final List<String> written = new CopyOnWriteArrayList<>();

  @BeforeEach
  void assign() {
    consumer.assign(List.of(TP));
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
  }

  @AfterEach
  void close() {
    loop.close();
  }

  private void send(long offset, String value) {
    consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(TP.topic(), TP.partition(), offset, "k" + offset, value)));
  }

  /** The last offset committed for {@link #TP}, -1 before any commit (read from the commits kept: a closed MockConsumer answers nothing). */
  private long committed() {
    return consumer.commits.stream().filter(c -> c.containsKey(TP)).reduce((a, b) -> b).map(c -> c.get(TP).offset()).orElse(-1L);
  }

  /** Writes each record's value, then hands back the offsets after the poll. */
  private Map<TopicPartition, OffsetAndMetadata> write(ConsumerRecords<String, String> records) {
    records.forEach(r -> written.add(r.value()));
    return Commits.after(records);
  }

  @Test
  void shouldCommitAPollsOffsetsOnlyAfterItsWrite() {
    List<String> seenAtWrite = new CopyOnWriteArrayList<>(); // "committed -> first offset of the poll"
    loop.start(consumer, records -> {
      seenAtWrite.add(committed() + " -> " + records.iterator().next().offset());
      return write(records);
    });
    send(0, "a");
    send(1, "b");
    send(2, "c");

    await().atMost(WAIT).until(() -> committed() == 3);
    assertThat(written).containsExactly("a", "b", "c");
    assertThat(seenAtWrite).as("each poll is written before its offsets are committed, and after the previous poll's were")
        .containsExactly("-1 -> 0", "1 -> 1", "2 -> 2");
    assertThat(loop.health(Map.of("lag", 0L)).status()).isEqualTo(Status.UP);
    assertThat(loop.health(Map.of("lag", 0L)).details()).containsEntry("lag", 0L);
  }

  @Test
  void shouldCallTheHooksAroundEveryPollAndWriteOnlyNonEmptyOnes() {
    AtomicInteger before = new AtomicInteger();
    AtomicInteger emptyPolls = new AtomicInteger();
    AtomicBoolean wroteEmpty = new AtomicBoolean();
    loop.start(consumer, new ConsumerLoop.Handler<>() {
      @Override
      public Map<TopicPartition, OffsetAndMetadata> write(ConsumerRecords<String, String> records) {
        wroteEmpty.compareAndSet(false, records.isEmpty());
        return ConsumerLoopTest.this.write(records);
      }

      @Override
      public void beforePoll() {
        before.incrementAndGet();
      }

      @Override
      public Duration pollTimeout() {
        return Duration.ofMillis(1);
      }

      @Override
      public void polled(ConsumerRecords<String, String> records) {
        if (records.isEmpty()) {
          emptyPolls.incrementAndGet();
        }
      }
    });
    send(0, "a");

    await().atMost(WAIT).until(() -> written.size() == 1 && emptyPolls.get() > 2);
    assertThat(before.get()).isGreaterThan(emptyPolls.get());
    assertThat(wroteEmpty).isFalse();
  }

  @Test
  void shouldRideOutAnOutageInPlaceAndWriteThePollOnceTheStoreIsBack() {
    AtomicBoolean storeDown = new AtomicBoolean(true);
    AtomicInteger attempts = new AtomicInteger();
    loop.start(consumer, records -> {
      loop.ride(() -> {
        attempts.incrementAndGet();
        if (storeDown.get()) {
          throw new SQLException("connection refused", "08001");
        }
      });
      return write(records);
    });
    send(0, "a");

    await().atMost(WAIT).until(() -> loop.health(Map.of()).status() == Status.OUTAGE);
    assertThat(loop.health(Map.of()).details()).containsKey("outageSince");
    assertThat(committed()).as("nothing committed while the write waits").isEqualTo(-1);
    await("paused meanwhile").atMost(WAIT).until(() -> consumer.paused().contains(TP));

    storeDown.set(false);
    await().atMost(WAIT).until(() -> committed() == 1);
    assertThat(written).containsExactly("a");
    assertThat(attempts.get()).isGreaterThan(1);
    assertThat(consumer.paused()).isEmpty();
    assertThat(loop.health(Map.of()).status()).isEqualTo(Status.UP);
    assertThat(loop.failure()).isNull();
  }

  @Test
  void shouldEndWithTheFailureAndCommitNothingWhenAWriteFailsForGood() {
    loop.start(consumer, records -> {
      loop.ride(() -> {
        throw new SQLException("value too long", "22001"); // not an outage: thrown at once
      });
      return write(records);
    });
    send(0, "a");

    await().atMost(WAIT).until(() -> loop.failure() != null);
    assertThat(loop.failure()).isInstanceOf(SQLException.class);
    assertThat(loop.health(Map.of()).status()).isEqualTo(Status.FAILED);
    await().atMost(WAIT).until(consumer::closed);
    assertThat(committed()).isEqualTo(-1);
    assertThat(written).isEmpty();
  }

  @Test
  void shouldStopWithoutAFailureWhenClosedDuringAnOutage() {
    loop.start(consumer, records -> {
      loop.ride(() -> {
        throw new SQLException("connection refused", "08001");
      });
      return write(records);
    });
    send(0, "a");
    await().atMost(WAIT).until(() -> loop.health(Map.of()).status() == Status.OUTAGE);

    loop.close();

    assertThat(loop.isRunning()).isFalse();
    assertThat(loop.failure()).isNull();
    assertThat(loop.health(Map.of()).status()).isEqualTo(Status.STOPPED);
    assertThat(consumer.closed()).as("closed by the loop's thread, which close() waited for").isTrue();
    assertThat(committed()).isEqualTo(-1);
  }

  @Test
  void shouldTakeAWakeupItDidNotAskForAsAFailure() {
    loop.start(consumer, this::write);
    await().atMost(WAIT).until(() -> loop.health(Map.of()).status() == Status.UP);

    consumer.wakeup(); // not from close()

    await().atMost(WAIT).until(() -> loop.failure() != null);
    assertThat(loop.failure()).isInstanceOf(WakeupException.class);
    assertThat(loop.health(Map.of()).status()).isEqualTo(Status.FAILED);
  }

  @Test
  void shouldSayWhatItIsBeforeItStartsAndStartOnlyOnce() {
    assertThat(loop.health(Map.of()).status()).isEqualTo(Status.STARTING);
    assertThatThrownBy(() -> loop.ride(() -> "x")).isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");

    loop.start(consumer, this::write);

    assertThatThrownBy(() -> loop.start(consumer, this::write)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already started");
  }

  @Test
  void shouldNameTheInputThatIsMissing() {
    ExponentialBackoff backoff = new ExponentialBackoff(1, 2, 2, 0);
    assertThatThrownBy(() -> new ConsumerLoop<String, String>(" ", "t", LoggerFactory.getLogger("t"), backoff))
        .hasMessageContaining("component");
    assertThatThrownBy(() -> new ConsumerLoop<String, String>("c", "", LoggerFactory.getLogger("t"), backoff))
        .hasMessageContaining("title");
    assertThatThrownBy(() -> new ConsumerLoop<String, String>("c", "t", LoggerFactory.getLogger("t"), null))
        .hasMessageContaining("outageBackoff");
  }
}
