package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;

import com.sun.management.OperatingSystemMXBean;
import io.invoicesync.testkit.GitState;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code invoice-sync bench}: measures, in one run on embedded infrastructure (everything on this
 * machine), the Debezium capture ceiling, the pipeline end to end on the same kind of workload
 * with latency percentiles at fixed offered loads, the Kafka round trip and batched upsert
 * ceilings, the peer (Kafka Connect with Debezium's source and JDBC sink), reconcile at 1,000,000
 * invoices, CPU time and peak RSS. Numbers only, no assertions. Each step is its own class with a
 * typed result; {@link ReportWriter} writes them.
 */
@Command(name = "invoice-sync bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measures the pipeline against the ceilings of its own parts and against the peer, on embedded infrastructure.",
        "A full or quick run writes latest.md, latest.json and latency.png to --out; a run with --only writes to a temp directory."},
    footer = {"", "Steps: " + BenchCommand.STEPS + ". A quick run leaves e2e50k out unless --only names it. See bench/README.md for what each measures.",
        "Exit codes: 0 measured, 1 a step failed, 2 bad arguments."})
public final class BenchCommand implements Callable<Integer> {

  static final String STEPS = "startup, capture, e2e, kafka, upsert, peer, e2e50k, reconcile, history, against, webhooks";

  /** The steps, in the order a run takes them; {@code --only} names them in lower case. */
  enum Step {
    STARTUP("a fresh pipeline in its own JVM (fresh embedded PostgreSQL and Kafka): time until the first invoice issued after its start is visible"),
    CAPTURE("Debezium capture alone (engine -> no-op consumer) over a WAL backlog"),
    E2E("end to end over the same kind of backlog, then latency at fixed offered loads, the sustained load and a warm backlog"),
    KAFKA("Kafka produce + consume of the same bytes"),
    UPSERT("batched upsert of the same rows into PostgreSQL"),
    PEER("the peer: Debezium PostgreSQL source + Debezium JDBC sink in Kafka Connect standalone, over the same kind of backlog"),
    E2E50K("end to end, then the peer, each over a cold backlog of " + BenchRun.BACKLOG_50K + " invoices"),
    RECONCILE("reconcile: 1,000,000 invoices in both databases (COPY), equal, then with " + ReconcileStep.PLANTED + " planted differences"),
    HISTORY("history: existing invoices (--history-invoices, 3 lines on average) loaded by 'history load' beside the stream, then the peer's "
        + "initial snapshot of the same data"),
    AGAINST("against: the platform's export of " + AgainstStep.INVOICES + " invoices reconciled against the store (reconcile --against), "
        + "then 'import --dry-run' of it with a 256 MB heap"),
    WEBHOOKS("webhooks: the pipeline with one webhook endpoint on this machine, commit-to-delivered at 200 invoices/s, then a burst's "
        + "deliveries per second");

    final String what;

    Step(String what) {
      this.what = what;
    }
  }

  @Option(names = "--quick", description = "Smaller backlogs (10,000 instead of 30,000), shorter windows, one start-up run instead of 3, "
      + "no 50,000-invoice backlogs (step e2e50k): about 7 minutes instead of about 25.")
  boolean quick;

  @Option(names = "--only", split = ",", paramLabel = "STEP", converter = StepConverter.class,
      description = "Run only these steps (comma-separated): " + STEPS + ". Results go to a temp directory.")
  Set<Step> only = EnumSet.noneOf(Step.class);

  @Option(names = "--startup-runs", paramLabel = "N", description = "Fresh starts of step startup, with the demo's JVM options and again with run's; first_visible_s is their median (default: 3).")
  Integer startupRuns;

  @Option(names = "--out", paramLabel = "DIR", description = "Where a full or quick run writes its results (default: ${DEFAULT-VALUE}).")
  Path out = Path.of(System.getProperty("bench.out", "bench/results"));

  @Option(names = "--peer-lib", paramLabel = "DIR", description = "Kafka Connect's classpath for the peer (default: ${DEFAULT-VALUE}).")
  Path peerLib = Path.of(System.getProperty("bench.peer.lib", "bench-peer/target/lib"));

  @Option(names = "--history-invoices", paramLabel = "N", defaultValue = "1000000",
      description = "Existing invoices step history loads (default: ${DEFAULT-VALUE}: history_1m_seconds; about an hour with the peer here).")
  int historyInvoices;

