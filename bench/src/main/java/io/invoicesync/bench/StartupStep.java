package io.invoicesync.bench;

import static io.invoicesync.bench.BenchRun.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.cli.Pipeline;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Step startup (issue 23's {@code first_visible_s}): how long a fresh pipeline takes to show the
 * first invoice issued after its start. Each run starts fresh embedded PostgreSQL and Kafka (new
 * data directories) in the bench's JVM, creates the issuing platform's schema, then runs
 * {@link StartupProbe} in a JVM of its own (so nothing of the pipeline is loaded or compiled yet),
 * with the demo's configuration and every component: query-store migrations, pipeline start,
 * the demo's generator, until the first invoice is visible in the query store.
 */
final class StartupStep {

  /**
   * The demo's JVM options in {@code bin/invoice-sync} (its default JAVA_OPTS for {@code demo}: C1 only), unless
   * {@code -Dbench.startup.java.options} says otherwise.
   */
  static final String JAVA_OPTIONS = System.getProperty("bench.startup.java.options", "-Xms256m -Xmx1g -XX:TieredStopAtLevel=1");

  /** {@code run}'s JVM options in {@code bin/invoice-sync} (both JIT compilers), for the same start compared ({@code first_visible_s_full_jit}). */
  static final String RUN_JAVA_OPTIONS = System.getProperty("bench.startup.run.java.options", "-Xms256m -Xmx1g");

  /**
   * Whether the probe starts as {@code bin/invoice-sync} does (AppCDS): a first run archives the
   * classes it loaded at its exit, later runs map the archive ({@code -Dbench.startup.cds=false}: neither).
   */
  static final boolean CDS = Boolean.parseBoolean(System.getProperty("bench.startup.cds", "true"));

  /**
   * One fresh start.
   *
   * @param firstVisibleSeconds from the probe's {@code main} to the first invoice visible
   * @param infraStartSeconds   embedded PostgreSQL (initdb included) and Kafka (format included) starting in the bench's JVM, not part of the above
   * @param phases              the probe's timings: seconds from {@code main} to each milestone, the JVM's own start, the first invoice's commit-to-visible, peak RSS
   */
  record Run(double firstVisibleSeconds, double infraStartSeconds, Map<String, Double> phases) {
  }

  /**
   * @param runs        one per fresh start
   * @param javaOptions the probe JVM's options
   */
  record Result(List<Run> runs, String javaOptions, Run archiving, List<Run> fullJitRuns, String fullJitJavaOptions, Run loaded) {

    /** The demo JVM's peak RSS after {@link #LOAD_RATE} for a while, or null when not measured. */
    Double demoPeakRssMbAtLoad() {
      return loaded == null ? null : loaded.phases().get("peak_rss_mb_after_load");
    }

    List<Double> firstVisible() {
      return runs.stream().map(Run::firstVisibleSeconds).toList();
    }

    List<Double> firstVisibleFullJit() {
      return fullJitRuns.stream().map(Run::firstVisibleSeconds).toList();
    }

    /** The median over the runs with {@code run}'s JVM options, or null without them. */
    Double firstVisibleSecondsFullJit() {
      return fullJitRuns.isEmpty() ? null : BenchRun.spread(firstVisibleFullJit()).get(1);
    }

    /** The median over the runs. */
    double firstVisibleSeconds() {
      return BenchRun.spread(firstVisible()).get(1);
    }

    double infraStartSeconds() {
      return BenchRun.spread(runs.stream().map(Run::infraStartSeconds).toList()).get(1);
    }
  }

  private StartupStep() {
  }

  static Result run(BenchRun run, int runs) throws Exception {
    String options = JAVA_OPTIONS;
    Run archiving = null;
    if (CDS) {
      // bin/invoice-sync's first demo or run: the classes it loads are archived at its exit (a classpath of its own: the bench's)
      Path archive = run.work().resolve("startup.jsa");
      archiving = once(run, run.work().resolve("startup-0"), options + " -XX:ArchiveClassesAtExit=" + archive);
      log("   run 0 (archiving the classes for the later starts, as bin/invoice-sync's first demo or run does; not counted): "
          + "first invoice visible %.2f s after main() %s", archiving.firstVisibleSeconds(), archiving.phases());
      options += " -XX:SharedArchiveFile=" + archive;
    }
    List<Run> done = runs(run, runs, options, "startup-", "");
    // the demo JVM at 1,000/s (issue 23: its peak RSS <= 1 GiB): the demo itself, as a user runs it, with that rate
    Run loaded = demoUnderLoad(run, options, run.quick() ? 30 : 60);
    log("   invoice-sync demo --rate %.0f for %.0f s: peak RSS %.0f MB (%.0f issued, %.0f visible at its end); its first invoice visible %.1f s "
            + "after its start (embedded servers' start included)", LOAD_RATE, loaded.phases().get("load_seconds"),
        loaded.phases().get("peak_rss_mb_after_load"), loaded.phases().get("load_issued"), loaded.phases().get("load_visible"),
        loaded.firstVisibleSeconds());
    // the same start with run's options (both JIT compilers, as a deployment runs): what the demo's C1-only start saves
    String fullJit = RUN_JAVA_OPTIONS + (CDS ? " -XX:SharedArchiveFile=" + run.work().resolve("startup.jsa") : "");
    List<Run> full = RUN_JAVA_OPTIONS.equals(JAVA_OPTIONS) ? List.of() : runs(run, runs, fullJit, "startup-full-jit-", " (run's JVM options)");
    return new Result(done, options, archiving, full, fullJit, loaded);
  }

  private static List<Run> runs(BenchRun run, int runs, String options, String dirPrefix, String label) throws Exception {
    List<Run> done = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      Run r = once(run, run.work().resolve(dirPrefix + i), options);
      log("   run %d/%d%s: first invoice visible %.2f s after main() %s; embedded PostgreSQL and Kafka took %.1f s to start before it (not counted)",
          i, runs, label, r.firstVisibleSeconds(), r.phases(), r.infraStartSeconds());
      done.add(r);
    }
    return done;
  }

  /** The demo's rate whose peak RSS issue 23 bounds. */
  static final double LOAD_RATE = 1000;

  /**
   * {@code invoice-sync demo --rate 1000 --duration N} on a fresh data directory, in a JVM with the demo's options (its
   * embedded PostgreSQL beside it, its Kafka broker, pipeline and generator in it, as a user runs it); its summary's peak
   * RSS and the last progress line's counts.
   */
  private static Run demoUnderLoad(BenchRun run, String javaOptions, int seconds) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.stream(javaOptions.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.invoicesync.cli.InvoiceSyncCommand", "demo", "--rate",
        Long.toString(Math.round(LOAD_RATE)), "--duration", Integer.toString(seconds), "--port", "0", "--data-dir",
        run.work().resolve("demo-load").toString()));
    Path out = run.work().resolve("demo-load.out.log");
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!child.waitFor(seconds + 240L, TimeUnit.SECONDS)) {
      child.destroyForcibly().waitFor();
      throw new IllegalStateException("invoice-sync demo did not end " + (seconds + 240) + " s after its start; the end of its output (" + out + "):\n"
          + tail(out));
    }
    List<String> lines = Files.readAllLines(out);
    Map<String, Double> phases = demoSummary(lines, out);
    phases.put("load_rate", LOAD_RATE);
    phases.put("load_seconds", (double) seconds);
    return new Run(phases.get("first_visible_s"), 0, phases);
  }

  /** The demo's summary (first visible, peak visible/s, peak RSS) and its last progress line's issued and visible counts. */
  static Map<String, Double> demoSummary(List<String> lines, Path out) {
    Map<String, Double> phases = new LinkedHashMap<>();
    Pattern summary = Pattern.compile(
        "first invoice visible ([0-9.]+) s after start; peak ([0-9]+) visible invoices/s; peak RSS ([0-9]+) MB");
    Pattern progress = Pattern.compile("issued ([0-9]+) \\|.*\\| visible ([0-9]+) ");
    for (String line : lines) {
      Matcher p = progress.matcher(line);
      if (p.find()) {
        phases.put("load_issued", Double.parseDouble(p.group(1)));
        phases.put("load_visible", Double.parseDouble(p.group(2)));
      }
      Matcher m = summary.matcher(line);
      if (m.find()) {
        phases.put("first_visible_s", Double.parseDouble(m.group(1)));
        phases.put("peak_visible_per_s", Double.parseDouble(m.group(2)));
        phases.put("peak_rss_mb_after_load", Double.parseDouble(m.group(3)));
      }
    }
    if (!phases.containsKey("peak_rss_mb_after_load")) {
      throw new IllegalStateException("invoice-sync demo printed no summary with its peak RSS; the end of its output (" + out + "):\n" + tail(lines));
    }
    return phases;
  }

  private static Run once(BenchRun run, Path dir, String javaOptions) throws Exception {
    long t0 = System.nanoTime();
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir.resolve("postgres"), List.of("issuing", "querystore"));
         EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
      double infra = Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
      IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), "postgres", "");
      // the demo's configuration (DemoCommand), on a free API port
      Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, dir.resolve("streams"));
      cfg.put("streams.instance.id", "demo");
      cfg.put("projector.instance.id", "demo");
      cfg.put("api.port", "0");
      cfg.put("reconcile.interval", "1m");
      Properties p = new Properties();
      p.putAll(cfg);
      p.put("bench.issuing.url", pg.jdbcUrl("issuing"));
      p.put("bench.seed", Long.toString(run.seedFor("first-", 50)));
      p.put("bench.rate", "50");
      Path config = dir.resolve("probe.properties");
      try (Writer w = Files.newBufferedWriter(config)) {
        p.store(w, "StartupProbe");
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(Arrays.stream(javaOptions.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
      // the probe's log beside the bench's (kept when the servers' data goes): where a start spent its seconds
      cmd.addAll(List.of("-Dinvoicesync.log.file=" + run.work().resolve(dir.getFileName() + ".probe.log"), "-cp", System.getProperty("java.class.path"),
          StartupProbe.class.getName(), config.toString()));
      Path out = dir.resolve("probe.out");
      Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!child.waitFor(4, TimeUnit.MINUTES)) {
        child.destroyForcibly().waitFor();
        throw new IllegalStateException("the start-up probe did not finish in 4 minutes; the end of its output (" + out + "):\n" + tail(out));
      }
      Map<String, Double> phases = parse(Files.readAllLines(out), out);
      return new Run(phases.get("first_visible_s"), infra, phases);
    }
  }

  /** The probe's timings from its output, or a failure naming the output's end. */
  static Map<String, Double> parse(List<String> lines, Path out) throws IOException {
    for (String line : lines) {
      if (line.startsWith(StartupProbe.RESULT_PREFIX)) {
        JsonNode j = new ObjectMapper().readTree(line.substring(StartupProbe.RESULT_PREFIX.length()));
        Map<String, Double> phases = new LinkedHashMap<>();
        j.properties().forEach(e -> phases.put(e.getKey(), e.getValue().asDouble()));
        if (!phases.containsKey("first_visible_s")) {
          break;
        }
        return phases;
      }
    }
    throw new IllegalStateException("the start-up probe reported no result; the end of its output (" + out + "):\n" + tail(lines));
  }

  /** The last 30 lines of a probe's output, for an error message. */
  private static String tail(List<String> lines) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  private static String tail(Path out) {
    try {
      return tail(Files.readAllLines(out));
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }
}
