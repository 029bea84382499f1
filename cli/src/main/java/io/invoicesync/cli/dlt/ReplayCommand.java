package io.invoicesync.cli.dlt;

import io.invoicesync.runtime.dlt.DeadLetter;
import io.invoicesync.runtime.dlt.Replayer;
import io.invoicesync.schemas.Topics;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code invoice-sync dlt replay}: sends chosen dead letters back into the pipeline, with replay
 * provenance ({@link Replayer}, which the console's operations page uses too). Where a record goes
 * depends on where it failed: a projector dead letter (a valid
 * state the store could not take) goes to the projector's retry topic, due at once, so only the
 * projector sees it again; the ERP-facing {@code invoices.synced} never carries a state twice.
 * Anything else goes back to its original topic.
 *
 * <p>The loop guard counts replays of the <i>record</i>: the replay-count header travels with it,
 * through a second failure, onto the dead-letter topic again; so a record that keeps failing is
 * refused after {@code --max-replays}, whichever dead-letter coordinates it has now. Replay runs
 * recorded on {@code invoice-sync.replays} count too (for dead letters replayed by older versions).
 */
@Command(name = "replay", exitCodeOnExecutionException = 2, mixinStandardHelpOptions = true,
    description = {"Send the chosen dead letters back into the pipeline, with replay headers: the projector's to its retry topic,",
        "sync-streams' and foreign ones to their original topic. A record replayed --max-replays times already is refused",
        "(loop guard). Every replay run is recorded on invoice-sync.replays."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every chosen dead letter was replayed (or would be, with --dry-run)",
        "1:some were refused by the loop guard or skipped (no original topic)", "2:the command failed"},
    footer = {"", "Examples:", "  invoice-sync dlt replay --bootstrap localhost:9092 --key inv-42 --dry-run",
        "  invoice-sync dlt replay --bootstrap kafka:9092 --error PSQLException --since 1d --rate 50"})
final class ReplayCommand implements Callable<Integer> {

  @Mixin
  DltCommand.Selection sel;
  @Option(names = "--dry-run", description = "Show what would be replayed; send nothing.")
  boolean dryRun;
  @Option(names = "--rate", defaultValue = "0", description = "Records per second; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
  double rate;
  @Option(names = "--max-replays", defaultValue = "3", description = "Refuse records already replayed this many times (default: ${DEFAULT-VALUE}).")
  int maxReplays;
  @Option(names = "--retry-topic", defaultValue = "invoices.synced.retry",
      description = "Where the projector's dead letters are replayed: its retry topic (default: ${DEFAULT-VALUE}).")
  String retryTopic;
  @Option(names = "--audit-topic", defaultValue = Topics.REPLAYS_NAME, description = "Where replay runs are recorded (default: ${DEFAULT-VALUE}).")
  String auditTopic;
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Replayer replayer = new Replayer(sel.kafka.clientConfig());
    List<DeadLetter> chosen = replayer.choose(sel.topics, sel.filter());
    Replayer.Options options = new Replayer.Options(dryRun, rate, maxReplays, retryTopic, auditTopic, System.getProperty("user.name", "unknown"));
    Map<String, Object> filters = Map.of("topics", sel.topics, "since", String.valueOf(sel.since), "error", String.valueOf(sel.error),
        "key", String.valueOf(sel.key));
    Replayer.Report report = replayer.replay(chosen, options, filters, item -> out.println(item.line(maxReplays)), line -> {
      err.println(line);
      err.flush();
    });
    out.println(report.summary());
    out.flush();
    return report.count(Replayer.Decision.REFUSED) + report.count(Replayer.Decision.SKIPPED) == 0 ? 0 : 1;
  }
}
