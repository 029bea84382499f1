package io.invoicesync.cli.reconcile;

import io.invoicesync.outcomes.reconcile.Resyncer;
import io.invoicesync.outcomes.reconcile.Reconciler;
import io.invoicesync.cli.internal.OutputOption;
import com.fasterxml.jackson.databind.JsonNode;
import io.invoicesync.cli.internal.RunConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code invoice-sync resync}: repair through the source, by re-reading invoices with a Debezium incremental snapshot. */
@Command(name = "resync", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
    description = {"Ask ingest to re-read invoices from the issuing database (a Debezium incremental snapshot through its signal",
        "table), wait until each was validated again and made visible or rejected, then reconcile.",
        "Exit 0 when every re-read invoice was decided and nothing is MISSING, STALE or EXTRA afterwards; 1 otherwise; 2 when it cannot run."},
    footer = {"", "Examples:", "  invoice-sync resync --config prod.properties --ids inv-1,inv-2",
        "  invoice-sync resync --config prod.properties --from-report report.json",
        "  invoice-sync resync --config prod.properties --rejected --code LINE_TAX_MISMATCH",
        "  invoice-sync resync --config prod.properties --where \"issue_date >= DATE '2026-11-01'\""})
public final class ResyncCommand implements Callable<Integer> {

  static final class Selection {
    @Option(names = "--ids", split = ",", description = "These invoice ids.")
    List<String> ids;
    @Option(names = "--from-report", description = "The MISSING and STALE invoices of a reconcile report (reconcile --out FILE).")
    Path report;
    @Option(names = "--missing", description = "Reconcile now and re-read every MISSING and STALE invoice.")
    boolean missing;
    @Option(names = "--rejected", description = "Every invoice whose latest state is rejected (e.g. after a rule or tolerance change).")
    boolean rejected;
    @Option(names = "--where", description = "Invoices of the issuing database's invoice table matching this SQL condition.")
    String where;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Selection selection;
  @Option(names = "--code", description = "With --rejected: only invoices rejected with this rule code.")
  String code;
  @Option(names = "--source", paramLabel = "NAME", description = "With several issuing sources ('sources' in --config): the one to re-read "
      + "from (its database, mapping and signals from its sources.NAME.* block).")
  String sourceName;
  @Option(names = "--config", required = true, description = "A 'run' configuration: the issuing database and signal table from "
      + "ingest.* (resync writes its signal there), the store from projector.jdbc.*.")
  Path config;
  @Option(names = "--timeout", defaultValue = "300", description = "Seconds to wait for the re-reads to be decided (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;
  @Option(names = "--max", defaultValue = "100000", description = "Refuse to re-read more invoices than this at once (default: ${DEFAULT-VALUE}).")
  int max;
  @Mixin
  OutputOption output;
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    RunConfig rc;
    Resyncer resyncer;
    Reconciler reconciler;
    Set<String> ids;
    try {
      rc = RunConfig.load(config).selectSource(sourceName, "--source");
      resyncer = rc.resyncer();
      reconciler = rc.reconciler(rc.source(), null, rc.storeForWriter(), null, null);
      ids = select(resyncer, reconciler);
      if (code != null && !selection.rejected) {
        throw new IllegalArgumentException("--code goes with --rejected");
      }
      if (ids.size() > max) {
        throw new IllegalArgumentException(ids.size() + " invoices selected, more than --max " + max);
      }
    } catch (Exception e) {
      err.println("resync: cannot run: " + e.getMessage());
      err.flush();
      return 2;
    }
    Outcome result = run(resyncer, reconciler, ids, Duration.ofSeconds(timeoutSeconds), err);
    print(out, result);
    return result.ok() ? 0 : 1;
  }

  private Set<String> select(Resyncer resyncer, Reconciler reconciler) throws Exception {
    if (selection.ids != null) {
      return new TreeSet<>(selection.ids);
    }
    if (selection.report != null) {
      JsonNode report = ReconcileCommand.JSON.readTree(Files.readString(selection.report));
      Set<String> ids = new TreeSet<>();
      report.path("differences").forEach(d -> {
        if (List.of("MISSING", "STALE").contains(d.path("class").asText())) {
          ids.add(d.path("invoiceId").asText());
        }
      });
      return ids;
    }
    if (selection.missing) {
      return reconciler.reconcile(Reconciler.Scope.ALL, p -> { }).alarmIds();
    }
    if (selection.rejected) {
      return resyncer.rejected(code);
    }
    return resyncer.idsWhere(selection.where);
  }

  /** What a resync achieved: the invoices re-read, those still waiting, and the reconciliation after it. */
  record Outcome(Set<String> requested, boolean snapshotCompleted, Set<String> undecided, Reconciler.Report after) {
    boolean ok() {
      return undecided.isEmpty() && !after.alarming();
    }
  }

  static Outcome run(Resyncer resyncer, Reconciler reconciler, Set<String> ids, Duration timeout, PrintWriter err) throws Exception {
    Set<String> undecided = Set.of();
    boolean completed = false;
    if (!ids.isEmpty()) {
      var mark = resyncer.notificationMark();
      Instant sent = resyncer.signal(ids);
      completed = resyncer.awaitSnapshotCompleted(mark, timeout);
      if (!completed) {
        err.println("resync: no notification that Debezium's incremental snapshot completed (is ingest running, with "
            + "ingest.notifications.topic set?); waiting for the re-reads' decisions anyway");
      }
      int[] last = {-1};
      undecided = resyncer.await(ids, sent, timeout, done -> {
        if (done != last[0] && System.console() != null) {
          err.print("\rresync: " + done + " of " + ids.size() + " re-read and decided");
          err.flush();
        }
        last[0] = done;
      });
    }
    Reconciler.Report after = reconciler.reconcile(Reconciler.Scope.ALL, p -> { });
    return new Outcome(ids, completed, undecided, after);
  }

  void print(PrintWriter out, Outcome o) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("requested", o.requested().size());
    body.put("snapshotCompleted", o.snapshotCompleted());
    body.put("undecided", o.undecided());
    body.put("ok", o.ok());
    body.put("reconcile", o.after().toJson());
    if (output.json()) {
      out.println(ReconcileCommand.JSON.writeValueAsString(body));
    } else {
      out.printf("resync: %d invoices re-read%s, %d decided%s%n", o.requested().size(),
          o.snapshotCompleted() ? " (Debezium: incremental snapshot completed)" : "", o.requested().size() - o.undecided().size(),
          o.undecided().isEmpty() ? "" : "; still waiting: " + o.undecided());
      Map<String, Object> counts = new LinkedHashMap<>();
      o.after().counts().forEach((k, v) -> counts.put(k.name(), v));
      out.println("reconcile after it: " + (o.after().alarming() ? "NOT RECONCILED " : "reconciled ") + counts);
    }
    out.flush();
  }
}
