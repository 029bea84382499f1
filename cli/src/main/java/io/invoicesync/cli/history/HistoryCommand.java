package io.invoicesync.cli.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.invoicesync.cli.internal.OutputOption;
import io.invoicesync.cli.internal.RunConfig;
import io.invoicesync.outcomes.history.HistoryLoad;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code invoice-sync history}: the initial load of an issuing platform's existing invoices. */
@Command(name = "history", mixinStandardHelpOptions = true, subcommands = HistoryCommand.Load.class,
    description = "The initial load of an issuing platform's existing invoices (years of them), while new ones keep flowing.")
public final class HistoryCommand {

  @Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Load the issuing tables' existing invoices through the pipeline (validated, audited, visible), while new invoices keep "
          + "flowing: ingest reads them in chunks between the stream's events (a Debezium incremental snapshot) and keeps its place, so a "
          + "killed or restarted ingest resumes the load. Progress (rows, rate, ETA) here and in /status's 'history'. An invoice already "
          + "in the store is not applied again."},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:every row was loaded (visible, or rejected with reasons)", "1:--timeout passed first (the load goes on: --follow)",
          "2:the configuration cannot be read, the condition is refused, or a database is not reached"},
      footer = {"", "Examples:", "  invoice-sync history load --config run.properties",
          "  invoice-sync history load --config run.properties --where \"kprq < '20260101'\"   # your own columns",
          "  invoice-sync history load --config run.properties --source legacy --follow --output json"})
  public static final class Load implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--config", required = true, paramLabel = "FILE",
        description = "The run configuration: the issuing database, its tables or mapping, and ingest's signal channel (ingest.*), the store.")
    Path config;

    @Option(names = "--source", paramLabel = "NAME", description = "With several issuing sources ('sources'): the one to load.")
    String sourceName;

    @Option(names = "--where", paramLabel = "CONDITION",
        description = "Only the header rows this SQL condition on the header table's own columns selects (checked read-only first).")
    String where;

    @Option(names = "--follow", description = "Follow the newest load of this source instead of starting one (after this command was stopped).")
    boolean follow;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "86400",
        description = "Stop following after this long; the load itself goes on (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(names = "--interval", paramLabel = "MS", defaultValue = "2000", description = "How often progress is measured (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @Mixin
    OutputOption output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      HistoryLoad load;
      HistoryLoad.Progress p;
      try {
        RunConfig rc = RunConfig.load(config).selectSource(sourceName, "--source");
        load = new HistoryLoad(rc.resyncer(), rc.storeForWriter(), rc.sourceName());
        if (follow) {
          Optional<HistoryLoad.Progress> latest = load.latest();
          if (latest.isEmpty()) {
            throw new IllegalArgumentException("no history load to follow" + (rc.sourceName() == null ? "" : " for source " + rc.sourceName()));
          }
          p = latest.get();
        } else {
          p = load.start(where);
          err.println("history load " + p.id() + ": " + p.total() + " invoices to load" + (where == null ? "" : " where " + where));
          err.flush();
        }
      } catch (Exception e) {
        err.println("history load: cannot run: " + e.getMessage());
        err.flush();
        return 2;
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
      try (ProgressBar bar = progress(p.total())) {
        p = follow(load, p, bar, err, deadline);
      } catch (SQLException e) {
        err.println("history load " + p.id() + ": cannot measure its progress in the store: " + e.getMessage()
            + " (the load goes on: --follow)");
        err.flush();
        return 2;
      }
      if (output.json()) {
        out.println(JSON.writeValueAsString(p.toJson()));
      } else {
        out.println(line(p));
      }
      out.flush();
      return p.done() ? 0 : 1;
    }

    private HistoryLoad.Progress follow(HistoryLoad load, HistoryLoad.Progress start, ProgressBar bar, PrintWriter err, long deadline)
        throws SQLException, InterruptedException {
      HistoryLoad.Progress p = start;
      while (true) {
        p = load.measure(p);
        if (bar != null) {
          bar.stepTo(p.loaded());
          bar.setExtraMessage(p.etaSeconds() == null ? "" : "ETA " + Duration.ofSeconds(p.etaSeconds()));
        } else if (!output.json()) {
          err.println(line(p));
          err.flush();
        }
        if (p.done() || System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(intervalMs); // the measuring period: progress is counted in the store, not waited for
      }
      return p;
    }

    static String line(HistoryLoad.Progress p) {
      return String.format("history load %s: %s, %,d of %,d invoices%s%s", p.id(), p.status(), p.loaded(), p.total(),
          p.ratePerSecond() == null ? "" : String.format(", %,.0f/s", p.ratePerSecond()),
          p.etaSeconds() == null || p.done() ? "" : ", ETA " + Duration.ofSeconds(p.etaSeconds()));
    }

    private static ProgressBar progress(long total) {
      if (System.console() == null) {
        return null;
      }
      return new ProgressBarBuilder().setTaskName("history").setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
          .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).showSpeed().build();
    }
  }
}
