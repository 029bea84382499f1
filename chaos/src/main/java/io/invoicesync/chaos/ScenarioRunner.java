package io.invoicesync.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Runs scenarios one after another on one {@link Stack}: the pipeline in the scenario's layout of
 * child processes, the load running, the fault injected round after round (the process and
 * infrastructure faults here, the data faults in {@link DataFaults}, the retry-path faults in
 * {@link ParkedRetryFaults}), each fault's recovery timed until the pipeline's lag is back under
 * 1 s, and the judge's verdict once the load stops. Processes that died of a fault are restarted
 * (an orchestrator would), and counted.
 */
final class ScenarioRunner implements AutoCloseable {

  /**
   * One scenario's outcome; the fields of chaos/results/latest.json.
   *
   * @param issuedDuringFaults invoices issued between each fault's injection and its recovery, summed over the rounds
   * @param faultEffects       per round: whether the fault was seen to take effect (the slot gone, the server refusing
   *                           connections, the broker down, the process dead), null where the scenario has no such check
   * @param loadDied           the load generator was not running any more when the scenario ended
   * @param recoveryWaitedFor  per round: the invoice its recovery waited for longest, with where its time went (created,
   *                           then committed, captured, decided, recorded, projected), empty when none was ever behind
   */
  record Result(Scenario scenario, int rounds, long issued, Judge.Verdict verdict, List<Double> recoverySeconds, int restartsAfterExit,
                double seconds, String note, long issuedDuringFaults, List<Boolean> faultEffects, boolean loadDied,
                List<String> recoveryWaitedFor) {

    Result(Scenario scenario, int rounds, long issued, Judge.Verdict verdict, List<Double> recoverySeconds, int restartsAfterExit,
        double seconds, String note, long issuedDuringFaults, List<Boolean> faultEffects, boolean loadDied) {
      this(scenario, rounds, issued, verdict, recoverySeconds, restartsAfterExit, seconds, note, issuedDuringFaults, faultEffects, loadDied,
          List.of());
    }

    Boolean passed() {
      return scenario.implemented() ? failures().isEmpty() : null;
    }

    /** Why the scenario fails, each reason a sentence; empty when it passes. A scenario cannot pass by accident: no load, no fault, no verdict. */
    List<String> failures() {
      List<String> why = new ArrayList<>();
      if (!scenario.implemented()) {
        return why;
      }
      if (verdict == null) {
        why.add("no verdict: the judge did not run");
      } else if (!verdict.clean()) {
        why.add("the judge found invoices lost, duplicated, out of order, stale, spuriously rejected or invalid ones not rejected");
      }
      if (recoverySeconds.stream().anyMatch(r -> r < 0)) {
        why.add("a round did not recover within 5 minutes");
      }
      if (restartsAfterExit > 0) {
        why.add(restartsAfterExit + " process(es) exited on a fault they should have ridden out");
      }
      if (rounds > 0 && issuedDuringFaults == 0) {
        why.add("no invoice was issued during the faults: nothing was at stake");
      }
      if (loadDied) {
        why.add("the load generator died");
      }
      long without = faultEffects.stream().filter(Boolean.FALSE::equals).count();
      if (without > 0) {
        why.add(without + " of " + faultEffects.size() + " faults did not take effect");
      }
      return why;
    }

    Double maxRecovery() {
      return recoverySeconds.isEmpty() ? null : recoverySeconds.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
  }

  private final Stack stack;
  private final Judge judge;
  private final Path config;
  private final Path clusterConfig;
  private final Path logs;
  private final double rate;
  private final boolean quick;
  private final Integer roundsOverride;
  private final Consumer<String> out;
  private final Random random = new Random(15);
  private final DataFaults dataFaults;
  private final ParkedRetryFaults parkedRetryFaults;
  private final Map<String, PipelineProcess> processes = new LinkedHashMap<>();
  private Scenario.Layout layout;
  /** The ERP's endpoint of the webhook layout; null in the others. */
  private WebhookSink sink;

  ScenarioRunner(Stack stack, double rate, boolean quick, Integer roundsOverride, Consumer<String> out) throws IOException {
    this.stack = stack;
    this.judge = new Judge(stack);
    this.rate = rate;
    this.quick = quick;
    this.roundsOverride = roundsOverride;
    this.out = out;
    this.logs = stack.dir.resolve("logs");
    this.config = stack.dir.resolve("run.properties");
    this.clusterConfig = stack.dir.resolve("run-rf3.properties");
    this.dataFaults = new DataFaults(stack, quick, random, out);
    this.parkedRetryFaults = new ParkedRetryFaults(stack, quick, out);
    write(config, stack.runConfig());
  }

  private static void write(Path file, Map<String, String> cfg) throws IOException {
    StringBuilder props = new StringBuilder();
    cfg.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
    Files.writeString(file, props.toString());
  }

  private boolean classesArchived;

  Result run(Scenario s) throws Exception {
    long t0 = System.nanoTime();
    if (!s.implemented()) {
      return new Result(s, 0, 0, null, List.of(), 0, 0, s.notRun != null ? s.notRun : "not built yet", 0, List.of(), false);
    }
    int rounds = roundsOverride != null ? roundsOverride : quick ? s.quickRounds : s.fullRounds;
    if (!classesArchived) {
      out.accept("writing the pipeline's class archive (AppCDS, as bin/invoice-sync does)");
      PipelineProcess.archiveClasses(config, logs, stack.dir.resolve("pipeline.jsa"), Duration.ofMinutes(3));
      classesArchived = true;
    }
    useLayout(s.layout);
    Load load = new Load(stack.issuingUrl(), prefix(s), rate, stack.schemas());
    load.start();
    List<Double> recoveries = new ArrayList<>();
    List<Boolean> effects = new ArrayList<>();
    List<String> waitedFor = new ArrayList<>();
    long issuedDuringFaults = 0;
    boolean loadDied = false;
    int restarts = 0;
    try {
      Thread.sleep(quick ? 2_000 : 5_000); // warm up under load before the first fault
      Instant since = Instant.now().minusSeconds(5); // the backlog the lag is measured on: from the last recovery on
      since = awaitSteadyState(s, since);
      for (int round = 1; round <= rounds; round++) {
        Thread.sleep(quick ? 1_000 + random.nextInt(2_000) : 2_000 + random.nextInt(4_000)); // the fault lands at a random moment of the load
        out.accept(s.id + ": round " + round + "/" + rounds);
        long issuedBefore = load.issued();
        Boolean effect = fault(s, load);
        effects.add(effect);
        if (Boolean.FALSE.equals(effect)) {
          out.accept(s.id + ": round " + round + ": the fault did NOT take effect");
        }
        restarts += restartDead();
        long end = System.nanoTime();
        Instant ended = Instant.now();
        double recovery = -1;
        while (System.nanoTime() - end < Duration.ofMinutes(5).toNanos()) {
          // a webhook scenario has recovered when the ERP's endpoint has every visible invoice again
          if (s.webhooks() ? sink.lagSeconds(stack.storeDataSource(), prefix(s), since) < 1.0 : judge.lagSeconds(since, ended) < 1.0) {
            recovery = (System.nanoTime() - end) / 1e9;
            since = Instant.now().minusSeconds(1);
            break;
          }
          Thread.sleep(100); // the resolution of the recovery time
        }
        recoveries.add(recovery);
        issuedDuringFaults += load.issued() - issuedBefore;
        out.accept(s.id + ": round " + round + " recovered in " + (recovery < 0 ? "(not within 5 min)" : String.format("%.1f s", recovery)));
        String waited = judge.takeWaitedFor();
        waitedFor.add(waited == null ? "" : judge.timeline(waited));
        if (waited != null) {
          out.accept(s.id + ": round " + round + " waited longest for " + waitedFor.get(waitedFor.size() - 1));
        }
      }
      loadDied = !load.alive();
    } finally {
      load.stopNow(); // also when a fault could not be injected: no generator may outlive its scenario
    }
    restarts += restartDead();
    Judge.Verdict verdict = judge.judge(load.ledger(), Duration.ofMinutes(3), out);
    List<String> ownChecks = parkedRetryFaults.takeViolations();
    if (!ownChecks.isEmpty()) {
      verdict = verdict.withOutOfOrder(ownChecks);
    }
    if (s.webhooks()) {
      verdict = judgeWebhooks(s, verdict);
    }
    return new Result(s, rounds, load.issued(), verdict, recoveries, restarts, (System.nanoTime() - t0) / 1e9,
        restarts == 0 ? "" : restarts + " process(es) exited on the fault and were restarted", issuedDuringFaults, effects, loadDied,
        waitedFor);
  }

  private static String prefix(Scenario s) {
    return "chaos-" + s.id + "-";
  }

  /**
   * What the ERP's endpoint got against the store, once it has caught up (at most 3 minutes): every invoice
   * of the scenario at its stored version, versions in order, one message id per version; what is missing
   * counts as lost, the rest as out of order.
   */
  private Judge.Verdict judgeWebhooks(Scenario s, Judge.Verdict verdict) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (sink.lagSeconds(stack.storeDataSource(), prefix(s), Instant.EPOCH) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(500); // the endpoint catching up on retries
    }
    List<String> problems = sink.judge(stack.storeDataSource(), prefix(s));
    out.accept(s.id + ": the ERP's endpoint got " + sink.requests() + " requests; " + (problems.isEmpty() ? "every visible invoice at its "
        + "version, in order" : problems.size() + " problem(s), e.g. " + problems.get(0)));
    List<String> lost = problems.stream().filter(p -> p.startsWith("the ERP never got")).toList();
    List<String> other = problems.stream().filter(p -> !p.startsWith("the ERP never got")).toList();
    Judge.Verdict v = lost.isEmpty() ? verdict : verdict.withLost(lost);
    return other.isEmpty() ? v : v.withOutOfOrder(other);
  }

