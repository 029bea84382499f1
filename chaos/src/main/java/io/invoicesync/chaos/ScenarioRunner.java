package io.invoicesync.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Runs scenarios one after another on one {@link Stack}: the pipeline in the scenario's layout of
 * child processes, the load running, the fault injected round after round, each fault's recovery
 * timed by a canary invoice issued as it ends, and the judge's verdict once the load stops.
 * Processes that died of a fault are restarted (an orchestrator would), and counted.
 */
final class ScenarioRunner implements AutoCloseable {

  /** One scenario's outcome; the fields of chaos/results/latest.json. */
  record Result(Scenario scenario, int rounds, long issued, Judge.Verdict verdict, List<Double> recoverySeconds, int restartsAfterExit,
                double seconds, String note) {
    Boolean passed() {
      if (!scenario.implemented()) {
        return null;
      }
      return verdict != null && verdict.clean() && recoverySeconds.stream().allMatch(r -> r >= 0);
    }

    Double maxRecovery() {
      return recoverySeconds.isEmpty() ? null : recoverySeconds.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
  }

  private final Stack stack;
  private final Judge judge;
  private final Path config;
  private final Path logs;
  private final double rate;
  private final boolean quick;
  private final Integer roundsOverride;
  private final Consumer<String> out;
  private final Random random = new Random(15);
  private final Map<String, PipelineProcess> processes = new LinkedHashMap<>();
  private Scenario.Layout layout;

  ScenarioRunner(Stack stack, double rate, boolean quick, Integer roundsOverride, Consumer<String> out) throws IOException {
    this.stack = stack;
    this.judge = new Judge(stack);
    this.rate = rate;
    this.quick = quick;
    this.roundsOverride = roundsOverride;
    this.out = out;
    this.logs = stack.dir.resolve("logs");
    this.config = stack.dir.resolve("run.properties");
    StringBuilder props = new StringBuilder();
    stack.runConfig().forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
    Files.writeString(config, props.toString());
  }

  Result run(Scenario s) throws Exception {
    long t0 = System.nanoTime();
    if (!s.implemented()) {
      return new Result(s, 0, 0, null, List.of(), 0, 0, "not built yet");
    }
    int rounds = roundsOverride != null ? roundsOverride : quick ? s.quickRounds : s.fullRounds;
    useLayout(s.layout);
    Load load = new Load(stack.issuingUrl(), "chaos-" + s.id + "-", rate);
    load.start();
    Thread.sleep(5_000); // warm up under load before the first fault
    List<Double> recoveries = new ArrayList<>();
    int restarts = 0;
    for (int round = 1; round <= rounds; round++) {
      Thread.sleep(2_000 + random.nextInt(4_000)); // the fault lands at a random moment of the load
      out.accept(s.id + ": round " + round + "/" + rounds);
      fault(s, load);
      restarts += restartDead();
      String canary = load.canary();
      long end = System.nanoTime();
      double recovery = -1;
      while (System.nanoTime() - end < Duration.ofMinutes(5).toNanos()) {
        if (judge.decided(canary)) {
          recovery = (System.nanoTime() - end) / 1e9;
          break;
        }
        Thread.sleep(100); // the resolution of the recovery time
      }
      recoveries.add(recovery);
      out.accept(s.id + ": round " + round + " recovered in " + (recovery < 0 ? "(not within 5 min)" : String.format("%.1f s", recovery)));
    }
    load.stopNow();
    restarts += restartDead();
    Judge.Verdict verdict = judge.judge(load.ledger(), Duration.ofMinutes(3), out);
    return new Result(s, rounds, load.issued(), verdict, recoveries, restarts, (System.nanoTime() - t0) / 1e9,
        restarts == 0 ? "" : restarts + " process(es) exited on the fault and were restarted");
  }

  private void fault(Scenario s, Load load) throws Exception {
    Duration outage = Duration.ofSeconds(quick ? 15 : 60);
    switch (s) {
      case KILL_PIPELINE -> restart(processes.get("pipeline"));
      case KILL_INGEST -> restart(processes.get("ingest"));
      case KILL_STREAMS -> restart(processes.get("streams"));
      case KILL_PROJECTOR -> restart(processes.get("projector"));
      case BROKER_BOUNCE -> {
        stack.stopKafka();
        Thread.sleep(quick ? 10_000 : 30_000); // the broker's downtime
        stack.startKafka();
      }
      case STORE_OUTAGE -> {
        stack.stopStore();
        Thread.sleep(outage.toMillis());
        stack.startStore();
      }
      case ISSUING_DB_OUTAGE -> {
        load.stopNow();
        stack.stopIssuing();
        Thread.sleep(outage.toMillis());
        stack.startIssuing();
        load.resume();
      }
      default -> throw new IllegalStateException("no fault for " + s.id);
    }
  }

  private static void restart(PipelineProcess p) throws Exception {
    p.kill();
    p.start(Duration.ofMinutes(3));
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
    stopAll();
    if (wanted == Scenario.Layout.ONE_PROCESS) {
      processes.put("pipeline", new PipelineProcess("pipeline", "ingest,streams,projector,api", config, logs));
    } else {
      processes.put("ingest", new PipelineProcess("ingest", "ingest", config, logs));
      processes.put("streams", new PipelineProcess("streams", "streams", config, logs));
      processes.put("projector", new PipelineProcess("projector", "projector,api", config, logs));
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
  }

  @Override
  public void close() throws InterruptedException {
    stopAll();
  }
}
