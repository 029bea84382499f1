package io.invoicesync.webhooks.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * What one attempt's result means (a pure decision core; the dispatcher acts on it): a 2xx is
 * delivered; {@code 410 Gone} disables the endpoint; an endpoint whose attempts have all failed for
 * {@code disableAfter} is disabled; anything else (another status, a redirect, which is never
 * followed, a timeout, a refused connection) is tried again after the schedule's next delay with
 * jitter, or after {@code Retry-After} on a 429 or 503, until the schedule is used up: then FAILED.
 */
public final class DeliveryPolicy {

  /** What an attempt came back with: an HTTP status, or none (timeout, refused) with the error. */
  public record Result(Integer status, Duration retryAfter, String error) {

    public static Result status(int status, Duration retryAfter) {
      return new Result(status, retryAfter, null);
    }

    public static Result failed(String error) {
      return new Result(null, null, error);
    }

    boolean success() {
      return status != null && status >= 200 && status < 300;
    }

    /** For the message's last_error: the status line's meaning, or the error; never a body. */
    public String describe() {
      return status == null ? error : "HTTP " + status;
    }
  }

  /** The decision. */
  public sealed interface Verdict permits Delivered, Retry, Exhausted, Disable {
  }

  public record Delivered() implements Verdict {
  }

  public record Retry(Instant at, String reason) implements Verdict {
  }

  public record Exhausted(String reason) implements Verdict {
  }

  public record Disable(String reason) implements Verdict {
  }

  private final List<Duration> schedule;
  private final double jitter;
  private final Duration disableAfter;
  private final Duration retryAfterMax;
  private final DoubleSupplier random;

  /**
   * @param schedule      the delay before each attempt (index 0: the first)
   * @param jitter        fraction each delay is spread by, either way
   * @param disableAfter  failing this long disables the endpoint; zero = never
   * @param retryAfterMax the longest Retry-After honoured
   * @param random        uniform in [0, 1)
   */
  public DeliveryPolicy(List<Duration> schedule, double jitter, Duration disableAfter, Duration retryAfterMax, DoubleSupplier random) {
    this.schedule = List.copyOf(schedule);
    this.jitter = jitter;
    this.disableAfter = disableAfter;
    this.retryAfterMax = retryAfterMax;
    this.random = random;
  }

  /**
   * @param attempt      the number of the attempt just made, 1 for the first
   * @param failingSince when the endpoint's current run of failures began (null: its last attempt succeeded)
   */
  public Verdict decide(int attempt, Result result, Instant now, Instant failingSince) {
    if (result.success()) {
      return new Delivered();
    }
    if (result.status() != null && result.status() == 410) {
      return new Disable("the endpoint answered 410 Gone");
    }
    Instant since = failingSince == null ? now : failingSince;
    if (!disableAfter.isZero() && !now.isBefore(since.plus(disableAfter))) {
      return new Disable("every attempt failed for " + disableAfter.toHours() + " h (last: " + result.describe() + ")");
    }
    if (attempt >= schedule.size()) {
      return new Exhausted("failed " + attempt + " attempts (last: " + result.describe() + ")");
    }
    Duration delay = spread(schedule.get(attempt));
    Integer status = result.status();
    if (status != null && (status == 429 || status == 503) && result.retryAfter() != null) {
      Duration asked = result.retryAfter().compareTo(retryAfterMax) > 0 ? retryAfterMax : result.retryAfter();
      delay = asked.isNegative() ? Duration.ZERO : asked;
    }
    return new Retry(now.plus(delay), result.describe());
  }

  private Duration spread(Duration d) {
    if (d.isZero() || jitter == 0) {
      return d;
    }
    double factor = 1 + jitter * (2 * random.getAsDouble() - 1);
    return Duration.ofMillis(Math.max(0, Math.round(d.toMillis() * factor)));
  }

  /** The delay before the first attempt. */
  public Duration first() {
    return schedule.get(0);
  }
}
