package io.invoicesync.outcomes.reconcile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles on a schedule inside a running process: each run's report is recorded in the query
 * store ({@code reconcile_report}, served at {@code GET /api/v1/reconcile/last}) and its counts set
 * the {@code invoicesync_reconcile_*} gauges, so MISSING or STALE is an alert, not a phone call.
 */
public final class ReconcileScheduler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReconcileScheduler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Reconciler reconciler;
  private final DataSource store;
  private final Duration interval;
  private final int maxKept;
  private final int autoRepairMax;
  private final Duration autoRepairTimeout;
  private final Duration autoRepairResignal;
  private final Resyncer resyncer;
  private final AtomicLong missing = new AtomicLong(-1);
  private final AtomicLong stale = new AtomicLong(-1);
  private final AtomicLong extra = new AtomicLong(-1);
  private final AtomicLong lastRunMillis = new AtomicLong(-1);
  private final AtomicLong lastRunAt = new AtomicLong(0);
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "invoice-sync-reconcile");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param reconciler compares the issuing database with {@code store}
   * @param store      the query store, where each run's report is recorded
   * @param resyncer   repairs what a run finds MISSING or STALE; null when {@code reconcile.auto.repair.max} is 0
   */
  public ReconcileScheduler(Reconciler reconciler, DataSource store, Resyncer resyncer, ReconcileConfig config, MeterRegistry registry) {
    this.reconciler = reconciler;
    this.store = store;
    this.resyncer = resyncer;
    this.interval = Duration.ofMillis(config.intervalMs());
    this.maxKept = config.getInt(ReconcileConfig.MAX_DIFFERENCES_KEPT);
    this.autoRepairMax = config.getInt(ReconcileConfig.AUTO_REPAIR_MAX);
    this.autoRepairTimeout = Duration.ofMillis(config.getLong(ReconcileConfig.AUTO_REPAIR_TIMEOUT_MS));
    this.autoRepairResignal = Duration.ofMillis(config.getLong(ReconcileConfig.AUTO_REPAIR_RESIGNAL_MS));
    Gauge.builder("invoicesync.reconcile.missing", missing, AtomicLong::get).description("MISSING invoices in the last reconciliation (-1: none yet)")
        .register(registry);
    Gauge.builder("invoicesync.reconcile.stale", stale, AtomicLong::get).description("STALE invoices in the last reconciliation (-1: none yet)")
        .register(registry);
    Gauge.builder("invoicesync.reconcile.extra", extra, AtomicLong::get).description("EXTRA invoices in the last reconciliation (-1: none yet)")
        .register(registry);
    Gauge.builder("invoicesync.reconcile.last.run", lastRunMillis, a -> a.get() / 1000.0).baseUnit("seconds")
        .description("how long the last reconciliation took (-0.001: none yet)").register(registry);
    Gauge.builder("invoicesync.reconcile.last.run.timestamp", lastRunAt, a -> a.get() / 1000.0).baseUnit("seconds")
        .description("when the last reconciliation finished (epoch seconds; 0: none yet)").register(registry);
  }

  public ReconcileScheduler start() {
    executor.scheduleWithFixedDelay(this::runOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    log.info("reconciling every {}", interval);
    return this;
  }

  /** One reconciliation, recorded; failures are logged and retried at the next interval. */
  void runOnce() {
    try {
      Reconciler.Report report = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });
      Set<String> alarms = report.alarmIds();
      Map<String, Object> repaired = null;
      if (resyncer != null && !alarms.isEmpty()) {
        if (alarms.size() > autoRepairMax) {
          log.warn("reconcile: {} MISSING/STALE invoices, more than reconcile.auto.repair.max {}: reported, not repaired", alarms.size(),
              autoRepairMax);
        } else {
          Set<String> undecided = repair(alarms);
          repaired = new java.util.LinkedHashMap<>();
          repaired.put("reread", alarms.size());
          repaired.put("undecided", undecided.size());
          log.info("reconcile: re-read {} MISSING/STALE invoices through the source{}", alarms.size(),
              undecided.isEmpty() ? "" : "; still waiting for " + undecided.size());
          report = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });
        }
      }
      missing.set(report.counts().get(ReconcileClass.MISSING));
      stale.set(report.counts().get(ReconcileClass.STALE));
      extra.set(report.counts().get(ReconcileClass.EXTRA));
      lastRunMillis.set(Math.round(report.seconds() * 1000));
      lastRunAt.set(System.currentTimeMillis());
      record(report, repaired);
      if (report.alarming()) {
        log.warn("reconcile: {} (of {} source invoices) in {} s - see GET /api/v1/reconcile/last", report.counts(), report.sourceInvoices(),
            report.seconds());
      } else {
        log.info("reconcile: no MISSING, STALE or EXTRA among {} source invoices ({} s)", report.sourceInvoices(), report.seconds());
      }
    } catch (Exception e) {
      log.warn("reconcile could not run, trying again in {}: {}", interval, e.getMessage());
    }
  }

  /**
   * Signals a re-read of {@code ids} and waits for their decisions; those not decided {@code auto.repair.resignal.ms} after a
   * signal are signalled again, until {@code auto.repair.timeout.ms}. A decision from any round counts (re-reads are idempotent:
   * a second one of the same version is deduplicated). Returns the ids still undecided.
   */
  private Set<String> repair(Set<String> ids) throws Exception {
    long deadline = System.nanoTime() + autoRepairTimeout.toNanos();
    Instant first = resyncer.signal(ids);
    Set<String> undecided = ids;
    while (true) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      undecided = resyncer.await(undecided, first, left.compareTo(autoRepairResignal) < 0 ? left : autoRepairResignal, n -> { });
      if (undecided.isEmpty() || System.nanoTime() >= deadline) {
        return undecided;
      }
      log.info("reconcile: {} of {} re-reads not decided {} s after the signal: signalling them again", undecided.size(), ids.size(),
          autoRepairResignal.toSeconds());
      resyncer.signal(undecided);
    }
  }

  /** @param repaired what the run's automatic repair re-read through the source ({@code reread}, {@code undecided}), or null */
  private void record(Reconciler.Report report, Map<String, Object> repaired) throws SQLException, JsonProcessingException {
    List<Reconciler.Difference> kept = new ArrayList<>(report.differences());
    kept.sort(Comparator.comparing((Reconciler.Difference d) -> !d.kind().alarm()));
    Reconciler.Report capped = new Reconciler.Report(report.startedAt(), report.seconds(), report.sourceInvoices(), report.storeInvoices(),
        report.bucketsCompared(), report.bucketsDiffering(), report.invoicesCompared(), report.watermark(), report.counts(),
        kept.subList(0, Math.min(maxKept, kept.size())), report.scheme());
    Map<String, Object> body = capped.toJson();
    body.put("differencesTotal", report.differences().size());
    if (repaired != null) {
      body.put("repair", repaired); // the report above is the reconciliation after the repair
    }
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("INSERT INTO reconcile_report (started_at, seconds, ok, counts, report) "
             + "VALUES (?,?,?,?::jsonb,?::jsonb)")) {
      c.setReadOnly(false);
      ps.setObject(1, OffsetDateTime.ofInstant(report.startedAt(), ZoneOffset.UTC));
      ps.setDouble(2, report.seconds());
      ps.setBoolean(3, !report.alarming());
      ps.setString(4, JSON.writeValueAsString(body.get("counts")));
      ps.setString(5, JSON.writeValueAsString(body));
      ps.executeUpdate();
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
