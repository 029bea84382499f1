package io.invoicesync.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code invoice-sync} command. */
@Command(name = "invoice-sync", mixinStandardHelpOptions = true, version = "invoice-sync 0.1.0",
    description = "Event-driven invoice synchronization: issuing DB -> Debezium -> Kafka Streams -> query store.",
    footer = {"", "Benchmark: bin/invoice-sync bench [--quick] [--only=STEPS] (its own JVM; bin/invoice-sync bench --help, bench/README.md)."},
    subcommands = {DemoCommand.class, RunCommand.class, InfraCommand.class, TraceCommand.class, io.invoicesync.cli.reconcile.ReconcileCommand.class, io.invoicesync.cli.reconcile.ResyncCommand.class, io.invoicesync.cli.audit.AuditCommand.class, ValidateCommand.class, io.invoicesync.cli.dlt.DltCommand.class, ConfigTemplateCommand.class, CommandLine.HelpCommand.class})
public final class InvoiceSyncCommand {

  public static void main(String[] args) {
    if (System.getProperty("invoicesync.log.file") == null) {
      System.setProperty("invoicesync.log.file", "invoice-sync.log");
    }
    System.exit(commandLine().execute(args));
  }

  /**
   * The configured command line: configuration and start-up errors print as one line naming what is
   * wrong, with the command's own exit code for "could not run" (1 unless a command documents another,
   * as trace, audit, reconcile, resync and dlt replay do with 2).
   */
  public static CommandLine commandLine() {
    return new CommandLine(new InvoiceSyncCommand())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("invoice-sync: " + e.getClass().getSimpleName() + ": " + e.getMessage());
          cmd.getErr().flush();
          return cmd.getCommandSpec().exitCodeOnExecutionException();
        });
  }
}
