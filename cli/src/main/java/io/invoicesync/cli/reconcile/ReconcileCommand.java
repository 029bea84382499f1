package io.invoicesync.cli.reconcile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.freva.asciitable.AsciiTable;
import com.github.freva.asciitable.Column;
import com.github.freva.asciitable.HorizontalAlign;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.outcomes.reconcile.Reconciler;
import io.invoicesync.outcomes.reconcile.Resyncer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code invoice-sync reconcile}: prove that nothing is missing between the issuing database and the query store. */
@Command(name = "reconcile", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
    description = {"Compare the issuing database with the query store by checksums of invoice buckets computed inside each",
        "database, bisecting only the buckets that differ, and classify every invoice not visible at its latest source state:",
        "MISSING, STALE, EXTRA (alarms), REJECTED, DEAD_LETTERED, IN_FLIGHT (explained).",
        "With --against: the tax platform's own export is the authority instead of the issuing database.",
        "Exit 0 when there is no MISSING, STALE or EXTRA; 1 when there is; 2 when it cannot run."},
    footer = {"", "Examples:", "  invoice-sync reconcile --config prod.properties",
        "  invoice-sync reconcile --config prod.properties --from 2026-11-01 --to 2026-11-30 --seller 91440300MA5ETUPW89 --output json",
        "  invoice-sync reconcile --source-url jdbc:postgresql://db/issuing --store-url jdbc:postgresql://db/querystore --out report.json",
        "  invoice-sync reconcile --config prod.properties --against 全量发票查询导出_202611.xlsx --output xlsx --out 对账_202611.xlsx",
        "  invoice-sync reconcile --config prod.properties --against export.xlsx --buyer 91440300MA5ETUPW89 --import-missing"})
public final class ReconcileCommand implements Callable<Integer> {

  @Option(names = "--source", paramLabel = "NAME", description = "With several issuing sources ('sources' in --config): the one to compare "
      + "with the invoices it delivered (its database, mapping and signals from its sources.NAME.* block).")
  String sourceName;
  @Option(names = "--config", description = "A 'run' configuration: the issuing database from ingest.database.* (or api.source.jdbc.*), "
      + "the store from projector.jdbc.* (or api.jdbc.*).")
  Path config;
  @Option(names = "--source-url", description = "Issuing database JDBC URL (instead of --config); user and password from "
      + "--source-user / PGPASSWORD-style URL parameters.")
  String sourceUrl;
  @Option(names = "--source-user", defaultValue = "postgres", description = "Issuing database user (default: ${DEFAULT-VALUE}).")
  String sourceUser;
  @Option(names = "--store-url", description = "Query store JDBC URL (instead of --config).")
  String storeUrl;
  @Option(names = "--store-user", defaultValue = "postgres", description = "Query store user (default: ${DEFAULT-VALUE}).")
  String storeUser;
  @Option(names = "--source-schema", description = "The issuing platform's schema (default: the configuration's, or issuing).")
  String sourceSchema;
  @Option(names = "--from", description = "Only invoices issued on or after DATE (yyyy-MM-dd).")
  LocalDate from;
  @Option(names = "--to", description = "Only invoices issued on or before DATE (yyyy-MM-dd).")
  LocalDate to;
  @Option(names = "--seller", description = "Only invoices of this seller taxpayer id.")
  String seller;
  @Option(names = "--grace", description = "Seconds after its commit an undecided change counts as IN_FLIGHT, "
      + "not MISSING (default: the configuration's reconcile.grace.seconds, else 60).")
  Long graceSeconds;
  @Option(names = "--hash", description = "auto, native or md5: how buckets and contents are hashed inside the "
      + "databases. auto (default, or the configuration's reconcile.hash) uses PostgreSQL's own hash functions when a probe shows both "
      + "databases compute the same values (same byte order and encoding), md5 otherwise.")
  String hash;
  /** How the report is printed: xlsx (with --against and --out) is a workbook a clerk opens, a sheet per class. */
  enum Format { table, json, xlsx }

