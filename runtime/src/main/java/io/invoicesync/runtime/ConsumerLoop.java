package io.invoicesync.runtime;

import io.invoicesync.schemas.ComponentHealth;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.ExponentialBackoff;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The shell of a loop that consumes from Kafka and writes to the query store, on a thread of its
 * own: poll, hand the records to the owner's {@link Handler}, commit after the write
 * ({@link Commits}), and again. The handler rides out outages through {@link #ride(StoreOutage.Call)}
 * (every partition paused, the same call tried again: {@link StoreOutage}); {@link #health} says
 * whether the loop is up, riding out an outage, or failed ({@link LoopHealth}).
 *
 * <p>How the loop ends: {@link #close()} stops it (a wait for the store, or a poll, is woken up and
 * is no failure, and the unwritten poll is re-read by whoever owns its partitions next); anything
 * else that escapes the handler or the consumer ends it with that {@link #failure()}, the failed
 * poll's offsets uncommitted. Either way the consumer is closed on the loop's thread.
 *
 * <p>Shared by the projector and the outcome recorder, which may not import each other.
 */
public final class ConsumerLoop<K, V> implements AutoCloseable {

  /** The longest poll when the handler does not say otherwise. */
  public static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

  /** What an owner does with the loop, called on the loop's thread only. */
  @FunctionalInterface
  public interface Handler<K, V> {

    /**
     * Writes one poll's records (never empty), riding out outages through the loop, and returns the
     * offsets to commit now that they are written. A {@link SQLException} (or any other failure) that
     * escapes ends the loop uncommitted.
     */
    Map<TopicPartition, OffsetAndMetadata> write(ConsumerRecords<K, V> records) throws SQLException, StoreOutage.Stopped;

    /** Before each poll (resume partitions whose wait is over). */
    default void beforePoll() {
    }

    /** How long the next poll may wait for records. */
    default Duration pollTimeout() {
      return POLL_TIMEOUT;
    }

    /** After each poll, with what it returned, empty or not (lag, watermarks). */
    default void polled(ConsumerRecords<K, V> records) {
    }
  }

  private final String component;
  private final String title;
  private final Logger log;
  private final AtomicBoolean running = new AtomicBoolean();
  private final StoreOutage outage;
  private volatile Consumer<K, V> consumer;
  private volatile Thread thread;
  private volatile Throwable failure;

  /**
   * @param component     the MDC {@code component} of the loop's log lines, and its thread's name after {@code invoice-sync-}
   * @param title         the loop in log lines ("projector", "outcome recorder")
   * @param log           where the loop logs (the owner's logger)
   * @param outageBackoff the wait between attempts while an outage lasts, by attempt
   */
  public ConsumerLoop(String component, String title, Logger log, ExponentialBackoff outageBackoff) {
    this.component = requireText(component, "component");
    this.title = requireText(title, "title");
    this.log = Objects.requireNonNull(log, "log");
    this.outage = new StoreOutage(title, log, Objects.requireNonNull(outageBackoff, "outageBackoff"), running::get);
  }

  private static String requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    return value;
  }

  /**
   * Starts the loop on {@code consumer} (subscribed or assigned already; closed by the loop when it
   * ends) with {@code handler}. Once only.
   */
  public synchronized void start(Consumer<K, V> consumer, Handler<K, V> handler) {
    Objects.requireNonNull(consumer, "consumer");
    Objects.requireNonNull(handler, "handler");
    if (thread != null) {
      throw new IllegalStateException(title + " loop already started");
    }
    this.consumer = consumer;
    running.set(true);
    Thread t = new Thread(() -> run(consumer, handler), "invoice-sync-" + component);
    thread = t;
    t.start();
  }

  private void run(Consumer<K, V> consumer, Handler<K, V> handler) {
    MDC.put("component", component);
    try {
      while (running.get()) {
        handler.beforePoll();
        ConsumerRecords<K, V> records = consumer.poll(handler.pollTimeout());
        handler.polled(records);
        if (records.isEmpty()) {
          continue;
        }
        Commits.afterWrite(consumer, handler.write(records), log);
      }
    } catch (StoreOutage.Stopped e) {
      log.info("{} stopped during an outage; the unwritten poll is re-read on restart", title);
    } catch (WakeupException e) {
      if (running.get()) {
        failure = e; // a wakeup that close() did not ask for
      }
    } catch (Throwable t) {
      failure = t;
      log.error("{} stopped on an unexpected error; the failed poll's offsets were not committed", title, t);
    } finally {
      consumer.close();
    }
  }

  /** Runs {@code call} on the loop's consumer, riding out an outage in place ({@link StoreOutage}); on the loop's thread. */
  public <T, E extends Exception> T ride(StoreOutage.Call<T, E> call) throws E, StoreOutage.Stopped {
    return outage.ride(started(), call);
  }

  /** Runs {@code action} on the loop's consumer, riding out an outage in place ({@link StoreOutage}); on the loop's thread. */
  public <E extends Exception> void ride(StoreOutage.Action<E> action) throws E, StoreOutage.Stopped {
    outage.ride(started(), action);
  }

  private Consumer<K, V> started() {
    Consumer<K, V> c = consumer;
    if (c == null) {
      throw new IllegalStateException(title + " loop not started");
    }
    return c;
  }

  /** The outage this loop rides out (for a gauge, and to know whether one lasts). */
  public StoreOutage outage() {
    return outage;
  }

  /** True from {@link #start} until {@link #close()}. */
  public boolean isRunning() {
    return running.get();
  }

  /** Why the loop ended on its own; null while it runs, and when {@link #close()} ended it. */
  public Throwable failure() {
    return failure;
  }

  /** For the management port: up, riding out an outage, or failed for good, with the owner's {@code details}. */
  public ComponentHealth health(Map<String, Object> details) {
    return LoopHealth.of(thread, running.get(), failure, outage, details);
  }

  /** Stops the loop and waits up to 30 s for its thread to end; the loop closes its consumer. */
  @Override
  public void close() {
    running.set(false);
    Consumer<K, V> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    Thread t = thread;
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
