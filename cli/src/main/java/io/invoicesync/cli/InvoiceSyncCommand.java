package io.invoicesync.cli;

import io.invoicesync.cli.audit.AuditCommand;
import io.invoicesync.cli.dlt.DltCommand;
import io.invoicesync.cli.history.HistoryCommand;
import io.invoicesync.cli.mapping.MappingCommand;
import io.invoicesync.cli.reconcile.ReconcileCommand;
import io.invoicesync.cli.reconcile.ResyncCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.UnmatchedArgumentException;

/** The {@code invoice-sync} command. */
@Command(name = "invoice-sync", mixinStandardHelpOptions = true, version = "invoice-sync 0.1.0",
    description = "Event-driven invoice synchronization: issuing DB -> Debezium -> Kafka Streams -> query store.",
    footer = {"", "Benchmark: bin/invoice-sync bench [--quick] [--only=STEPS] (its own JVM; bin/invoice-sync bench --help, bench/README.md)."},
    subcommands = {DemoCommand.class, RunCommand.class, InfraCommand.class, TraceCommand.class, ReconcileCommand.class, ResyncCommand.class,
        AuditCommand.class, ValidateCommand.class, MappingCommand.class, HistoryCommand.class, io.invoicesync.cli.imports.ImportCommand.class,
        DltCommand.class, io.invoicesync.cli.webhooks.WebhooksCommand.class, ConfigTemplateCommand.class, CommandLine.HelpCommand.class})
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
        .setExecutionStrategy(InvoiceSyncCommand::refuseUnmatchedThenRun)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println("invoice-sync: " + e.getClass().getSimpleName() + ": " + e.getMessage());
          cmd.getErr().flush();
          return cmd.getCommandSpec().exitCodeOnExecutionException();
        });
  }

  /**
   * Picocli lets a help option win over arguments it cannot match, so {@code invoice-sync nosuch --help}
   * would print the top-level usage and exit 0: a script (or a reader) could not tell a missing command
   * from a present one. An unmatched argument is refused first, as it is without {@code --help} (exit 2).
   */
  private static int refuseUnmatchedThenRun(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (!p.unmatched().isEmpty()) {
        throw new UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
      }
    }
    return new RunLast().execute(parsed);
  }
}
