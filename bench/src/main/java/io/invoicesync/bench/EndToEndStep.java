package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.count;
import static io.invoicesync.bench.BenchRun.log;
import static io.invoicesync.bench.BenchRun.perInvoice;
import static io.invoicesync.bench.BenchRun.round;
import static io.invoicesync.bench.BenchRun.sql;

import io.invoicesync.cli.Pipeline;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.projector.QueryStoreSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * Step 2, end to end (ingest → sync-streams → projector → query store), on one pipeline:
 * a cold backlog drained from the start of every stage; latency at fixed offered loads; the
 * highest offered load whose lag stays bounded (a ladder of {@link LoadWindow}s); and a warm
 * backlog, the like-for-like counterpart of the warm capture ceiling.
 */
final class EndToEndStep {

  /**
   * @param backlogInvoicesPerS       the cold backlog over the whole drain, start of every stage included
   * @param backlogSteadyInvoicesPerS the cold backlog from the first visible invoice on
   * @param backlogCpuSecondsByStage  CPU seconds by stage while draining it
   * @param latency                   one window per fixed offered load
   * @param loadSearch                the ladder as climbed; the last one is the first unbounded, if any
   * @param searchWindowSeconds       length of each ladder window
   * @param warm                      the warm backlog
   */
  record Result(double backlogInvoicesPerS, double backlogSteadyInvoicesPerS, Map<String, Double> backlogCpuSecondsByStage,
                List<LoadWindow> latency, List<LoadWindow> loadSearch, int searchWindowSeconds, WarmBacklog warm) {

    /** The highest bounded window of the ladder, if any load was bounded. */
    LoadWindow sustained() {
      LoadWindow best = null;
      for (LoadWindow w : loadSearch) {
        if (w.bounded()) {
          best = w;
        }
      }
      return best;
    }

    double sustainedInvoicesPerS() {
      LoadWindow s = sustained();
      return s == null ? 0 : round(s.achieved());
    }

    Map<String, Double> sustainedCpuMsPerInvoiceByStage() {
      LoadWindow s = sustained();
      return s == null ? Map.of() : perInvoice(s.cpuSeconds(), s.achieved() * searchWindowSeconds);
    }
  }

  /**
   * @param invoicesPerS            from the first visible invoice on
   * @param inclIngestRestartPerS   from ingest's restart on
   * @param cpuMsPerInvoiceByStage  CPU milliseconds per invoice while draining
   */
  record WarmBacklog(double invoicesPerS, double inclIngestRestartPerS, Map<String, Double> cpuMsPerInvoiceByStage) {
  }

  private EndToEndStep() {
  }

  static Result run(BenchRun run) throws Exception {
    int n = run.backlog();
    // pg_stat_statements: which statements the server spends its time on, for the bottleneck analysis
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(run.work().resolve("pg-e2e"), "logical", List.of("issuing", "querystore"), 0,
             Map.of("shared_preload_libraries", "pg_stat_statements", "pg_stat_statements.track", "all"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-e2e"))) {
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
      sql(pg, "postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      BenchRun.prepareCapture(pg);
      run.issue(pg, n, "bench-");
      long expected = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, run.work().resolve("streams"));
      cfg.put("ingest.snapshot.mode", "no_data");
      try (Pipeline pipeline = new Pipeline(cfg, EnumSet.of(Pipeline.Component.INGEST, Pipeline.Component.STREAMS, Pipeline.Component.PROJECTOR))) {
        CpuBreakdown cpu = CpuBreakdown.start(run.work().resolve("pg-e2e"));
        long t0 = System.nanoTime();
        pipeline.start();
        // done when every issued invoice is decided: visible, or rejected (the ~5% invalid ones)
        long[] firstVisible = awaitDecided(pg, pipeline, 0, expected, Duration.ofMinutes(15), 100);
        long tEnd = System.nanoTime();
        double seconds = (tEnd - t0) / 1e9;
        double steadySeconds = (tEnd - firstVisible[0]) / 1e9;
        double steady = (expected - firstVisible[1]) / steadySeconds;
        log("   %d invoices visible or rejected in %.1f s (incl. start of every stage); %.0f/s from the first visible one on", expected, seconds, steady);
        Map<String, Double> spent = cpu.stop();
        log("   CPU seconds while draining (%.1f s wall, %d cores = %.1f CPU s available): %s", seconds, Runtime.getRuntime().availableProcessors(),
            seconds * Runtime.getRuntime().availableProcessors(), spent);

        List<LoadWindow> latency = new ArrayList<>();
        for (int load : run.quick() ? new int[] {200, 1000} : new int[] {200, 1000, 5000}) {
          LoadWindow w = LoadWindow.measure(run, pg, "lat" + load, load, run.quick() ? 20 : 45);
          latency.add(w);
          log("   offered %d/s: %s", load, w);
        }
        int searchSeconds = run.quick() ? 12 : 30;
        List<LoadWindow> search = loadSearch(run, pg, searchSeconds);
        WarmBacklog warm = warmBacklog(run, pg, pipeline, n);
        return new Result(round(expected / seconds), round(steady), spent, latency, search, searchSeconds, warm);
      }
    }
  }

  /**
   * Waits until {@code expected} invoices beyond {@code before} are decided (visible or rejected),
   * polling every {@code pollMs}; returns {nanoTime of the first decided one, decided count then}.
   */
  private static long[] awaitDecided(EmbeddedPostgresServer pg, Pipeline pipeline, long before, long expected, Duration limit, long pollMs)
      throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    long[] first = {0, 0};
    long decided;
    while ((decided = decided(pg, pipeline) - before) < expected * 0.999) {
      if (first[0] == 0 && decided > 0) {
        first[0] = System.nanoTime();
        first[1] = decided;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(expected + " invoices did not drain in " + limit.toMinutes() + " minutes: " + decided + " decided");
      }
      Thread.sleep(pollMs); // measurement poll of an external condition
    }
    if (first[0] == 0) {
      first[0] = System.nanoTime();
    }
    return first;
  }

