package io.invoicesync.cli;

import io.invoicesync.cli.internal.LogSetup;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.generator.IssuingSchema;
import io.invoicesync.generator.PlatformFiles;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.ingest.issuing.IssuingPlatformSchema;
import io.invoicesync.ingest.mapping.PinyinExample;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code invoice-sync demo}: everything in one JVM on embedded infrastructure, plus a generator
 * playing the issuing platform, with a live progress line.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the whole pipeline on embedded PostgreSQL and Kafka, with an invoice generator.",
    footer = {"", "Examples:", "  invoice-sync demo                          # until Ctrl-C, 50 invoices/s",
        "  invoice-sync demo --rate 500 --duration 60",
        "  invoice-sync demo --rate 0                 # no generator: issue invoices by hand with psql",
        "  invoice-sync demo --mapping pinyin         # a tax-control system's own tables (skj.fp_kj, skj.fp_mx), captured through a mapping"})
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = "data", description = "Where PostgreSQL, Kafka and Streams keep their data; a second run resumes (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--rate", defaultValue = "50", description = "Issuing events per second; 0 = no generator (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "0", description = "Seconds to run; 0 = until Ctrl-C (default: ${DEFAULT-VALUE}).")
  long duration;

  @Option(names = "--port", defaultValue = "8080", description = "Query API port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--mapping", defaultValue = "reference", description = "The issuing tables: 'reference' (issuing.invoice, our schema) or "
      + "'pinyin' (a tax-control system's skj.fp_kj and skj.fp_mx, captured through the example mapping; docs/mapping.md) "
      + "(default: ${DEFAULT-VALUE}).")
  String mapping;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    IssuingSchema schema;
    try {
      schema = IssuingSchema.of(mapping);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--mapping: " + e.getMessage());
    }
    Path marker = dataDir.toAbsolutePath().resolve("demo-mapping");
    if (Files.exists(marker) && !Files.readString(marker).strip().equals(schema.name().toLowerCase(Locale.ROOT))) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--mapping " + mapping + ": the data directory " + dataDir
          + " holds a demo of --mapping " + Files.readString(marker).strip() + " (its slot and offsets follow those tables); "
          + "give another --data-dir");
    }
    PrintStream out = System.out;
    Path data = dataDir.toAbsolutePath();
    System.setProperty("invoicesync.log.file", data.resolve("invoice-sync.log").toString());
    LogSetup.moveFile(data.resolve("invoice-sync.log")); // logging started before this command did: its file moves to the data directory
    // stopped by this command after the pipeline and Kafka (Ctrl-C included), not by a shutdown hook of its own racing them
    // Kafka formats and starts beside PostgreSQL's initdb: each takes seconds, and neither needs the other
    CompletableFuture<EmbeddedKafkaBroker> kafkaStarting = CompletableFuture.supplyAsync(() -> EmbeddedKafkaBroker.start(data.resolve("kafka")));
    EmbeddedPostgresServer pg;
    try {
      pg = EmbeddedPostgresServer.startOwnedByCaller(data.resolve("postgres"), List.of("issuing", "querystore"));
    } catch (RuntimeException e) {
      kafkaStarting.thenAccept(EmbeddedKafkaBroker::close);
      throw e;
    }
    EmbeddedKafkaBroker kafka;
    try {
      kafka = kafkaStarting.join();
    } catch (CompletionException e) {
      pg.close();
      throw e.getCause() instanceof RuntimeException re ? re : e;
    }
    out.println("issuing-db: " + pg.jdbcUrl("issuing"));
    out.println("psql:       psql \"postgresql://" + EmbeddedPostgresServer.USER + "@localhost:" + pg.port() + "/issuing\"   # issue an invoice by hand (README)");
    out.println("kafka: " + kafka.bootstrapServers());
    out.println("api: http://localhost:" + port + "   # open (api.auth.mode=none), so on this machine only; bearer tokens and "
        + "tenant isolation: README, 'Securing the API'");
    out.println("console: http://localhost:" + port + "/console   # find an invoice by its number, see why one is missing (中文/English)");
    out.println("openapi: http://localhost:" + port + "/openapi.json   # the API's contract; read it at /docs");
    out.flush();

    IssuingPlatformSchema.migrate(pg.jdbcUrl("issuing"), EmbeddedPostgresServer.USER, "");
    Files.writeString(marker, schema.name().toLowerCase(Locale.ROOT));
    Map<String, String> cfg = Pipeline.embeddedConfig(pg, kafka, data.resolve("streams"));
    if (schema == IssuingSchema.PINYIN) {
      try (Connection c = pg.connect("issuing")) {
        cfg.put("ingest.mapping.file", PinyinExample.install(c, data).toString());
      }
      out.println("mapping: " + cfg.get("ingest.mapping.file") + "   # skj.fp_kj and skj.fp_mx, a tax-control system's tables (docs/mapping.md)");
      out.flush();
    }
    // static membership: a second demo run (after a crash too) takes its partitions back without waiting out the old member's session
    cfg.put("streams.instance.id", "demo");
    cfg.put("projector.migrate", "true"); // the query store's schema: migrated by the pipeline's start, beside its Kafka stages
    cfg.put("projector.instance.id", "demo");
    cfg.put("api.port", Integer.toString(port));
    cfg.put("reconcile.interval", "1m"); // GET /api/v1/reconcile/last and invoicesync_reconcile_* answer within a minute

    // the operator commands that take --config (import, reconcile, history, mapping check) reach this demo with it
    Path runConfig = data.resolve("demo.properties");
    StringBuilder props = new StringBuilder("# the running demo's configuration, for --config (written by 'invoice-sync demo')\n");
    new java.util.TreeMap<>(cfg).forEach((k, v) -> props.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
    Files.writeString(runConfig, props);
    Path platform = Files.createDirectories(data.resolve("platform"));
    Path sample = platform.resolve("全量发票查询导出_demo.xlsx");
    if (!Files.exists(sample)) {
      PlatformFiles.workbook(sample, PlatformFiles.generated(20, DemoCommand::received));
    }
    out.println("config:     " + runConfig + "   # --config for reconcile, import, history load");
    out.println("import:     bin/invoice-sync import --config " + runConfig + " " + platform
        + "   # the tax platform's export: 20 received invoices (docs/clerk.md)");
    out.println("webhooks:   bin/invoice-sync webhooks add http://localhost:9000/hooks --config " + runConfig
        + "   # signed pushes of every visible invoice to your endpoint (docs/erp.md)");
    out.flush();

    AtomicBoolean stopping = new AtomicBoolean();
    CountDownLatch stopped = new CountDownLatch(1);
    Pipeline pipeline = new Pipeline(cfg, EnumSet.allOf(Pipeline.Component.class)).start();
    Thread hook = new Thread(() -> {
      stopping.set(true);
      try {
        stopped.await(90, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      pipeline.awaitIngestStreaming(Duration.ofSeconds(120));
      pipeline.awaitStreamsRunning(Duration.ofSeconds(120));
      InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "demo-" + Long.toString(System.currentTimeMillis(), 36) + "-", 42, false,
          schema);
      if (rate > 0) {
        generator.startAtRate(rate, rate > 200 ? 2 : 1, stopping::get);
      }
      Progress progress = new Progress(pipeline, generator, pg, out, t0);
      long deadline = duration > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(duration) : Long.MAX_VALUE;
      while (!stopping.get() && System.nanoTime() < deadline) {
        progress.print();
        Thread.sleep(1000); // the progress line's refresh period
      }
      stopping.set(true);
      progress.print();
      out.println();
      out.println(progress.summary());
    } finally {
      pipeline.close();
      kafka.close();
      pg.close();
      stopped.countDown();
    }
    return 0;
  }

  /** The live progress line: issued, captured, synced, rejected, visible, commit-to-visible lag. */
  static final class Progress {
    private final Pipeline pipeline;
    private final InvoiceGenerator generator;
    private final EmbeddedPostgresServer pg;
    private final PrintStream out;
    private final long t0;
    private final boolean tty = System.console() != null;
    private Double firstVisibleSeconds;
    private long lastVisible = -1; // -1 until the first sample: what a resumed store already holds is not a rate
    private long lastNanos = System.nanoTime();
    private double maxRate;

    Progress(Pipeline pipeline, InvoiceGenerator generator, EmbeddedPostgresServer pg, PrintStream out, long t0) {
      this.pipeline = pipeline;
      this.generator = generator;
      this.pg = pg;
      this.out = out;
      this.t0 = t0;
    }

    void print() {
      long visible;
      double p50;
      double max;
      try (Connection c = pg.connect("querystore"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM invoice), "
               + "coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM projected_at - source_commit_ts)), 0), "
               + "coalesce(max(extract(epoch FROM projected_at - source_commit_ts)), 0) "
               + "FROM invoice WHERE projected_at > clock_timestamp() - interval '2 seconds'")) {
        rs.next();
        visible = rs.getLong(1);
        p50 = rs.getDouble(2) * 1000;
        max = rs.getDouble(3) * 1000;
      } catch (Exception e) {
        return; // the store may be busy at shutdown: no line rather than a wrong one (a rate from a missing sample)
      }
      long now = System.nanoTime();
      double perSecond = lastVisible < 0 ? 0 : Math.max(0, visible - lastVisible) / ((now - lastNanos) / 1e9);
      maxRate = Math.max(maxRate, perSecond);
      lastVisible = visible;
      lastNanos = now;
      if (firstVisibleSeconds == null && visible > 0) {
        firstVisibleSeconds = (now - t0) / 1e9;
      }
      String line = String.format("issued %d | captured %.0f | synced %.0f | rejected %.0f | visible %d (%.0f/s) | lag p50 %.0f ms, max %.0f ms",
          generator.issuedCount(), counter("invoicesync.ingest.changes"), counter("invoicesync.streams.synced"),
          counter("invoicesync.streams.rejected"), visible, perSecond, p50, max);
      out.print(tty ? "\r" + line + "   " : line + "\n");
      out.flush();
    }

    String summary() {
      long rss = peakRssMb();
      return String.format("first invoice visible %s after start; peak %.0f visible invoices/s%s",
          firstVisibleSeconds == null ? "never" : String.format("%.1f s", firstVisibleSeconds), maxRate,
          rss < 0 ? "" : String.format("; peak RSS %d MB (this JVM: the pipeline, the Kafka broker, the generator)", rss));
    }

    /** This JVM's peak resident set (Linux: VmHWM), or -1 where the system does not say. */
    static long peakRssMb() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmHWM:")) {
            return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
          }
        }
      } catch (IOException | RuntimeException e) {
        // not Linux, or no procfs: the summary leaves it out
      }
      return -1;
    }

    private double counter(String name) {
      Counter c = pipeline.metrics().find(name).counter();
      return c == null ? 0 : c.count();
    }
  }

  /** A received invoice (进项) as the platform's export lists it: a supplier's, with the demo's seller as the buyer. */
  static PlatformFiles.Invoice received(int i) {
    java.math.BigDecimal amount = java.math.BigDecimal.valueOf(1000 + 10L * i).setScale(2);
    java.math.BigDecimal tax = amount.multiply(new java.math.BigDecimal("0.13")).setScale(2, java.math.RoundingMode.HALF_UP);
    return new PlatformFiles.Invoice(null, IssuingDay.digitalNumber(990_000 + i), "数电票（增值税专用发票）",
        java.time.LocalDateTime.of(IssuingDay.today(), java.time.LocalTime.of(9, 0)), "91310000MA1FL4XQ3A", "上海某某贸易有限公司",
        "91440300MA5ETUPW89", "深圳市示例科技有限公司", amount, tax, amount.add(tax), "正常", true, "进项示例 " + i,
        List.of(new PlatformFiles.Line("1090101990000000000", "*电子元件*传感器", "S-" + i, "个", java.math.BigDecimal.ONE, amount, amount,
            "13%", tax)));
  }
}
