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
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;

/**
 * Step 2, end to end (ingest → sync-streams → projector → query store), on one pipeline:
 * a cold backlog drained from the start of every stage; latency at fixed offered loads; the
 * highest offered load whose lag stays bounded (a ladder of {@link LoadWindow}s); and a warm
 * backlog, the like-for-like counterpart of the warm capture ceiling, over which the per-invoice
 * budgets are taken (CPU of the pipeline's own stages, Kafka records, query-store statements and rows).
 */
final class EndToEndStep {

  /**
   * @param backlogInvoicesPerS        the cold backlog over the whole drain, start of every stage included
   * @param backlogSteadyInvoicesPerS  the cold backlog from the first visible invoice on
   * @param backlogCpuSecondsByStage   CPU seconds by stage while draining it
   * @param jitWarmupSeconds           how long 200/s ran before the latency windows, until the JIT compiler settled
   * @param jitSettled                 whether it settled (false: the warm-up's limit ended it)
   * @param latency                    one window per fixed offered load
   * @param loadSearch                 the ladder as climbed; the last one is the first unbounded, if any
   * @param searchWindowSeconds        length of each ladder window
   * @param warm                       the warm backlog
   * @param backlogFirstVisibleSeconds from {@code Pipeline.start()} (topics ensured, every stage started) to the first
   *                                   invoice of the cold backlog decided (visible or rejected)
   */
  record Result(double backlogInvoicesPerS, double backlogSteadyInvoicesPerS, Map<String, Double> backlogCpuSecondsByStage,
                double jitWarmupSeconds, boolean jitSettled, List<LoadWindow> latency, List<LoadWindow> loadSearch, int searchWindowSeconds, WarmBacklog warm,
                double backlogFirstVisibleSeconds) {

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
   * @param pipelineCpuMsPerInvoice CPU milliseconds per invoice of the pipeline's own stages ({@link CpuBreakdown#pipelineSeconds})
   * @param kafka                   Kafka records written for the window's invoices, null when the offsets could not be read
   * @param store                   query-store statements and rows for them, null when pg_stat_statements could not be read
   */
  record WarmBacklog(double invoicesPerS, double inclIngestRestartPerS, Map<String, Double> cpuMsPerInvoiceByStage,
                     double pipelineCpuMsPerInvoice, KafkaWrites kafka, StoreWrites store) {
  }

  /**
   * A cold backlog drained by a pipeline started for it.
   *
   * @param invoices            invoices in the backlog
   * @param invoicesPerS        over the whole drain, the start of every stage included
   * @param steadyInvoicesPerS  from the first visible invoice on
   * @param firstVisibleSeconds from {@code Pipeline.start()} to the first invoice decided
   * @param cpuSecondsByStage   CPU seconds by stage while draining
   */
  record ColdBacklog(long invoices, double invoicesPerS, double steadyInvoicesPerS, double firstVisibleSeconds,
                     Map<String, Double> cpuSecondsByStage) {
  }

  private EndToEndStep() {
  }

  static Result run(BenchRun run) throws Exception {
    int n = run.backlog();
    Path pgDir = run.work().resolve("pg-e2e");
    try (EmbeddedPostgresServer pg = startPostgres(pgDir); EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-e2e"))) {
      long expected = prepareBacklog(run, pg, n);
      try (Pipeline pipeline = new Pipeline(config(pg, kafka, run.work().resolve("streams")),
               EnumSet.of(Pipeline.Component.INGEST, Pipeline.Component.STREAMS, Pipeline.Component.PROJECTOR));
           Decided decided = new Decided(pg, pipeline)) {
        ColdBacklog cold = drainColdBacklog(pgDir, pipeline, decided, expected);

        // the latency windows measure a steady state: 200/s until the JIT compiler has settled first (JitCompiler)
        long warmStart = System.nanoTime();
        boolean jitSettled;
        AtomicBoolean stopWarmup = new AtomicBoolean();
        List<Thread> warmup = run.generator(pg, "jit-", 200).startAtRate(200, 1, stopWarmup::get);
        try {
          jitSettled = JitCompiler.awaitSettled(Duration.ofSeconds(run.quick() ? 150 : 240));
        } finally {
          stopWarmup.set(true);
          for (Thread t : warmup) {
            t.join();
          }
        }
        double jitWarmupSeconds = BenchRun.round((System.nanoTime() - warmStart) / 1e9);
        log("   warm-up at 200/s: %.0f s, the JIT compiler %s", jitWarmupSeconds, jitSettled ? "settled" : "still busy at the limit");
        List<LoadWindow> latency = new ArrayList<>();
        for (int load : run.quick() ? new int[] {200, 1000} : new int[] {200, 1000, 5000}) {
          int seconds = run.quick() ? 20 : 45;
          LoadWindow w = LoadWindow.measure(run, pg, "lat" + load, load, seconds);
          latency.add(w);
          log("   offered %d/s: %s; the JIT compiler %.2f cores, GC %.2f, this JVM %.2f", load, w,
              w.cpuSeconds().getOrDefault("jvm JIT compiler", 0.0) / seconds, w.cpuSeconds().getOrDefault("jvm GC", 0.0) / seconds,
              w.cpuSeconds().getOrDefault(CpuBreakdown.TOTAL_JVM, 0.0) / seconds);
        }
        int searchSeconds = run.quick() ? 12 : 30;
        List<LoadWindow> search = loadSearch(run, pg, searchSeconds);
        WarmBacklog warm = warmBacklog(run, pg, pgDir, kafka, pipeline, decided, n);
        return new Result(cold.invoicesPerS(), cold.steadyInvoicesPerS(), cold.cpuSecondsByStage(), jitWarmupSeconds, jitSettled, latency, search,
            searchSeconds, warm,
            cold.firstVisibleSeconds());
      }
    }
  }

  /**
   * A cold backlog of {@code n} invoices alone (step e2e50k): the same servers, backlog and
   * pipeline as {@link #run}'s, under {@code name} in the work directory.
   */
  static ColdBacklog coldBacklog(BenchRun run, int n, String name) throws Exception {
    Path pgDir = run.work().resolve("pg-" + name);
    try (EmbeddedPostgresServer pg = startPostgres(pgDir); EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(run.work().resolve("kafka-" + name))) {
      long expected = prepareBacklog(run, pg, n);
      try (Pipeline pipeline = new Pipeline(config(pg, kafka, run.work().resolve("streams-" + name)),
               EnumSet.of(Pipeline.Component.INGEST, Pipeline.Component.STREAMS, Pipeline.Component.PROJECTOR));
           Decided decided = new Decided(pg, pipeline)) {
        return drainColdBacklog(pgDir, pipeline, decided, expected);
      }
    }
  }

  /** pg_stat_statements: which statements the server spends its time on, for the bottleneck analysis and the store budget. */
  static EmbeddedPostgresServer startPostgres(Path pgDir) {
    return startPostgres(pgDir, Map.of());
  }

  /** As {@link #startPostgres(Path)}, with more server settings. */
  static EmbeddedPostgresServer startPostgres(Path pgDir, Map<String, String> more) {
    Map<String, String> settings = new java.util.HashMap<>(Map.of("shared_preload_libraries", "pg_stat_statements", "pg_stat_statements.track",
        "all"));
    settings.putAll(more);
    return EmbeddedPostgresServer.start(pgDir, "logical", List.of("issuing", "querystore"), 0, settings);
  }

  /** Schemas, pg_stat_statements, the slot and publication, then {@code n} invoices issued into the WAL; returns the invoices to decide. */
  private static long prepareBacklog(BenchRun run, EmbeddedPostgresServer pg, int n) throws Exception {
    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
    QueryStoreSchema.migrate(pg.jdbcUrl("querystore"), "postgres", "");
    sql(pg, "postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    BenchRun.prepareCapture(pg);
    run.issue(pg, n, "bench-");
    return count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
  }

  private static Map<String, String> config(EmbeddedPostgresServer pg, EmbeddedKafkaBroker kafka, Path stateDir) {
    Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, stateDir);
    cfg.put("ingest.snapshot.mode", "no_data");
    return cfg;
  }

  /** Starts every stage over the backlog in the WAL and times the drain until every invoice is decided: visible, or rejected (the ~5% invalid ones). */
  private static ColdBacklog drainColdBacklog(Path pgDir, Pipeline pipeline, Decided decided, long expected) throws Exception {
    CpuBreakdown cpu = CpuBreakdown.start(pgDir, Set.of(decided.pid));
    long t0 = System.nanoTime();
    pipeline.start();
    long[] firstVisible = awaitDecided(decided, 0, expected, Duration.ofMinutes(15), 100);
    long tEnd = System.nanoTime();
    double seconds = (tEnd - t0) / 1e9;
    double steadySeconds = (tEnd - firstVisible[0]) / 1e9;
    double steady = (expected - firstVisible[1]) / steadySeconds;
    double firstSeconds = (firstVisible[0] - t0) / 1e9;
    log("   %d invoices visible or rejected in %.1f s (incl. start of every stage; the first after %.1f s); %.0f/s from the first visible one on",
        expected, seconds, firstSeconds, steady);
    Map<String, Double> spent = cpu.stop();
    log("   CPU seconds while draining (%.1f s wall, %d cores = %.1f CPU s available): %s", seconds, Runtime.getRuntime().availableProcessors(),
        seconds * Runtime.getRuntime().availableProcessors(), spent);
    return new ColdBacklog(expected, round(expected / seconds), round(steady), Math.round(firstSeconds * 100) / 100.0, spent);
  }

  /**
   * Waits until {@code expected} invoices beyond {@code before} are decided (visible or rejected),
   * polling every {@code pollMs}; returns {nanoTime of the first decided one, decided count then}.
   */
  private static long[] awaitDecided(Decided decided, long before, long expected, Duration limit, long pollMs) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    long[] first = {0, 0};
    long done;
    while ((done = decided.count() - before) < expected * 0.999) {
      if (first[0] == 0 && done > 0) {
        first[0] = System.nanoTime();
        first[1] = done;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(expected + " invoices did not drain in " + limit.toMinutes() + " minutes: " + done + " decided");
      }
      Thread.sleep(pollMs); // measurement poll of an external condition
    }
    if (first[0] == 0) {
      first[0] = System.nanoTime();
    }
    return first;
  }

