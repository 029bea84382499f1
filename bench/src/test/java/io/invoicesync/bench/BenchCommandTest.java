package io.invoicesync.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {

  private static CommandLine cli(StringWriter out, StringWriter err) {
    return new CommandLine(new BenchCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
  }

  @Test
  void helpListsEveryStepAndOption() {
    StringWriter out = new StringWriter();
    int code = cli(out, new StringWriter()).execute("--help");
    assertThat(code).isZero();
    assertThat(out.toString()).contains("--quick", "--only", "--out", "--seed", "--startup-runs",
        "startup, capture, e2e, kafka, upsert, peer, e2e50k, reconcile");
  }

  @Test
  void onlyTakesStepNamesInAnyCaseAndRefusesAnUnknownOneNamingIt() {
    BenchCommand cmd = new BenchCommand();
    new CommandLine(cmd).parseArgs("--only=e2e,PEER", "--seed", "42", "--out", "/tmp/x");
    assertThat(cmd.only).containsExactly(BenchCommand.Step.E2E, BenchCommand.Step.PEER);
    assertThat(cmd.seed).isEqualTo(42);
    assertThat(cmd.out).isEqualTo(Path.of("/tmp/x"));

    StringWriter err = new StringWriter();
    int code = cli(new StringWriter(), err).execute("--only=capture,e2f");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("unknown step 'e2f'", "startup, capture, e2e, kafka, upsert, peer, e2e50k, reconcile");
  }

  @Test
  void aQuickRunLeavesTheFiftyThousandInvoiceBacklogsOutUnlessOnlyNamesThem() {
    assertThat(BenchCommand.steps(EnumSet.noneOf(BenchCommand.Step.class), true)).doesNotContain(BenchCommand.Step.E2E50K)
        .contains(BenchCommand.Step.STARTUP, BenchCommand.Step.E2E, BenchCommand.Step.PEER);
    assertThat(BenchCommand.steps(EnumSet.noneOf(BenchCommand.Step.class), false))
        .containsExactlyElementsOf(EnumSet.complementOf(EnumSet.of(BenchCommand.Step.HISTORY, BenchCommand.Step.AGAINST, BenchCommand.Step.WEBHOOKS)));
    assertThat(BenchCommand.steps(EnumSet.of(BenchCommand.Step.E2E50K), true)).containsExactly(BenchCommand.Step.E2E50K);
    // a million historical invoices and the peer's snapshot of them take an hour: only when named
    assertThat(BenchCommand.steps(EnumSet.of(BenchCommand.Step.HISTORY), false)).containsExactly(BenchCommand.Step.HISTORY);
    // and the platform's 200,000-invoice export, too
    assertThat(BenchCommand.steps(EnumSet.of(BenchCommand.Step.AGAINST), false)).containsExactly(BenchCommand.Step.AGAINST);
    // and webhook delivery, a pipeline of its own
    assertThat(BenchCommand.steps(EnumSet.of(BenchCommand.Step.WEBHOOKS), true)).containsExactly(BenchCommand.Step.WEBHOOKS);

    BenchCommand cmd = new BenchCommand();
    new CommandLine(cmd).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--only=e2e50k,startup", "--startup-runs", "5");
    assertThat(cmd.only).containsExactlyInAnyOrder(BenchCommand.Step.E2E50K, BenchCommand.Step.STARTUP);
    assertThat(cmd.startupRuns).isEqualTo(5);
  }

  @Test
  void unknownOptionIsABadArgument() {
    StringWriter err = new StringWriter();
    assertThat(cli(new StringWriter(), err).execute("--quik")).isEqualTo(2);
    assertThat(err.toString()).contains("--quik");
  }
}