  @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table, json (for scripts) or, with --against and --out, xlsx: "
      + "a workbook with a sheet per class (default: ${DEFAULT-VALUE}).")
  Format format;
  @Option(names = "--out", description = "Also write the report as JSON to FILE (for 'resync --from-report'); with --output xlsx, the workbook.")
  Path out;
  @Option(names = "--against", paramLabel = "FILE", arity = "1..*", description = "The tax platform's export (全量发票查询导出: xlsx or CSV; "
      + "or 数电票 XML / OFD files, directories of them) as the authority: report each invoice it lists that the store does not show "
      + "(MISSING) or shows otherwise (STALE, naming the fields), and each the store shows for the period that it does not list (EXTRA). "
      + "Needs --config (the store); the period is --from/--to, else the export's own.")
  List<Path> against;
  @Option(names = "--buyer", description = "With --against: only invoices of this buyer taxpayer id (received invoices, 进项).")
  String buyer;
  @Option(names = "--import-missing", description = "With --against: import the MISSING invoices from the files (as 'invoice-sync import') "
      + "in the same run.")
  boolean importMissing;
  @Option(names = "--repair", description = "Then re-read every MISSING and STALE invoice through the source (as 'resync' does), wait "
      + "for them, and reconcile again; the exit code is the second reconciliation's. Needs --config (the signal table is ingest's).")
  boolean repair;
  @Option(names = "--max-repair", defaultValue = "1000", description = "With --repair: re-read at most this many invoices (default: ${DEFAULT-VALUE}).")
  int maxRepair;
  @Option(names = "--timeout", defaultValue = "300", description = "With --repair: seconds to wait for the re-reads; with --import-missing: for "
      + "the pipeline's decisions on the imported invoices (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;
  @Option(names = "--limit", defaultValue = "50", description = "Differences listed in the table (default: ${DEFAULT-VALUE}; json lists all).")
  int limit;
  @Spec
  CommandSpec spec;

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (against != null) {
      return new AgainstFiles(this, o, err).call();
    }
    if (format == Format.xlsx || buyer != null || importMissing) {
      err.println("reconcile: --output xlsx, --buyer and --import-missing go with --against (the platform's export)");
      err.flush();
      return 2;
    }
    Reconciler.Report report;
    RunConfig rc;
    Reconciler reconciler;
    try {
      if (from != null && to != null && from.isAfter(to)) {
        throw new IllegalArgumentException("--from " + from + " is after --to " + to);
      }
      rc = config != null ? RunConfig.load(config).selectSource(sourceName, "--source") : RunConfig.of(Map.of());
      reconciler = reconciler(rc);
      try (ProgressBar bar = progress()) {
        report = reconciler.reconcile(new Reconciler.Scope(from, to, seller), phase -> {
          if (bar != null) {
            bar.step();
            bar.setExtraMessage(phase);
          }
        });
      }
    } catch (Exception e) {
      err.println("reconcile: cannot run: " + e.getMessage());
      err.flush();
      return 2;
    }
    if (repair && report.alarming()) {
      try {
        if (config == null) {
          throw new IllegalArgumentException("--repair needs --config (ingest's signal table and database)");
        }
        Resyncer resyncer = rc.resyncer();
        Set<String> ids = report.alarmIds();
        if (ids.size() > maxRepair) {
          throw new IllegalArgumentException(ids.size() + " invoices to repair, more than --max-repair " + maxRepair);
        }
        ResyncCommand.Outcome repaired = ResyncCommand.run(resyncer, reconciler, ids, Duration.ofSeconds(timeoutSeconds), err);
        err.println("repair: " + ids.size() + " invoices re-read through the source"
            + (repaired.snapshotCompleted() ? " (Debezium: incremental snapshot completed)" : "") + (repaired.undecided().isEmpty() ? ""
            : "; still waiting: " + repaired.undecided()));
        report = repaired.after();
      } catch (Exception e) {
        err.println("reconcile --repair: cannot repair: " + e.getMessage());
        err.flush();
        return 2;
      }
    }
    Map<String, Object> body = report.toJson();
    if (out != null) {
      Files.writeString(out, JSON.writeValueAsString(body));
    }
    if (format == Format.json) {
      o.println(JSON.writeValueAsString(body));
    } else {
      printTable(o, report);
    }
    o.flush();
    return report.alarming() ? 1 : 0;
  }

  /** The reconciler the options describe, over the run configuration {@code rc} (read once, from {@code --config}). */
  Reconciler reconciler(RunConfig rc) {
    if (config == null && (sourceUrl == null || storeUrl == null)) {
      throw new IllegalArgumentException("give --config, or both --source-url and --store-url");
    }
    DataSource src = sourceUrl != null ? RunConfig.dataSource(sourceUrl, sourceUser, "") : rc.source();
    DataSource dst = storeUrl != null ? RunConfig.dataSource(storeUrl, storeUser, "") : rc.storeForWriter();
    return rc.reconciler(src, sourceSchema, dst, graceSeconds == null ? null : Duration.ofSeconds(graceSeconds), hash);
  }

  private static ProgressBar progress() {
    if (System.console() == null) {
      return null;
    }
    return new ProgressBarBuilder().setTaskName("reconcile").setInitialMax(6).setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).showSpeed().build();
  }

  private void printTable(PrintWriter o, Reconciler.Report r) {
    List<Reconciler.Difference> alarms = r.differences().stream().filter(d -> d.kind().alarm()).toList();
    List<Reconciler.Difference> shown = (alarms.isEmpty() ? r.differences() : alarms).stream().limit(limit).toList();
    if (!shown.isEmpty()) {
      o.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, shown, List.of(
          new Column().header("invoice").dataAlign(HorizontalAlign.LEFT).with(Reconciler.Difference::invoiceId),
          new Column().header("class").dataAlign(HorizontalAlign.LEFT).with(d -> d.kind().name()),
          new Column().header("source status").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.sourceStatus())),
          new Column().header("store status").dataAlign(HorizontalAlign.LEFT).with(d -> str(d.storeStatus()) + (d.storeVersion() == null ? ""
              : " (v" + d.storeVersion() + ")")),
          new Column().header("source changed").with(d -> str(d.sourceChangedAt())))));
    }
    StringBuilder summary = new StringBuilder();
    r.counts().forEach((k, v) -> {
      if (v > 0) {
        summary.append(summary.length() == 0 ? "" : ", ").append(v).append(' ').append(k);
      }
    });
    o.printf("%d invoices in the issuing database, %d in the query store; %d of %d buckets differed, %d invoices compared; %.1f s (%s)%n",
        r.sourceInvoices(), r.storeInvoices(), r.bucketsDiffering(), r.bucketsCompared(), r.invoicesCompared(), r.seconds(), r.scheme());
    o.println(r.alarming() ? "NOT RECONCILED: " + summary : summary.length() == 0 ? "reconciled: every invoice visible at its latest state"
        : "reconciled (explained: " + summary + ")");
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
