package io.invoicesync.cli.mapping;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.invoicesync.cli.internal.OutputOption;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.streams.SyncStreamsConfig;
import io.invoicesync.streams.rules.InvoiceValidator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code invoice-sync mapping}: how the issuing database's own tables become invoices. */
@Command(name = "mapping", mixinStandardHelpOptions = true, subcommands = MappingCommand.Check.class,
    description = "A mapping from the issuing database's own tables to invoices (ingest.mapping.file; docs/mapping.md).")
public final class MappingCommand {

  @Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Check a mapping against the issuing database, read-only, before anything is captured: the tables and every column it "
          + "reads, their kinds, that the key identifies one invoice, wal_level, REPLICA IDENTITY, the publication; then map the first "
          + "invoices and print what the pipeline would decide for each (VISIBLE, or REJECTED with reasons)."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:the mapping fits the database (sampled invoices may still be rejected: that is their data)",
          "1:the mapping has problems (each named)", "2:the configuration or the mapping file cannot be read, or the database not reached"},
      footer = {"", "Examples:", "  invoice-sync mapping check --config run.properties",
          "  invoice-sync mapping check --config run.properties --mapping my-tables.yaml --sample 20 --output json"})
  static final class Check implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--config", required = true, paramLabel = "FILE",
        description = "The run configuration: ingest.database.* (the issuing database), ingest.publication.name, ingest.mapping.file, "
            + "and streams.validation.* for the rules.")
    Path config;

    @Option(names = "--mapping", paramLabel = "FILE", description = "The mapping to check (default: ingest.mapping.file, else the reference mapping).")
    Path mappingFile;

    @Option(names = "--sample", paramLabel = "N", defaultValue = "10", description = "Invoices to map and judge (default ${DEFAULT-VALUE}; 0: none).")
    int sample;

    @Mixin
    OutputOption output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      RunConfig run;
      try {
        run = RunConfig.load(config);
      } catch (IOException | ConfigException e) {
        return fail(err, "cannot read --config " + config + ": " + e.getMessage());
      }
      String file = mappingFile != null ? mappingFile.toString() : run.get("ingest." + IngestConfig.MAPPING_FILE);
      Mapping mapping;
      try {
        mapping = file == null || file.isBlank() ? referenceOn(run) : Mapping.load(Path.of(file));
      } catch (IOException e) {
        return fail(err, "cannot read the mapping " + file + ": " + e.getMessage());
      } catch (Mapping.Invalid e) {
        if (output.json()) {
          print(out, Map.of("mapping", file, "ok", false, "problems", e.problems()));
        } else {
          out.println("mapping " + file + ": not valid");
          e.problems().forEach(p -> out.println("  PROBLEM " + p));
        }
        out.flush();
        return 1;
      }
      InvoiceValidator validator;
      LocalDate today;
      try {
        SyncStreamsConfig sc = run.offlineStreams();
        validator = new InvoiceValidator(sc.validationRules());
        today = LocalDate.now(sc.zone());
      } catch (ConfigException e) {
        return fail(err, "--config " + config + ": " + e.getMessage());
      }
      DataSource issuing = run.issuing();
      String publication = run.ingest(IngestConfig.PUBLICATION_NAME); // ingest's default when not set
      MappingCheck.Report report;
      try (Connection c = issuing.getConnection()) {
        report = new MappingCheck(mapping, validator, today).run(c, publication, Math.max(0, sample));
      } catch (SQLException e) {
        return fail(err, "cannot check against the issuing database (ingest.database.*): " + e.getMessage());
      }
      if (output.json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mapping", report.mapping());
        m.put("ok", report.ok());
        m.put("problems", report.problems());
        m.put("notes", report.notes());
        m.put("samples", report.samples());
        print(out, m);
      } else {
        out.println("mapping " + report.mapping() + ": " + (report.ok() ? "fits the database" : report.problems().size() + " problem"
            + (report.problems().size() == 1 ? "" : "s")));
        report.problems().forEach(p -> out.println("  PROBLEM " + p));
        report.notes().forEach(n -> out.println("  note    " + n));
        if (!report.samples().isEmpty()) {
          long visible = report.samples().stream().filter(s -> s.decision().equals("VISIBLE")).count();
          out.println("sampled " + report.samples().size() + " invoices: " + visible + " would be VISIBLE, " + (report.samples().size() - visible)
              + " REJECTED");
          for (MappingCheck.Sample s : report.samples()) {
            out.printf("  %-40s %-9s %s%n", s.key(), s.decision(), s.id() == null ? "" : "id " + s.id());
            s.reasons().forEach(r -> out.println("      " + r));
          }
        }
      }
      out.flush();
      return report.ok() ? 0 : 1;
    }

    /** The reference mapping on the tables ingest captures without a mapping file (ingest.source.*, with ingest's defaults). */
    private static Mapping referenceOn(RunConfig run) {
      String schema = run.ingest(IngestConfig.SOURCE_SCHEMA);
      return Mapping.reference().withTables(new Mapping.TableName(schema, run.ingest(IngestConfig.INVOICE_TABLE)),
          new Mapping.TableName(schema, run.ingest(IngestConfig.LINE_TABLE)));
    }

    private static void print(PrintWriter out, Object value) {
      try {
        out.println(JSON.writeValueAsString(value));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private static int fail(PrintWriter err, String message) {
      err.println("invoice-sync mapping check: " + message);
      err.flush();
      return 2;
    }
  }
}
