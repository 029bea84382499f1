package io.invoicesync.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code invoice-sync} command. */
@Command(name = "invoice-sync", mixinStandardHelpOptions = true, version = "invoice-sync 0.1.0",
    description = "Event-driven invoice synchronization: issuing DB -> Debezium -> Kafka Streams -> query store.",
    subcommands = {DemoCommand.class, RunCommand.class, CommandLine.HelpCommand.class})
public final class InvoiceSyncCommand {

  public static void main(String[] args) {
    if (System.getProperty("invoicesync.log.file") == null) {
      System.setProperty("invoicesync.log.file", "invoice-sync.log");
    }
    int code = new CommandLine(new InvoiceSyncCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    System.exit(code);
  }
}
