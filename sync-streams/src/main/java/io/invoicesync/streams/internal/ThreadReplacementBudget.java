package io.invoicesync.streams.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * How many times a failed stream thread is replaced before the client is shut down: a transient
 * error (a task timeout, a registry outage) is retried by a new thread; the same error over and
 * over is a failure for good, and ends in Kafka Streams' ERROR state, which ends the process
 * (exit 3) so that it is restarted and seen, instead of a live process replacing threads forever.
 */
public final class ThreadReplacementBudget {

  private final int max;
  private final long windowMs;
  private final LongSupplier clock;
  private final Deque<Long> replacements = new ArrayDeque<>();

  public ThreadReplacementBudget(int max, Duration window, LongSupplier clock) {
    this.max = max;
    this.windowMs = window.toMillis();
    this.clock = clock;
  }

  /** Records a failure; true when its thread may be replaced, false when the budget of the window is spent. */
  public synchronized boolean replace() {
    long now = clock.getAsLong();
    while (!replacements.isEmpty() && now - replacements.peekFirst() > windowMs) {
      replacements.removeFirst();
    }
    if (replacements.size() >= max) {
      return false;
    }
    replacements.addLast(now);
    return true;
  }
}
