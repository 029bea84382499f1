package io.invoicesync.runtime;

import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;

/**
 * Rides out an outage in place, for a loop that consumes and writes: while a call (a write to the
 * query store, a decode that needs the schema registry, a send to Kafka) fails with
 * {@link ErrorClassifier.Kind#OUTAGE}, every assigned partition is paused, the consumer
 * is polled for the back-off time (which keeps its group membership and returns nothing), and the
 * same write is tried again. Nothing is skipped and nothing is dead-lettered; the back-off doubles
 * up to its cap and never gives up. Any other failure is thrown to the caller at once.
 */
public final class StoreOutage {

  /**
   * A call an outage may interrupt (a write to the query store, a decode that needs the schema
   * registry, a send to Kafka), with its result. {@code E} is what it throws besides unchecked
   * exceptions: {@link SQLException} for a write, nothing for a decode or a send (then the compiler
   * infers {@link RuntimeException} and the caller need not catch anything).
   */
  @FunctionalInterface
  public interface Call<T, E extends Exception> {
    T run() throws E;
  }

  /** A call without a result (a send, an acknowledgement, a write whose result is not needed). */
  @FunctionalInterface
  public interface Action<E extends Exception> {
    void run() throws E;
  }

  /** The loop was asked to stop while it waited out an outage: the write did not happen, nothing may be committed. */
  public static final class Stopped extends Exception {
    Stopped() {
      super("stopped while the query store was unreachable", null, false, false);
    }
  }

  private final String what;
  private final Logger log;
  private final ExponentialBackoff backoff;
  private final BooleanSupplier running;
  private final AtomicLong since = new AtomicLong();

  /**
   * @param what what pauses, for the log ("consumption", "outcome recording")
   * @param backoff the wait between attempts, by attempt (jittered: instances do not retry in lock-step)
   * @param running false once the owner is stopping
   */
  public StoreOutage(String what, Logger log, ExponentialBackoff backoff, BooleanSupplier running) {
    this.what = what;
    this.log = log;
    this.backoff = backoff;
    this.running = running;
  }

  /** Runs {@code call}; while the store (or registry, or broker) is unreachable, pauses {@code consumer} and tries it again. */
  public <T, E extends Exception> T ride(Consumer<?, ?> consumer, Call<T, E> call) throws E, Stopped {
    Set<TopicPartition> pausedHere = null; // only an outage pauses: a call that succeeds at once (every record's decode) allocates nothing
    int attempt = 0;
    try {
      while (running.getAsBoolean()) {
        try {
          T result = call.run();
          end();
          return result;
        } catch (Exception e) { // E or unchecked: rethrown as such (precise rethrow)
          if (ErrorClassifier.classify(e) != ErrorClassifier.Kind.OUTAGE) {
            end();
            throw e;
          }
          begin(e);
          Set<TopicPartition> toPause = new HashSet<>(consumer.assignment());
          toPause.removeAll(consumer.paused());
          consumer.pause(toPause);
          if (pausedHere == null) {
            pausedHere = new HashSet<>();
          }
          pausedHere.addAll(toPause);
          try {
            consumer.poll(Duration.ofMillis(backoff.backoff(attempt++))); // paused: waits, keeps the membership, returns nothing
          } catch (WakeupException wakeup) {
            if (!running.getAsBoolean()) {
              throw new Stopped(); // close() woke the wait: the write did not happen, and it is no record's failure
            }
            throw wakeup;
          }
        }
      }
      throw new Stopped();
    } finally {
      if (pausedHere != null) {
        pausedHere.retainAll(consumer.assignment());
        consumer.resume(pausedHere);
      }
    }
  }

  /** Runs {@code action} as {@link #ride(Consumer, Call)} runs a call. */
  public <E extends Exception> void ride(Consumer<?, ?> consumer, Action<E> action) throws E, Stopped {
    ride(consumer, () -> {
      action.run();
      return Boolean.TRUE; // the one place that turns an action into a call
    });
  }

  /** True while the store is unreachable. */
  public boolean active() {
    return since.get() != 0;
  }

  /** Since when the store is unreachable (epoch ms), 0 when it is reachable. */
  public AtomicLong since() {
    return since;
  }

  private void begin(Exception e) {
    if (since.compareAndSet(0, System.currentTimeMillis())) {
      log.warn("outage (query store, schema registry or Kafka unreachable), {} paused and retried in place: {}", what,
          e.getMessage());
    }
  }

  private void end() {
    if (since.get() != 0 && since.getAndSet(0) != 0) {
      log.info("outage over, {} resumed", what);
    }
  }
}
