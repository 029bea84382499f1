package io.invoicesync.webhooks.internal;

import io.invoicesync.webhooks.Messages;
import io.invoicesync.webhooks.Signatures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Sends due messages: leases them from the store ({@link Messages#claim}), posts each signed
 * (Standard Webhooks headers, a fresh {@code webhook-timestamp} per attempt, redirects never
 * followed, a timeout per attempt), and records the attempt with what {@link DeliveryPolicy}
 * decides. Attempts run asynchronously, at most {@code maxInFlight} at once and
 * {@code perEndpoint} per endpoint, so a slow or dead endpoint holds only its own slots and never
 * the pipeline, which only writes topics this never touches. Woken when messages are enqueued,
 * otherwise it looks every {@code pollInterval}.
 */
public final class Dispatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  /** What to do when the policy disables an endpoint (mark it, tell others). */
  public interface OnDisable {
    void disable(String endpointId, String reason) throws SQLException;
  }

  private final Messages messages;
  private final DeliveryPolicy policy;
  private final OnDisable onDisable;
  private final MeterRegistry registry;
  private final Duration attemptTimeout;
  private final int maxInFlight;
  private final int perEndpoint;
  private final Duration lease;
  private final Duration pollInterval;
  private final HttpClient http;
  private final ExecutorService executor;
  private final java.util.concurrent.ScheduledExecutorService directRetries = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "invoice-sync-webhooks-direct");
    t.setDaemon(true);
    return t;
  });
  private final Semaphore wake = new Semaphore(0);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong storeDownSince = new AtomicLong();
  private volatile boolean running;
  private volatile Thread thread;
  private volatile Throwable failure;

  private final String owner;
  private final Timer claimTimer;
  private final Timer settleTimer;

  /**
   * @param owner the instance's stable name ({@code webhooks.instance.id}), or null: it owns the messages it leases, and
   *              releases them when it starts again under that name
   */
  public Dispatcher(Messages messages, DeliveryPolicy policy, OnDisable onDisable, MeterRegistry registry, Duration attemptTimeout,
                    Duration connectTimeout, int maxInFlight, int perEndpoint, Duration pollInterval, String owner) {
    this.owner = owner;
    this.messages = messages;
    this.policy = policy;
    this.onDisable = onDisable;
    this.registry = registry;
    this.attemptTimeout = attemptTimeout;
    this.maxInFlight = maxInFlight;
    this.perEndpoint = perEndpoint;
    this.lease = attemptTimeout.plusSeconds(10); // an attempt's outcome is recorded before another instance may take it over
    this.pollInterval = pollInterval;
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "invoice-sync-webhooks-http");
      t.setDaemon(true);
      return t;
    });
    this.claimTimer = Timer.builder("invoicesync.webhooks.dispatch.claim").description("the dispatcher's lease of due messages, per turn")
        .register(registry);
    this.settleTimer = Timer.builder("invoicesync.webhooks.dispatch.settle")
        .description("the dispatcher's record of the attempts completed since its last turn, per turn").register(registry);
    this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(connectTimeout).executor(executor).build();
  }

  public synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("dispatcher already started");
    }
    running = true;
    Thread t = new Thread(this::run, "invoice-sync-webhooks-dispatch");
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  /** New messages are due: look now instead of at the next interval. */
  public void wake() {
    wake.release();
  }

  private void run() {
    MDC.put("component", "webhooks");
    long backoffMs = 500;
    boolean released = false;
    try {
      while (running) {
        try {
          settleCompleted();
        } catch (SQLException e) {
          // kept for the next turn; the claim below says whether the store is reachable at all, and backs off if not
          log.warn("webhook dispatcher could not record {} attempt(s) this turn: {}", completed.size(), e.toString());
        }
        int free = maxInFlight - inFlight.get();
        List<Messages.Claimed> claimed = List.of();
        if (free > 0) {
          try {
            if (!released && owner != null) {
              int n = messages.releaseLeases(owner);
              released = true;
              if (n > 0) {
                log.info("{} message(s) leased by this instance ({}) before it stopped are due again", n, owner);
              }
            }
            long t0 = System.nanoTime();
            claimed = messages.claim(free, perEndpoint, lease, owner);
            claimTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            if (storeDownSince.getAndSet(0) != 0) {
              log.info("webhook dispatcher reaches the query store again");
            }
            backoffMs = 500;
          } catch (SQLException e) {
            if (storeDownSince.compareAndSet(0, System.currentTimeMillis())) {
              log.warn("webhook dispatcher cannot reach the query store; deliveries wait (nothing is lost): {}", e.toString());
            }
            awaitWake(Duration.ofMillis(backoffMs));
            backoffMs = Math.min(30_000, backoffMs * 2);
            continue;
          }
        }
        for (Messages.Claimed m : claimed) {
          inFlight.incrementAndGet();
          send(m);
        }
        // until something completes or is enqueued (or the interval ends), then a few ms more, so that one turn settles and
        // claims a batch: a turn per message would be three statements and a claim per delivery
        if (awaitWake(pollInterval)) {
          Thread.sleep(COALESCE_MS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      failure = e;
      log.error("webhook dispatcher stopped on an unexpected error", e);
    }
  }

  /** Whether something woke it before {@code d} ended. */
  private boolean awaitWake(Duration d) throws InterruptedException {
    if (wake.tryAcquire(d.toMillis(), TimeUnit.MILLISECONDS)) {
      wake.drainPermits();
      return true;
    }
    return false;
  }

  /** How long a turn waits after a wake-up, for more completions and messages to batch. */
  private static final long COALESCE_MS = 5;

  /** Attempts that completed, settled by the dispatcher's thread in one transaction per turn. */
  private final java.util.concurrent.ConcurrentLinkedQueue<Completed> completed = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private record Completed(Messages.Settlement settlement, DeliveryPolicy.Verdict verdict) {
  }

  /**
   * Settles what completed since the last turn, before the next claim (so a message's successor is claimed only once it is
   * recorded as delivered); then disables the endpoints a verdict said to. A batch that cannot be written stays queued.
   */
  private void settleCompleted() throws SQLException {
    List<Completed> batch = new ArrayList<>();
    Completed next;
    while (batch.size() < 1_000 && (next = completed.poll()) != null) {
      batch.add(next);
    }
    if (batch.isEmpty()) {
      return;
    }
    try {
      long t0 = System.nanoTime();
      messages.settleAll(batch.stream().map(Completed::settlement).toList());
      settleTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.isEmpty() || state.startsWith("08") || state.startsWith("53") || state.startsWith("57")) {
        completed.addAll(batch); // the store unreachable or refusing work: tried again next turn (a long outage: the leases end, sent again)
      } else {
        log.warn("{} attempt(s) could not be recorded and are dropped; their messages are sent again when their leases end", batch.size());
      }
      throw e;
    }
    for (Completed c : batch) {
      if (c.verdict() instanceof DeliveryPolicy.Disable d) {
        try {
          onDisable.disable(c.settlement().message().endpointId(), d.reason());
        } catch (SQLException e) {
          log.warn("endpoint {} should be disabled ({}) but the store did not take it: {}", c.settlement().message().endpointId(), d.reason(),
              e.toString());
        }
      }
    }
  }

  private void send(Messages.Claimed m) {
    Instant started = Instant.now();
    long startNanos = System.nanoTime();
    HttpRequest request;
    try {
      long ts = started.getEpochSecond();
      request = HttpRequest.newBuilder(URI.create(m.url())).timeout(attemptTimeout)
          .header("content-type", "application/json")
          .header("user-agent", "invoice-sync-webhooks")
          .header("webhook-id", m.id())
          .header("webhook-timestamp", Long.toString(ts))
          .header("webhook-signature", Signatures.header(m.secrets(), m.id(), ts, m.body()))
          .POST(HttpRequest.BodyPublishers.ofString(m.body(), StandardCharsets.UTF_8)).build();
    } catch (RuntimeException e) {
      finish(m, started, startNanos, DeliveryPolicy.Result.failed("the endpoint's URL cannot be requested: " + e.getMessage()));
      return;
    }
    // the request's timeout bounds the wait for the response's headers only; a body dripped forever must not hold a slot
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).orTimeout(attemptTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS)
        .whenComplete((response, error) -> {
          DeliveryPolicy.Result result = error == null
              ? DeliveryPolicy.Result.status(response.statusCode(), retryAfter(response.headers().firstValue("retry-after")))
              : DeliveryPolicy.Result.failed(describe(error));
          finish(m, started, startNanos, result);
        });
  }

  private void finish(Messages.Claimed m, Instant started, long startNanos, DeliveryPolicy.Result result) {
    long durationMs = (System.nanoTime() - startNanos) / 1_000_000;
    try {
      Instant now = Instant.now();
      DeliveryPolicy.Verdict verdict = policy.decide(m.attempt(), result, now, m.failingSince());
      Timer.builder("invoicesync.webhooks.attempt.duration").description("time to an endpoint's answer (or the timeout), per attempt")
          .tag("endpoint", m.endpointId()).register(registry).record(Duration.ofMillis(durationMs));
      Counter.builder("invoicesync.webhooks.attempts").description("delivery attempts, by endpoint and result").tag("endpoint", m.endpointId())
          .tag("result", verdict instanceof DeliveryPolicy.Delivered ? "delivered" : "failed").register(registry).increment();
      Messages.Settlement s;
      if (verdict instanceof DeliveryPolicy.Delivered) {
        s = new Messages.Settlement(m, Messages.Settled.DELIVERED, started, durationMs, result.status(), null, null);
        Timer.builder("invoicesync.webhooks.delivered.lag").description("from the decision a message reports to its delivery")
            .tag("endpoint", m.endpointId()).register(registry).record(Duration.between(m.createdAt(), now));
      } else if (verdict instanceof DeliveryPolicy.Retry r) {
        s = new Messages.Settlement(m, Messages.Settled.RETRY, started, durationMs, result.status(), result.describe(), r.at());
      } else if (verdict instanceof DeliveryPolicy.Exhausted x) {
        s = new Messages.Settlement(m, Messages.Settled.FAILED, started, durationMs, result.status(), x.reason(), null);
        log.warn("webhook message {} to endpoint {} FAILED: {}; 'webhooks resend' or 'recover' sends it again", m.id(), m.endpointId(), x.reason());
      } else {
        s = new Messages.Settlement(m, Messages.Settled.FAILED, started, durationMs, result.status(), ((DeliveryPolicy.Disable) verdict).reason(),
            null);
      }
      completed.add(new Completed(s, verdict));
    } catch (RuntimeException e) {
      // the lease runs out and the message is sent again, with the same id: at least once
      log.warn("the attempt at webhook message {} to endpoint {} was not recorded ({}); it is sent again when its lease ends", m.id(),
          m.endpointId(), e.toString());
    } finally {
      inFlight.decrementAndGet();
      wake.release();
    }
  }

  /**
   * Sends an operational message straight to an endpoint, without the store (which may be what is down):
   * retried in memory on the schedule until it is delivered, given up, or this process stops.
   */
  public void sendDirect(io.invoicesync.webhooks.Endpoint endpoint, String id, String body) {
    directAttempt(endpoint, id, body, 1);
  }

  private void directAttempt(io.invoicesync.webhooks.Endpoint endpoint, String id, String body, int attempt) {
    if (!running) {
      return;
    }
    Instant now = Instant.now();
    long ts = now.getEpochSecond();
    HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint.url())).timeout(attemptTimeout)
        .header("content-type", "application/json")
        .header("user-agent", "invoice-sync-webhooks")
        .header("webhook-id", id)
        .header("webhook-timestamp", Long.toString(ts))
        .header("webhook-signature", Signatures.header(endpoint.signingSecrets(now), id, ts, body))
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
      DeliveryPolicy.Result result = error == null
          ? DeliveryPolicy.Result.status(response.statusCode(), retryAfter(response.headers().firstValue("retry-after")))
          : DeliveryPolicy.Result.failed(describe(error));
      DeliveryPolicy.Verdict v = policy.decide(attempt, result, Instant.now(), null);
      if (v instanceof DeliveryPolicy.Delivered) {
        log.info("operational message {} delivered to endpoint {} directly (attempt {})", id, endpoint.id(), attempt);
      } else if (v instanceof DeliveryPolicy.Retry r) {
        long delay = Math.max(0, Duration.between(Instant.now(), r.at()).toMillis());
        try {
          directRetries.schedule(() -> directAttempt(endpoint, id, body, attempt + 1), delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
          log.warn("operational message {} to endpoint {} not delivered: stopping", id, endpoint.id());
        }
      } else {
        log.warn("operational message {} to endpoint {} not delivered after {} attempts: {}", id, endpoint.id(), attempt, result.describe());
      }
    });
  }

  /** Why an attempt got no response, in a few words (no body, no secret). */
  static String describe(Throwable error) {
    Throwable t = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
    if (t instanceof HttpTimeoutException || t instanceof java.util.concurrent.TimeoutException) {
      return "no response within the attempt timeout";
    }
    if (t instanceof java.net.ConnectException) {
      return "connection refused or unreachable";
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** {@code Retry-After} as seconds or an HTTP date; absent or unreadable: none. */
  static Duration retryAfter(Optional<String> header) {
    if (header.isEmpty()) {
      return null;
    }
    String v = header.get().trim();
    try {
      return Duration.ofSeconds(Long.parseLong(v));
    } catch (NumberFormatException notSeconds) {
      try {
        return Duration.between(Instant.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      } catch (RuntimeException notADate) {
        return null;
      }
    }
  }

  /** Attempts in flight on this instance. */
  public int inFlight() {
    return inFlight.get();
  }

  /** When the dispatcher last failed to reach the store (epoch ms; 0: it reaches it). */
  public long storeDownSince() {
    return storeDownSince.get();
  }

  public boolean alive() {
    Thread t = thread;
    return t != null && t.isAlive() && failure == null;
  }

  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() {
    running = false;
    wake.release();
    Thread t = thread;
    if (t != null) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      settleCompleted(); // what completed during the last turn: otherwise sent again after a clean restart
    } catch (SQLException | RuntimeException e) {
      log.warn("{} attempt(s) not recorded at stop; their messages are sent again when their leases end: {}", completed.size(), e.toString());
    }
    directRetries.shutdownNow();
    executor.shutdownNow();
  }
}
