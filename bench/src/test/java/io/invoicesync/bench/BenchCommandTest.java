package io.invoicesync.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
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
    assertThat(out.toString()).contains("--quick", "--only", "--out", "--seed", "capture, e2e, kafka, upsert, peer, reconcile");
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
    assertThat(err.toString()).contains("unknown step 'e2f'", "capture, e2e, kafka, upsert, peer, reconcile");
  }

  @Test
  void unknownOptionIsABadArgument() {
    StringWriter err = new StringWriter();
    assertThat(cli(new StringWriter(), err).execute("--quik")).isEqualTo(2);
    assertThat(err.toString()).contains("--quik");
  }
}
