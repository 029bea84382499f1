package io.invoicesync.cli.internal;

import picocli.CommandLine.Option;

/** {@code -o/--output table|json}, one declaration for every command a script may read (an unknown format is refused, naming it). */
public final class OutputOption {

  /** How a command prints its answer. */
  public enum Format { table, json }

  @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json, for scripts (default: ${DEFAULT-VALUE}).")
  Format format;

  public boolean json() {
    return format == Format.json;
  }
}
