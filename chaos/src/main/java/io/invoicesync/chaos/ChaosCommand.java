package io.invoicesync.chaos;

import io.invoicesync.testkit.GitState;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code invoice-sync chaos}: every fault of issue 15 under a steady load, on embedded
 * infrastructure, with the pipeline in child processes that can be SIGKILLed; each scenario ends
 * with a drain, a full reconciliation and a per-invoice check of {@code invoices.synced}.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Break the pipeline under load and judge it by reconciliation: nothing lost, duplicated or stale.",
        "Runs on embedded PostgreSQL (issuing database and query store apart) and an in-process broker, the pipeline in child",
        "processes. Results: chaos/results/latest.md and latest.json. Exit 0 when every scenario run passed, 1 when one did not.",
        "",
        "Scenarios: kill-pipeline, kill-ingest, kill-streams, kill-projector, broker-bounce, broker-loss-rf3, issuing-db-outage,",
        "store-outage, store-read-only, slot-dropped, source-restored, poison-huge-invoice, poison-null, poison-column-renamed,",
        "toast-wide-rows, retry-retention, projector-restart-parked; registry-outage is reported as not applicable (no registry here)."},
    footer = {"", "Examples:",
        "  invoice-sync chaos --quick                        # a few rounds of each",
        "  invoice-sync chaos --only=kill-ingest,store-outage --rounds 3",
        "  invoice-sync chaos --only=toast-wide-rows --out /tmp/chaos"})
public final class ChaosCommand implements Callable<Integer> {

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--quick", description = "A few rounds of each scenario and 10 s outages (about 10 minutes) instead of the full suite.")
  boolean quick;

  @Option(names = "--only", paramLabel = "SCENARIOS", description = "Comma-separated scenario ids to run (default: all).")
  String only;

  @Option(names = "--rounds", paramLabel = "N", description = "Rounds of each scenario, instead of the suite's own (20 kill-pipeline, 10 per "
      + "component kill, 5 broker bounces; quick: 2, 2, 1).")
  Integer rounds;

  @Option(names = "--rate", paramLabel = "N", defaultValue = "40", description = "Invoices issued per second during a scenario (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "${sys:chaos.out:-chaos/results}",
      description = "Where latest.md and latest.json go (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--two-sources", description = "Two issuing sources into one store: our reference tables ('ref') and a tax-control "
      + "system's pinyin tables through their mapping ('py'), each with its own engine and slot; the load issues into both, the judge "
      + "reconciles each source against the invoices it delivered.")
  boolean twoSources;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Data of the run (default: a temporary directory, removed afterwards).")
  Path dataDir;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ChaosCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    List<Scenario> scenarios;
    try {
      scenarios = Scenario.parse(only);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (rounds != null && rounds < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rounds must be at least 1, not " + rounds);
    }
    boolean temporary = dataDir == null;
    Path dir = temporary ? Files.createTempDirectory("invoice-sync-chaos") : Files.createDirectories(dataDir);
    String command = "invoice-sync chaos" + (quick ? " --quick" : "") + (only == null ? "" : " --only=" + only)
        + (rounds == null ? "" : " --rounds " + rounds) + (twoSources ? " --two-sources" : "");
    Instant started = Instant.now();
    GitState git = GitState.read(Path.of("").toAbsolutePath());
    String aborted = null;
    long t0 = System.nanoTime();
    List<ScenarioRunner.Result> results = new ArrayList<>();
    w.println("chaos: data in " + dir + "; pipeline logs in " + dir.resolve("logs"));
    w.flush();
    try (Stack stack = Stack.start(dir, twoSources); ScenarioRunner runner = new ScenarioRunner(stack, rate, quick, rounds, line -> {
      w.println("  " + line);
      w.flush();
    })) {
      for (Scenario s : scenarios) {
        if (s.implemented()) {
          w.println(s.id + ": " + s.description);
          w.flush();
        }
        ScenarioRunner.Result r = runner.run(s);
        results.add(r);
        if (r.verdict() != null) {
          w.printf("%s: %s (lost %d, duplicate versions %d, stale %d, spurious rejections %d, recovery max %s s)%n", s.id,
              Boolean.TRUE.equals(r.passed()) ? "passed" : "FAILED", r.verdict().lost(), r.verdict().duplicateVersions() + r.verdict().outOfOrder(),
              r.verdict().stale() + r.verdict().extra() + r.verdict().placeholders(), r.verdict().spuriousRejections(),
              r.maxRecovery() == null ? "-" : String.format("%.1f", r.maxRecovery()));
          w.flush();
        }
      }
    } catch (Exception | Error e) {
      aborted = e.getClass().getSimpleName() + ": " + e.getMessage();
      throw e;
    } finally {
      double seconds = (System.nanoTime() - t0) / 1e9;
      ChaosReport.write(out, results, new ChaosReport.Run(quick, started, seconds, command, git, aborted));
      w.println("results: " + out.resolve("latest.md") + " and latest.json (" + Math.round(seconds) + " s)");
      w.flush();
      if (temporary) {
        deleteQuietly(dir);
      }
    }
    return results.stream().allMatch(r -> r.passed() == null || r.passed()) ? 0 : 1;
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: the OS cleans it eventually
    }
  }
}