  /**
   * Invoices decided so far: visible in the query store plus rejected by sync-streams. One
   * connection for the whole step (not one per poll, whose backend start and exit the server's
   * CPU figure would book to the pipeline); its backend's CPU goes to the bench
   * ({@link CpuBreakdown#PG_BENCH}) and its statements carry {@link StoreWrites#BENCH_TAG}.
   */
  static final class Decided implements AutoCloseable {
    private final Connection connection;
    private final Statement statement;
    private final Pipeline pipeline;
    final long pid;

    Decided(EmbeddedPostgresServer pg, Pipeline pipeline) throws SQLException {
      this.pipeline = pipeline;
      this.connection = pg.connect("querystore");
      this.statement = connection.createStatement();
      try (ResultSet rs = statement.executeQuery("/* " + StoreWrites.BENCH_TAG + " */ SELECT pg_backend_pid()")) {
        rs.next();
        this.pid = rs.getLong(1);
      }
    }

    long count() throws SQLException {
      var rejected = pipeline.metrics().find("invoicesync.streams.rejected").counter();
      try (ResultSet rs = statement.executeQuery("/* " + StoreWrites.BENCH_TAG + " */ SELECT count(*) FROM invoice")) {
        rs.next();
        return rs.getLong(1) + (rejected == null ? 0 : (long) rejected.count());
      }
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
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
   * With every stage warm and idle (the last ladder window's invoices through: the end offsets of
   * every topic stop growing), ingest is stopped, {@code n} invoices are issued into the WAL,
   * ingest is started again, and the drain is timed until every one of them is visible or
   * rejected. No generator runs during the drain. After it, once the pipeline is idle again, the
   * budgets: Kafka records appended to every topic and the query store's statements and rows,
   * per invoice of the window.
   */
  private static WarmBacklog warmBacklog(BenchRun run, EmbeddedPostgresServer pg, Path pgDir, EmbeddedKafkaBroker kafka, Pipeline pipeline,
                                         Decided decided, int n) throws Exception {
    // one admin client for the window's three readings of the end offsets (its thread is the bench's, not the pipeline's)
    try (Admin admin = KafkaWrites.admin(kafka.bootstrapServers())) {
      try {
        KafkaWrites.awaitSettled(admin, Duration.ofSeconds(60), 3);
      } catch (Exception e) {
        log("   (could not wait for the pipeline to go idle: %s)", e);
      }
      // "every stage warm": the compiles the load search queued finish first (the compiler's share is still in the CPU table)
      if (!JitCompiler.awaitSettled(Duration.ofSeconds(60))) {
        log("   (the JIT compiler was still busy after 60 s idle)");
      }
      pipeline.stopIngest();
      long before = decided.count();
      long issuedBefore = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice");
      run.issue(pg, n, "warm-");
      long expected = count(pg, "issuing", "SELECT count(*) FROM issuing.invoice") - issuedBefore;
      // the generator's backends must be gone first, or the server's reaped-children time would book their inserts to the drain
      long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (count(pg, "issuing", "SELECT count(*) FROM pg_stat_activity WHERE datname = 'issuing' AND backend_type = 'client backend' "
          + "AND pid <> pg_backend_pid()") > 0 && System.nanoTime() < until) {
        Thread.sleep(20); // measurement poll of an external condition
      }
      Map<String, Long> offsetsBefore = null;
      try {
        offsetsBefore = KafkaWrites.endOffsets(admin);
      } catch (Exception e) {
        log("   (could not read Kafka's end offsets: %s)", e);
      }
      double changesBefore = counter(pipeline, "invoicesync.ingest.changes");
      boolean statementsReset = true;
      try {
        StoreWrites.reset(pg);
      } catch (Exception e) {
        statementsReset = false;
        log("   (could not reset pg_stat_statements: %s)", e);
      }
      CpuBreakdown cpu = CpuBreakdown.start(pgDir, Set.of(decided.pid));
      long t0 = System.nanoTime();
      pipeline.startIngest();
      long[] first = awaitDecided(decided, before, expected, Duration.ofMinutes(10), 50);
      long tEnd = System.nanoTime();
      Map<String, Double> byStage = perInvoice(cpu.stop(), expected);
      double pipelineMs = Math.round(CpuBreakdown.pipelineSeconds(cpu.raw()) * 1000 / expected * 1000) / 1000.0;
      double withRestart = expected / ((tEnd - t0) / 1e9);
      double fromFirst = expected / ((tEnd - first[0]) / 1e9);
      log("   warm backlog: %d invoices drained at %.0f/s from the first visible one (%.0f/s counting the ingest restart); CPU ms per invoice %s; "
          + "the pipeline's own stages: %.3f ms per invoice", expected, fromFirst, withRestart, byStage, pipelineMs);

      KafkaWrites records = null;
      if (offsetsBefore != null) {
        try {
          Map<String, Long> after = KafkaWrites.awaitSettled(admin, Duration.ofSeconds(30), 3);
          records = new KafkaWrites(KafkaWrites.delta(offsetsBefore, after), expected,
              Math.round(counter(pipeline, "invoicesync.ingest.changes") - changesBefore));
          log("   Kafka records written per invoice: %.2f (%s)", records.perInvoice(), records.perInvoiceByTopic());
        } catch (Exception e) {
          log("   (could not read Kafka's end offsets: %s)", e);
        }
      }
      StoreWrites store = null;
      if (statementsReset) {
        try {
          store = StoreWrites.read(pg, "querystore", expected);
          log("   query store per invoice: %.3f statements, %.3f rows written, %.3f reads, %.3f transactions", store.statementsPerInvoice(),
              store.rowsWrittenPerInvoice(), store.readsPerInvoice(), store.transactionsPerInvoice());
          store.top().forEach(t -> log("      %s", t));
        } catch (Exception e) {
          log("   (could not read pg_stat_statements: %s)", e);
        }
      }
      return new WarmBacklog(round(fromFirst), round(withRestart), byStage, pipelineMs, records, store);
    }
  }

  private static double counter(Pipeline pipeline, String name) {
    var c = pipeline.metrics().find(name).counter();
    return c == null ? 0 : c.count();
  }
}
