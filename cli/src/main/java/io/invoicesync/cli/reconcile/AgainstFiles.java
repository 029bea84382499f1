package io.invoicesync.cli.reconcile;

import com.github.freva.asciitable.AsciiTable;
import com.github.freva.asciitable.Column;
import com.github.freva.asciitable.HorizontalAlign;
import io.invoicesync.cli.imports.ImportCommand;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.imports.FileReaders;
import io.invoicesync.imports.ImportProblem;
import io.invoicesync.imports.ImportRun;
import io.invoicesync.imports.ImportSink;
import io.invoicesync.imports.ImportedInvoice;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.imports.ImportDecisions;
import io.invoicesync.outcomes.reconcile.AgainstExport;
import io.invoicesync.outcomes.reconcile.ReconcileClass;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code reconcile --against FILE...}: the store against the tax platform's own export, which is the authority. */
final class AgainstFiles implements Callable<Integer> {

  private final ReconcileCommand options;
  private final PrintWriter out;
  private final PrintWriter err;

  AgainstFiles(ReconcileCommand options, PrintWriter out, PrintWriter err) {
    this.options = options;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    AgainstExport.Report report;
    List<ImportProblem> problems = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    RunConfig rc;
    try {
      if (options.config == null) {
        throw new IllegalArgumentException("--against needs --config (the query store, and Kafka for --import-missing)");
      }
      if (options.from != null && options.to != null && options.from.isAfter(options.to)) {
        throw new IllegalArgumentException("--from " + options.from + " is after --to " + options.to);
      }
      if (options.format == ReconcileCommand.Format.xlsx && options.out == null) {
        throw new IllegalArgumentException("--output xlsx writes a workbook: name it with --out FILE.xlsx");
      }
      rc = RunConfig.load(options.config);
      List<AgainstExport.Listed> listed = new ArrayList<>();
      for (Path file : FileReaders.expand(options.against)) {
        try {
          FileReaders.Summary s = FileReaders.read(file, new ImportSink() {
            @Override
            public void invoice(ImportedInvoice inv) {
              listed.add(AgainstExport.Listed.of(inv.invoice(), inv.where()));
            }

            @Override
            public void problem(ImportProblem p) {
              problems.add(p);
            }
          });
          err.printf("%s: %,d invoices listed%s%n", s.file(), s.invoices(), s.problems() == 0 ? "" : String.format(", %,d rows unreadable", s.problems()));
        } catch (io.invoicesync.imports.ImportFormatException e) {
          unreadable.add(e.getMessage());
          err.println(e.getMessage());
        }
      }
      err.flush();
      if (listed.isEmpty() && !unreadable.isEmpty()) {
        throw new IllegalArgumentException("no file could be read: " + String.join("; ", unreadable));
      }
      report = new AgainstExport(rc.store()).reconcile(listed, new AgainstExport.Scope(options.from, options.to, options.seller, options.buyer),
          line -> {
            err.println(line);
            err.flush();
          });
    } catch (Exception e) {
      err.println("reconcile --against: cannot run: " + e.getMessage());
      err.flush();
      return 2;
    }
    Map<String, Object> body = report.toJson();
    body.put("unreadableRows", problems.stream().map(ImportProblem::toString).toList());
    body.put("unreadableFiles", unreadable);
    if (options.importMissing) {
      Set<String> missing = new HashSet<>();
      report.entries().stream().filter(e -> e.kind() == ReconcileClass.MISSING)
          .forEach(e -> missing.add(ImportedInvoice.nationalId(e.invoiceCode(), e.invoiceNumber())));
      if (!missing.isEmpty()) {
        try {
          ImportRun.Report imported = ImportCommand.publish(rc, options.against, inv -> missing.contains(
              ImportedInvoice.nationalId(inv.invoice().getInvoiceCode(), inv.invoice().getInvoiceNumber())), line -> { });
          ImportDecisions d = ImportDecisions.await(rc.store(), imported.firstLsn(), imported.lastLsn(), imported.published(), Tenant.ALL,
              Duration.ofSeconds(options.timeoutSeconds), line -> {
                err.println(line);
                err.flush();
              });
          body.put("importedMissing", Map.of("import", imported.id(), "published", imported.published(), "decisions", d.toJson()));
          err.println("imported the " + imported.published() + " missing invoices:" + d.line().strip().replaceFirst("^pipeline:", ""));
        } catch (Exception e) {
          err.println("reconcile --against --import-missing: cannot import: " + e.getMessage());
          err.flush();
          return 2;
        }
      }
    }
    if (options.out != null) {
      if (options.format == ReconcileCommand.Format.xlsx) {
        AgainstWorkbook.write(options.out, report, problems);
      } else {
        Files.writeString(options.out, ReconcileCommand.JSON.writeValueAsString(body));
      }
    }
    if (options.format == ReconcileCommand.Format.json) {
      out.println(ReconcileCommand.JSON.writeValueAsString(body));
    } else {
      printTable(report, problems);
      if (options.format == ReconcileCommand.Format.xlsx) {
        out.println("written: " + options.out);
      }
    }
    out.flush();
    return report.alarming() || !problems.isEmpty() || !unreadable.isEmpty() ? 1 : 0;
  }

  private void printTable(AgainstExport.Report r, List<ImportProblem> problems) {
    List<AgainstExport.Entry> shown = r.entries().stream().limit(options.limit).toList();
    if (!shown.isEmpty()) {
      out.println(AsciiTable.getTable(AsciiTable.BASIC_ASCII_NO_DATA_SEPARATORS, shown, List.of(
          new Column().header("class").dataAlign(HorizontalAlign.LEFT).with(e -> e.kind().name()),
          new Column().header("invoice").dataAlign(HorizontalAlign.LEFT).with(e -> (e.invoiceCode() == null ? "" : e.invoiceCode() + " ")
              + e.invoiceNumber()),
          new Column().header("issued").with(e -> e.issueDate() == null ? "" : e.issueDate().toString()),
          new Column().header("seller").with(e -> e.sellerTaxId() == null ? "" : e.sellerTaxId()),
          new Column().header("what differs").dataAlign(HorizontalAlign.LEFT).maxWidth(70).with(e -> e.differences().isEmpty() ? e.explanation()
              : String.join("; ", e.differences().stream().map(d -> d.field() + " platform " + d.platform() + ", store " + d.store()).toList())))));
    }
    problems.forEach(p -> out.println("UNREADABLE " + p));
    StringBuilder summary = new StringBuilder();
    r.counts().forEach((k, v) -> summary.append(summary.length() == 0 ? "" : ", ").append(v).append(' ').append(k));
    out.printf("the platform lists %,d invoices (%,d in scope %s..%s%s%s); the store shows %,d; %.1f s%n", r.listed(), r.listedInScope(),
        r.scope().from(), r.scope().to(), r.scope().seller() == null ? "" : ", seller " + r.scope().seller(),
        r.scope().buyer() == null ? "" : ", buyer " + r.scope().buyer(), r.storeInScope(), r.seconds());
    out.println(r.alarming() ? "NOT RECONCILED: " + summary : summary.length() == 0 ? "reconciled: the store shows every invoice the platform lists, as listed"
        : "reconciled (explained: " + summary + ")");
  }
}