  @Option(names = "--seed", description = "Seed of the load generators: the same seed issues the same invoices (default: ${DEFAULT-VALUE}).")
  long seed = 5;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    GitState git = GitState.read(Path.of("").toAbsolutePath());
    Path work = Files.createTempDirectory("invoice-sync-bench");
    // a partial run does not replace the committed results
    Path target = only.isEmpty() ? out : work.resolve("results");
    System.setProperty("invoicesync.log.file", work.resolve("bench.log").toString());
    BenchRun run = new BenchRun(work, quick, seed);
    long t0 = System.nanoTime();
    List<Step> steps = steps(only, quick);
    int i = 0;
    CaptureStep.Result capture = null;
    EndToEndStep.Result e2e = null;
    KafkaRoundTripStep.Result kafka = null;
    UpsertStep.Result upsert = null;
    PeerStep.Result peer = null;
    ReconcileStep.Result reconcile = null;
    StartupStep.Result startup = null;
    Backlog50kStep.Result e2e50k = null;
    HistoryStep.Result history = null;
    AgainstStep.Result against = null;
    WebhookStep.Result webhooks = null;
    for (Step step : steps) {
      log("%d/%d %s", ++i, steps.size(), step.what);
      switch (step) {
        case STARTUP -> startup = StartupStep.run(run, startupRuns != null ? Math.max(1, startupRuns) : 3);
        case CAPTURE -> capture = CaptureStep.run(run);
        case E2E -> e2e = EndToEndStep.run(run);
        case KAFKA -> kafka = KafkaRoundTripStep.run(run);
        case UPSERT -> upsert = UpsertStep.run(run);
        case PEER -> peer = PeerStep.run(run, peerLib);
        case E2E50K -> e2e50k = Backlog50kStep.run(run, peerLib);
        case RECONCILE -> reconcile = ReconcileStep.run(run, 1_000_000);
        case HISTORY -> history = HistoryStep.run(run, peerLib, historyInvoices);
        case AGAINST -> against = AgainstStep.run(run);
        case WEBHOOKS -> webhooks = WebhookStep.run(run);
        default -> throw new IllegalStateException(step.name());
      }
    }
    long cpu = Math.round(((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9);
    BenchReport report = new BenchReport(quick ? "quick" : "full", run.backlog(), seed, capture, e2e, kafka, upsert, peer, reconcile, startup,
        e2e50k, history, cpu, CpuBreakdown.peakRssMb("self"), Math.round((System.nanoTime() - t0) / 1e9), machine(), git, Instant.now(), against, webhooks);
    String md = ReportWriter.write(report, target);
    System.out.println();
    System.out.print(md);
    System.out.println("\nwritten: " + target.resolve("latest.md") + ", latest.json" + (e2e == null ? "" : ", latency.png"));
    // the servers' data (gigabytes after a large step) goes; the results and the logs (bench.log, step startup's probes') stay where the line above says
    try (var children = Files.list(work)) {
      long mb = run.discard(children.map(p -> p.getFileName().toString()).filter(n -> !n.equals("results") && !n.endsWith(".log"))
          .toArray(String[]::new));
      System.out.println("deleted the run's " + mb + " MB of server data under " + work);
    }
    return 0;
  }

  /**
   * The steps a run takes: those {@code --only} names, or all of them, but a quick run's default leaves e2e50k out, and
   * history (an hour for a million invoices with the peer) runs only when named.
   */
  static List<Step> steps(Set<Step> only, boolean quick) {
    return List.of(Step.values()).stream()
        .filter(s -> only.isEmpty() ? !(quick && s == Step.E2E50K) && s != Step.HISTORY && s != Step.AGAINST && s != Step.WEBHOOKS
            : only.contains(s)).toList();
  }

  private static String machine() {
    return Runtime.getRuntime().availableProcessors() + " cores, " + Math.round(
        ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1e9) + " GB, "
        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
  }

  /** {@code --only} takes the steps' names in lower case, and names the known ones when it does not know one. */
  static final class StepConverter implements CommandLine.ITypeConverter<Step> {
    @Override
    public Step convert(String value) {
      for (Step s : Step.values()) {
        if (s.name().toLowerCase(Locale.ROOT).equals(value.trim().toLowerCase(Locale.ROOT))) {
          return s;
        }
      }
      throw new CommandLine.TypeConversionException("unknown step '" + value + "'; steps: " + STEPS);
    }
  }
}