  private static long decided(EmbeddedPostgresServer pg, Pipeline pipeline) throws Exception {
    var rejected = pipeline.metrics().find("invoicesync.streams.rejected").counter();
    return count(pg, "querystore", "SELECT count(*) FROM invoice") + (rejected == null ? 0 : (long) rejected.count());
  }

  /**
   * Climbs a ladder of offered loads until one is not bounded ({@link LoadWindow#bounded}); a load
   * that fails gets a second window first (a checkpoint or a compaction can fail one).
   */
  private static List<LoadWindow> loadSearch(BenchRun run, EmbeddedPostgresServer pg, int windowSeconds) throws Exception {
    int[] ladder = run.quick() ? new int[] {1600, 2000, 2400, 2800, 3200, 4000, 5000}
        : new int[] {1200, 1400, 1600, 1800, 2000, 2200, 2400, 2600, 2800, 3000, 3500, 4000, 5000};
    List<LoadWindow> steps = new ArrayList<>();
    for (int load : ladder) {
      LoadWindow w = LoadWindow.measure(run, pg, "sus" + load, load, windowSeconds);
      if (!w.bounded()) {
        log("   search: offered %d/s: %s -> not bounded, trying it once more", load, w);
        w = LoadWindow.measure(run, pg, "sus" + load + "b", load, windowSeconds);
      }
      log("   search: offered %d/s: %s -> %s; CPU ms per invoice %s", load, w, w.bounded() ? "bounded" : "NOT bounded",
          perInvoice(w.cpuSeconds(), w.achieved() * windowSeconds));
      w.topStatements().forEach(t -> log("      %s", t));
      steps.add(w);
      if (!w.bounded()) {
        break;
      }
    }
    return steps;
  }

  /**
   * With every stage warm, ingest is stopped, {@code n} invoices are issued into the WAL, ingest is
   * started again, and the drain is timed until every one of them is visible or rejected. No
   * generator runs during the drain.
   */
  private static WarmBacklog warmBacklog(BenchRun run, EmbeddedPostgresServer pg, Pipeline pipeline, int n) throws Exception {
    pipeline.stopIngest();
    long before = decided(pg, pipeline);
    long issuedBefore = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
    run.issue(pg, n, "warm-");
    long expected = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice") - issuedBefore;
    // the generator's backends must be gone first, or the server's reaped-children time would book their inserts to the drain
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (count(pg, "issuing", "SELECT count(*) FROM pg_stat_activity WHERE datname = 'issuing' AND backend_type = 'client backend' "
        + "AND pid <> pg_backend_pid()") > 0 && System.nanoTime() < until) {
      Thread.sleep(20); // measurement poll of an external condition
    }
    CpuBreakdown cpu = CpuBreakdown.start(run.work().resolve("pg-e2e"));
    long t0 = System.nanoTime();
    pipeline.startIngest();
    long[] first = awaitDecided(pg, pipeline, before, expected, Duration.ofMinutes(10), 50);
    long tEnd = System.nanoTime();
    Map<String, Double> byStage = perInvoice(cpu.stop(), expected);
    double withRestart = expected / ((tEnd - t0) / 1e9);
    double fromFirst = expected / ((tEnd - first[0]) / 1e9);
    log("   warm backlog: %d invoices drained at %.0f/s from the first visible one (%.0f/s counting the ingest restart); CPU ms per invoice %s",
        expected, fromFirst, withRestart, byStage);
    return new WarmBacklog(round(fromFirst), round(withRestart), byStage);
  }
}
