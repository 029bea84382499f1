package io.invoicesync.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import io.invoicesync.testkit.GitState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command's options and the results files (the scenarios themselves run with bin/invoice-sync chaos, not in mvn verify). */
class ChaosCommandTest {

  @TempDir
  Path dir;

  @Test
  void anUnknownScenarioIsRefusedNamingItAndTheKnownOnes() {
    StringWriter err = new StringWriter();
    int code = new CommandLine(new ChaosCommand()).setErr(new PrintWriter(err)).execute("--only", "kill-pipeline,kill-everything");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("kill-everything", "kill-projector", "poison-huge-invoice");
  }

  @Test
  void everyScenarioOfTheIssueHasItsId() {
    assertThat(Scenario.byId().keySet()).containsExactly("kill-pipeline", "kill-ingest", "kill-streams", "kill-projector", "broker-bounce",
        "broker-loss-rf3", "issuing-db-outage", "store-outage", "store-read-only", "registry-outage", "slot-dropped", "source-restored",
        "poison-huge-invoice", "poison-null", "poison-column-renamed", "toast-wide-rows", "retry-retention", "projector-restart-parked",
        "webhook-receiver-down", "kill-webhooks");
    assertThat(Scenario.parse(" kill-ingest ,kill-ingest")).containsExactly(Scenario.KILL_INGEST);
  }

  @Test
  void resultsAreATableFirstAndJsonKeyedByScenario() throws Exception {
    Judge.Verdict clean = new Judge.Verdict(0, 0, 0, 0, 0, 0, 0, 12, 0, 400, 388, List.of(), 0);
    Judge.Verdict lossy = new Judge.Verdict(2, 1, 0, 0, 0, 0, 0, 12, 0, 400, 386, List.of("MISSING: chaos-x-1"), 0);
    List<ScenarioRunner.Result> results = List.of(
        new ScenarioRunner.Result(Scenario.KILL_PIPELINE, 3, 400, clean, List.of(4.2, 6.0, 5.1), 0, 90, "", 120, List.of(true, true, true),
            false, List.of("", "chaos-x-7: created 2026-11-27T18:00:01Z, committed +0.00 s, captured +0.10 s", "")),
        new ScenarioRunner.Result(Scenario.BROKER_BOUNCE, 1, 400, lossy, List.of(-1.0), 1, 60, "1 process(es) exited on the fault and were restarted",
            30, List.of(true), false),
        new ScenarioRunner.Result(Scenario.REGISTRY_OUTAGE, 0, 0, null, List.of(), 0, 0, Scenario.REGISTRY_OUTAGE.notRun, 0, List.of(), false));
    ChaosReport.write(dir, results, new ChaosReport.Run(true, Instant.parse("2026-11-27T18:00:00Z"), 150, "invoice-sync chaos --quick",
        new GitState("0123456789abcdef0123456789abcdef01234567", false, List.of()), null));

    String md = Files.readString(dir.resolve("latest.md"));
    assertThat(md.lines().findFirst().orElseThrow()).startsWith("| scenario | rounds | issued | lost | duplicate versions | stale");
    assertThat(md).contains("| kill-pipeline | 3 | 400 | 0 | 0 | 0 | 0 | 6.0 | yes |", "| broker-bounce | 1 | 400 | 2 | 1 |", "**no**",
        "registry-outage", "not run: not applicable", "MISSING: chaos-x-1");
    JsonNode json = new ObjectMapper().readTree(dir.resolve("latest.json").toFile());
    JsonNode kill = json.get("scenarios").get("kill-pipeline");
    for (String key : List.of("rounds", "invoices_issued", "lost", "duplicate_versions", "stale", "spurious_rejections", "recovery_s", "passed")) {
      assertThat(kill.has(key)).as(key).isTrue();
    }
    assertThat(kill.get("passed").asBoolean()).isTrue();
    assertThat(kill.get("recovery_s").asDouble()).isEqualTo(6.0);
    assertThat(kill.get("recovery_waited_for_each").get(1).asText()).as("what the slowest round waited for").startsWith("chaos-x-7: created");
    assertThat(json.get("scenarios").get("broker-bounce").get("passed").asBoolean()).isFalse();
    assertThat(json.get("scenarios").get("registry-outage").get("passed").isNull()).as("not run: neither passed nor failed").isTrue();
    // the results name the tree they ran at, and say whether the suite ran to its end
    assertThat(json.get("commit").asText()).isEqualTo("0123456789abcdef0123456789abcdef01234567");
    assertThat(json.get("dirty").asBoolean()).isFalse();
    assertThat(json.get("aborted").isNull()).isTrue();
    assertThat(md).contains("Commit 0123456789abcdef0123456789abcdef01234567, clean tree.");
    assertThat(json.get("scenarios").get("broker-bounce").get("failures").toString()).contains("did not recover", "exited on a fault");

    ChaosReport.write(dir, results.subList(0, 1), new ChaosReport.Run(true, Instant.parse("2026-11-27T18:00:00Z"), 20,
        "invoice-sync chaos --quick", new GitState("abc", true, List.of("chaos/x.java")), "IllegalStateException: the broker did not start"));
    assertThat(Files.readString(dir.resolve("latest.md"))).contains("with uncommitted changes in the tree (chaos/x.java)",
        "**The suite was aborted** (IllegalStateException: the broker did not start)");
  }
}
