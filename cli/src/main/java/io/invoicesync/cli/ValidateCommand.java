package io.invoicesync.cli;

import io.invoicesync.cli.internal.InvoiceJson;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.streams.SyncStreamsConfig;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.Violation;
import io.invoicesync.streams.rules.InvoiceValidator;
import io.invoicesync.streams.rules.ValidationRules;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code invoice-sync validate}: sync-streams' own rules, offline, for integrators. */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = {"Validate invoices in the documented JSON form (what GET /api/v1/invoices/{id} returns) with the same rules as sync-streams.",
        "Rules that need other invoices (status history, red-letter invoices against their blue ones) are not applied offline."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every invoice is valid", "1:at least one invoice is invalid", "2:the input cannot be read as invoices"},
    footer = {"", "Examples:", "  invoice-sync validate invoice.json", "  curl -s localhost:8080/api/v1/invoices/hand-1 | invoice-sync validate -",
        "  invoice-sync validate --today 2026-11-24 batch.json   # a JSON array of invoices"})
final class ValidateCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE|-", description = "A JSON invoice or array of invoices; '-' reads standard input.")
  String input;

  @Option(names = "--today", description = "The date that date rules judge by (default: today in the configured zone, Asia/Shanghai).")
  LocalDate today;

  @Option(names = "--config", paramLabel = "FILE",
      description = "A run configuration: its streams.validation.* tolerances, tax rates and issue age, and streams.zone, are applied "
          + "(default: sync-streams' defaults).")
  Path config;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Invoice> invoices = new ArrayList<>();
    try (InputStream in = "-".equals(input) ? System.in : Files.newInputStream(Path.of(input))) {
      invoices.addAll(InvoiceJson.readAll(in));
    } catch (IOException | InvoiceJson.Unreadable e) {
      err.println("invoice-sync validate: cannot read " + ("-".equals(input) ? "standard input" : input) + ": " + e.getMessage());
      err.flush();
      return 2;
    }
    ValidationRules rules = ValidationRules.defaults();
    ZoneId zone = ZoneId.of("Asia/Shanghai");
    if (config != null) {
      try {
        SyncStreamsConfig sc = RunConfig.load(config).offlineStreams();
        rules = sc.validationRules();
        zone = sc.zone();
      } catch (IOException e) {
        err.println("invoice-sync validate: cannot read --config " + config + ": " + e.getMessage());
        err.flush();
        return 2;
      } catch (ConfigException e) {
        err.println("invoice-sync validate: --config " + config + ": " + e.getMessage().replace("configuration ", "configuration streams."));
        err.flush();
        return 2;
      }
    }
    InvoiceValidator validator = new InvoiceValidator(rules);
    LocalDate day = today != null ? today : LocalDate.now(zone);
    int invalid = 0;
    for (Invoice inv : invoices) {
      List<Violation> violations = validator.validate(inv, null, day);
      if (violations.isEmpty()) {
        out.println(inv.getId() + ": valid");
        continue;
      }
      invalid++;
      out.println(inv.getId() + ": " + violations.size() + " violation" + (violations.size() == 1 ? "" : "s"));
      for (Violation v : violations) {
        out.printf("  %-28s %-26s value=%s expected=%s%n    %s%n", v.getCode(), v.getField(), v.getValue(), v.getExpected(), v.getMessage());
      }
    }
    out.printf("%d invoice%s, %d invalid%n", invoices.size(), invoices.size() == 1 ? "" : "s", invalid);
    out.flush();
    return invalid == 0 ? 0 : 1;
  }
}