  /**
   * Waits (at most a minute) until the freshly started processes are warm: the lag under 1 s at
   * three checks in a row, a second apart. A fault injected while they still compile their hot paths
   * would time their warm-up as the fault's recovery. Returns where the next lag is measured from.
   */
  private Instant awaitSteadyState(Scenario s, Instant since) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    int steady = 0;
    while (steady < 3 && System.nanoTime() < deadline) {
      steady = judge.lagSeconds(since, null) < 1.0 ? steady + 1 : 0;
      Thread.sleep(1_000); // the spacing of the steady-state checks
    }
    judge.takeWaitedFor();
    if (steady < 3) {
      out.accept(s.id + ": the pipeline's lag did not settle under 1 s within a minute of start; injecting the fault anyway");
    }
    return Instant.now().minusSeconds(1);
  }

  /** Injects one round of the fault; returns whether it was seen to take effect (null: no check for this fault). */
  private Boolean fault(Scenario s, Load load) throws Exception {
    Duration outage = Duration.ofSeconds(quick ? 10 : 60);
    switch (s) {
      case KILL_PIPELINE -> {
        return processes.get("pipeline").restart(Duration.ofMinutes(3));
      }
      case KILL_INGEST -> {
        return processes.get("ingest").restart(Duration.ofMinutes(3));
      }
      case KILL_STREAMS -> {
        return processes.get("streams").restart(Duration.ofMinutes(3));
      }
      case KILL_PROJECTOR -> {
        return processes.get("projector").restart(Duration.ofMinutes(3));
      }
      case BROKER_BOUNCE -> {
        stack.stopKafka();
        boolean down = !FaultEvidence.brokerAnswers(stack.bootstrap());
        Thread.sleep(quick ? 10_000 : 30_000); // the broker's downtime
        stack.startKafka();
        return down;
      }
      case BROKER_LOSS_RF3 -> {
        stack.cluster().stopNode(1);
        boolean down = FaultEvidence.brokers(stack.cluster().bootstrapServers()) == stack.cluster().size() - 1;
        out.accept("broker 2 of 3 stopped");
        Thread.sleep(outage.toMillis()); // the load goes on with two brokers: min.insync.replicas=2 is still met
        stack.cluster().startNode(1);
        stack.cluster().awaitBrokers(3);
        return down;
      }
      case STORE_OUTAGE -> {
        stack.stopStore();
        boolean down = !FaultEvidence.connects(stack.storeDataSource());
        Thread.sleep(outage.toMillis());
        stack.startStore();
        return down;
      }
      case ISSUING_DB_OUTAGE -> {
        load.stopNow();
        stack.stopIssuing();
        boolean down = !FaultEvidence.connects(stack.issuingDataSource());
        Thread.sleep(outage.toMillis());
        stack.startIssuing();
        load.resume();
        return down;
      }
      case TOAST_WIDE_ROWS -> {
        return dataFaults.wideRows(load); // Debezium really sent its placeholder for an unchanged TOASTed value
      }
      case POISON_NULL -> {
        return dataFaults.poisonNull(load); // invoices without the issue date really committed
      }
      case POISON_HUGE_INVOICE -> {
        return dataFaults.hugeInvoice(load); // every one of its lines committed in one transaction
      }
      case SOURCE_RESTORED -> {
        return dataFaults.sourceMoved(load, processes.get("ingest")); // another cluster, its WAL position lower
      }
      case POISON_COLUMN_RENAMED -> {
        return dataFaults.columnRenamed(load); // invoices committed under the renamed column
      }
      case PROJECTOR_RESTART_PARKED -> {
        return parkedRetryFaults.restartWhileParked(load, processes.get("projector")); // the held invoices really waited on the retry topic
      }
      case RETRY_RETENTION -> {
        return parkedRetryFaults.expireWhileParked(load); // likewise, before their retry records expired
      }
      case SLOT_DROPPED -> {
        PipelineProcess ingest = processes.get("ingest");
        ingest.stop();
        Thread.sleep(quick ? 5_000 : 10_000); // invoices keep being issued while ingest is down
        boolean gone;
        try (Connection c = stack.issuingDataSource().getConnection(); Statement st = c.createStatement()) {
          String slots = "ARRAY['" + String.join("','", stack.slots()) + "']"; // every source's slot
          st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ANY (" + slots + ")");
          try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ANY (" + slots + ")")) {
            rs.next();
            gone = rs.getLong(1) == 0;
          }
        }
        ingest.start(Duration.ofMinutes(3));
        return gone;
      }
      case WEBHOOK_RECEIVER_DOWN -> {
        sink.stop();
        boolean down = !sink.listening();
        Thread.sleep(outage.toMillis()); // the ERP is away; deliveries fail and are retried
        sink.start();
        return down;
      }
      case KILL_WEBHOOKS -> {
        return processes.get("webhooks").restart(Duration.ofMinutes(3));
      }
      case STORE_READ_ONLY -> {
        storeReadOnly(true);
        boolean refuses = FaultEvidence.refusesWrites(stack.storeDataSource());
        Thread.sleep(outage.toMillis());
        storeReadOnly(false);
        return refuses;
      }
      default -> throw new IllegalStateException("no fault for " + s.id);
    }
  }

  /**
   * The query store refuses writes, as during a failover or on a standby: every new session is
   * read-only, and the sessions open now are ended so that the pools reconnect into it.
   */
  private void storeReadOnly(boolean readOnly) throws SQLException {
    try (Connection c = stack.storeDataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("SET default_transaction_read_only = off"); // this session writes, whatever the database's default now is
      st.execute("ALTER DATABASE querystore SET default_transaction_read_only = " + readOnly);
      st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'querystore' AND pid <> pg_backend_pid()");
    }
  }

  /** Restarts every process that is not running any more, as an orchestrator would; how many. */
  private int restartDead() throws Exception {
    int n = 0;
    for (PipelineProcess p : processes.values()) {
      if (!p.alive()) {
        out.accept(p.name + " exited (see " + p.log() + "): restarting it");
        p.start(Duration.ofMinutes(3));
        n++;
      }
    }
    return n;
  }

  private void useLayout(Scenario.Layout wanted) throws Exception {
    if (wanted == layout) {
      restartDead();
      return;
    }
    boolean wasCluster = layout == Scenario.Layout.SPLIT_RF3;
    stopAll();
    if (wasCluster) {
      stack.useSingleBroker();
      try (Connection c = stack.issuingDataSource().getConnection(); Statement st = c.createStatement()) {
        st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + Stack.CLUSTER_SLOT + "'");
      }
    }
    Path cfg = config;
    if (wanted == Scenario.Layout.SPLIT_RF3) {
      stack.useCluster();
      write(clusterConfig, stack.clusterRunConfig());
      cfg = clusterConfig;
    }
    if (wanted == Scenario.Layout.ONE_PROCESS) {
      processes.put("pipeline", new PipelineProcess("pipeline", "ingest,streams,projector,api", cfg, logs));
    } else {
      processes.put("ingest", new PipelineProcess("ingest", "ingest", cfg, logs));
      processes.put("streams", new PipelineProcess("streams", "streams", cfg, logs));
      processes.put("projector", new PipelineProcess("projector", "projector,api", cfg, logs));
    }
    if (wanted == Scenario.Layout.SPLIT_WEBHOOKS) {
      sink = WebhookSink.register(stack.storeDataSource()); // before the load: every invoice of the scenario is owed to it
      processes.put("webhooks", new PipelineProcess("webhooks", "webhooks", cfg, logs));
    }
    for (PipelineProcess p : processes.values()) {
      p.start(Duration.ofMinutes(3));
    }
    layout = wanted;
  }

  private void stopAll() throws InterruptedException {
    for (PipelineProcess p : processes.values()) {
      p.stop();
    }
    processes.clear();
    layout = null;
    if (sink != null) {
      sink.close();
      try {
        new io.invoicesync.webhooks.Endpoints(stack.storeDataSource()).delete(io.invoicesync.outcomes.Tenant.ALL, sink.endpointId());
      } catch (SQLException e) {
        out.accept("the chaos ERP's endpoint was not removed: " + e.getMessage());
      }
      sink = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopAll();
  }
}
