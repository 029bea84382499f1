package io.invoicesync.streams.internal;

import java.util.function.LongSupplier;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * An adaptive commit interval: while sync-streams keeps up with its input, a decision asks Kafka
 * Streams to commit at once rather than at the next {@code commit.interval.ms}; while it is behind,
 * it commits on the interval, as before, and spends its time on the backlog.
 *
 * <p>Under exactly-once nothing sync-streams writes is readable (read_committed) before its
 * transaction commits: the projector waits for it, and a red invoice waits twice, for its check to
 * reach the ledger and for the verdict to come back. With a fixed 100 ms interval a blue invoice
 * waited 0–100 ms before the projector could read it, and a red one's decision took 115–300 ms
 * where a blue one's took 2–4 (demo at 200 invoices/s). A shorter fixed interval was tried and
 * reverted (docs/benchmark.md): it also commits that often under a backlog, where commits only cost.
 *
 * <p>"Keeping up" is read from the record itself: it was written (its Kafka timestamp) at most
 * {@code maxAgeMs} ago. Requests closer together than {@code intervalMs} are dropped (one clock per
 * topology, whichever task asks; a commit commits every task of the thread), so at most one early
 * commit per interval. Above {@code maxRate} decisions per second none is requested: a commit costs
 * the same whatever it carries (a transaction marker on every partition written), so near
 * saturation it is spent where the work is, while at a moderate rate it costs little and the waits
 * it saves are most of the latency. (The rate limit is a precaution: the bench's capacity near
 * saturation moved with Debezium's poll interval, not measurably with it; docs/benchmark.md.)
 */
public final class EarlyCommits {

  private final long intervalMs;
  private final long maxAgeMs;
  private final long maxRate;
  private final LongSupplier clock;
  private long last = Long.MIN_VALUE / 2;
  private long windowStart = Long.MIN_VALUE / 2;
  private long windowDecisions;
  private long rate; // decisions per second in the last whole window

  /**
   * @param intervalMs the least time between two requested commits; negative: never request one
   * @param maxAgeMs   the oldest record (now minus its timestamp) whose decision still asks for a commit
   * @param maxRate    decisions per second (over the last second) above which none asks for a commit
   */
  public EarlyCommits(long intervalMs, long maxAgeMs, long maxRate) {
    this(intervalMs, maxAgeMs, maxRate, System::currentTimeMillis);
  }

  /** @param clock wall-clock milliseconds, as record timestamps are */
  EarlyCommits(long intervalMs, long maxAgeMs, long maxRate, LongSupplier clock) {
    this.intervalMs = intervalMs;
    this.maxAgeMs = maxAgeMs;
    this.maxRate = maxRate;
    this.clock = clock;
  }

  /**
   * Counts a decision, and requests a commit after it when its record is fresh, the rate is low
   * enough and no commit was requested within the interval.
   *
   * @param recordTimestamp the Kafka timestamp of the record whose decision was just forwarded
   */
  public synchronized void request(ProcessorContext<?, ?> context, long recordTimestamp) {
    if (intervalMs < 0) {
      return;
    }
    long now = clock.getAsLong();
    windowDecisions++;
    if (now - windowStart >= 1_000) {
      rate = now - windowStart >= 2_000 ? 0 : windowDecisions * 1_000 / (now - windowStart);
      windowStart = now;
      windowDecisions = 0;
    }
    if (rate > maxRate || now - recordTimestamp > maxAgeMs) {
      return; // busy or behind: commits on commit.interval.ms cost less per invoice, and the thread spends its time on the input
    }
    if (now - last >= intervalMs) {
      last = now;
      context.commit();
    }
  }
}
