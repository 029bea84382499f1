package io.invoicesync.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** {@code invoice-sync} run in-process as its user would run it: the exit code and what it printed to each stream. */
public final class Cli {

  public record Result(int exit, String out, String err) {
    /** What it printed, both streams: for a failed assertion's message. */
    public String text() {
      return out + "\n" + err;
    }

    /** The standard output as JSON ({@code --output json}). */
    public com.fasterxml.jackson.databind.JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new AssertionError("not JSON: " + text(), e);
      }
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  public static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  private Cli() {
  }
}
