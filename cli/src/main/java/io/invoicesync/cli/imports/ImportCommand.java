package io.invoicesync.cli.imports;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.invoicesync.cli.internal.OutputOption;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.imports.FileReaders;
import io.invoicesync.imports.ImportProblem;
import io.invoicesync.imports.ImportRun;
import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.imports.ImportDecisions;
import io.invoicesync.outcomes.imports.KnownInvoices;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.Serde;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code invoice-sync import}: the tax platform's own files into the pipeline, as a source of their own. */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Import invoices from the tax platform's own files: 数电票 XML, OFD, the query export (全量发票查询导出) as xlsx or CSV. "
        + "Each invoice goes through the pipeline like a captured one (validated, deduplicated, audited), as source 'import', with the file, "
        + "its SHA-256 and the sheet and row or XML path in its audit entry and trace. An invoice the store already has from an issuing "
        + "database (same 数电票 number, or code and number) is the same invoice: the same content is deduplicated, other content rejected "
        + "(SOURCE_CONFLICT) naming the fields. Importing a file twice changes nothing. A row that cannot be read is reported with its "
        + "row and why; the rest is imported."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every invoice was read and decided (visible, deduplicated, or rejected with reasons: see the report)",
        "1:some rows or files could not be read, or the pipeline had not decided every invoice within --wait",
        "2:nothing could be imported: the configuration, Kafka or the store cannot be reached"},
    footer = {"", "Examples:", "  invoice-sync import --config run.properties 全量发票查询导出_202611.xlsx",
        "  invoice-sync import --config run.properties invoices/            # every .xml .ofd .xlsx .csv in it",
        "  invoice-sync import --dry-run --output json export.csv           # read and check only; nothing is sent"})
public final class ImportCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Parameters(paramLabel = "FILE|DIR", arity = "1..*", description = "Files (.xml, .ofd, .xlsx, .csv) and directories of them.")
  List<Path> paths;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The run configuration: bootstrap.servers (and security), schema.registry.url, the store (api.store.*). Not needed with --dry-run.")
  Path config;

  @Option(names = "--dry-run", description = "Read the files and report what they hold and what cannot be read; send nothing.")
  boolean dryRun;

  @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "300",
      description = "How long to wait for the pipeline's decision on every imported invoice, to report them (0: do not wait; default: ${DEFAULT-VALUE}).")
  long waitSeconds;

  @Mixin
  OutputOption output;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (config == null && !dryRun) {
      err.println("import: --config is required to import (or --dry-run to read the files only)");
      err.flush();
      return 2;
    }
    RunConfig rc = null;
    ImportRun.Report report;
    ImportDecisions decisions = null;
    try {
      if (dryRun) {
        report = new ImportRun(null, null, null, progress(err)).run(paths);
      } else {
        rc = RunConfig.load(config);
        report = publish(rc, paths, inv -> true, progress(err));
        if (waitSeconds > 0 && report.published() > 0) {
          decisions = ImportDecisions.await(rc.store(), report.firstLsn(), report.lastLsn(), report.published(), Tenant.ALL,
              Duration.ofSeconds(waitSeconds), progress(err));
        }
      }
    } catch (Exception e) {
      err.println("import: cannot run: " + e.getMessage());
      err.flush();
      return 2;
    }
    if (output.json()) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("id", report.id());
      j.put("dryRun", report.dryRun());
      j.put("startedAt", report.startedAt().toString());
      j.put("files", report.files());
      j.put("invoices", report.invoices());
      j.put("published", report.published());
      j.put("problems", report.problems().stream().map(ImportProblem::toJson).toList());
      j.put("unreadableFiles", report.failedFiles());
      if (decisions != null) {
        j.put("decisions", decisions.toJson());
      }
      out.println(JSON.writeValueAsString(j));
    } else {
      print(out, report, decisions);
    }
    out.flush();
    boolean complete = decisions == null || decisions.pending == 0;
    return report.problems().isEmpty() && report.failedFiles().isEmpty() && complete ? 0 : 1;
  }

  /**
   * Reads {@code paths} and sends the invoices {@code wanted} accepts to the imported topic of {@code rc}'s deployment; an invoice the
   * store knows by its number (and code) keeps the store's id. Shared by 'reconcile --against --import-missing'.
   */
  public static ImportRun.Report publish(RunConfig rc, List<Path> paths, java.util.function.Predicate<io.invoicesync.imports.ImportedInvoice> wanted,
                                         java.util.function.Consumer<String> progress) throws SQLException {
    String topic = rc.get("streams.topic.imported") != null ? rc.get("streams.topic.imported") : Topics.IMPORTED.name();
    SerdeFactory serdes = SerdeFactory.of(rc.get(SerdeFactory.REGISTRY_URL_CONFIG), rc.values());
    Map<String, Object> p = new LinkedHashMap<>(rc.kafkaClientConfig());
    p.putAll(ImportRun.producerSettings("invoice-sync-import"));
    Serde<InvoiceChange> values = serdes.valueSerde(InvoiceChange.class);
    try (KafkaProducer<String, InvoiceChange> producer = new KafkaProducer<>(p, serdes.keySerde().serializer(), values.serializer());
         KnownInvoices known = new KnownInvoices(rc.store())) {
      return new ImportRun(producer, topic, known::idOf, progress).run(paths, wanted);
    }
  }

  static java.util.function.Consumer<String> progress(PrintWriter err) {
    return line -> {
      err.println(line);
      err.flush();
    };
  }

  private static void print(PrintWriter out, ImportRun.Report r, ImportDecisions d) {
    out.printf("import %s%s: %,d file(s), %,d invoice(s) read, %,d sent to the pipeline%n", r.id(), r.dryRun() ? " (dry run)" : "",
        r.files().size(), r.invoices(), r.published());
    for (FileReaders.Summary f : r.files()) {
      out.printf("  %-40s %-4s sha256 %s…  rows %,d  invoices %,d  lines %,d  problems %,d%n", f.file(), f.format(), f.sha256().substring(0, 12),
          f.rows(), f.invoices(), f.lines(), f.problems());
    }
    for (String f : r.failedFiles()) {
      out.println("  UNREADABLE " + f);
    }
    for (ImportProblem p : r.problems()) {
      out.println("  PROBLEM " + p);
    }
    if (d != null) {
      out.println(d.line());
      d.rejections.forEach((code, n) -> out.printf("    %s: %,d%n", code, n));
    }
  }
}
