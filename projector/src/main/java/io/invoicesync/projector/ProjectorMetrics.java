package io.invoicesync.projector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** The projector's meters (names are the operators' interface: docs/operator.md). */
final class ProjectorMetrics {

  final Counter applied;
  final Counter skippedOlder;
  final Counter deadLettered;
  final Counter retried;
  final Counter parkedRecords;
  final Counter retryExpired;
  final Timer batchTimer;
  final Timer commitToVisible;
  final AtomicLong watermarkLagMs = new AtomicLong();

  ProjectorMetrics(MeterRegistry registry) {
    applied = Counter.builder("invoicesync.projector.applied").description("invoice states applied to the query store").register(registry);
    skippedOlder = Counter.builder("invoicesync.projector.skipped.older")
        .description("states not applied because the store already held the same or a newer source position").register(registry);
    deadLettered = Counter.builder("invoicesync.projector.dead.lettered").description("records sent to the DLT").register(registry);
    retried = Counter.builder("invoicesync.projector.retried").description("failed attempts of record-specific transient failures").register(registry);
    retryExpired = Counter.builder("invoicesync.projector.retry.expired").description("retry records that expired (retention) before they "
        + "were settled; their states are projected again from the synced topic").register(registry);
    parkedRecords = Counter.builder("invoicesync.projector.parked").description("records parked behind a retrying record of the same invoice").register(registry);
    batchTimer = Timer.builder("invoicesync.projector.batch").description("time to write one batch").register(registry);
    commitToVisible = Timer.builder("invoicesync.commit.to.visible")
        .description("time from the source transaction's commit to the state being visible in the query store")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry);
    Gauge.builder("invoicesync.projector.watermark.lag", watermarkLagMs, a -> a.get() / 1000.0)
        .baseUnit("seconds").description("commit-to-visible time of the newest state of the last batch; 0 when nothing is pending")
        .register(registry);
  }
}
