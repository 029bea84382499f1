package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.ExistingInvoices;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.testkit.TestHttp;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code invoice-sync history load}: an issuing platform's existing invoices, there before capture
 * began (the pipeline starts without an initial snapshot), loaded through the pipeline while new
 * invoices keep flowing, across an ingest stop and restart in the middle of the load, with its
 * progress in the command's answer and in {@code /status}. An invoice the stream already made
 * visible is read again by the load and not applied twice.
 */
class HistoryLoadIT {

  static final int HISTORY = 3_000;

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Pipeline pipeline;
  static Path config;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    try (Connection c = stack.pg.connect("issuing")) {
      c.setAutoCommit(false);
      ExistingInvoices.insert(c, "old-", 500_000, HISTORY, 1); // years of invoices, there before invoice-sync
      c.commit();
    }
    Map<String, String> cfg = stack.config();
    cfg.put("ingest.snapshot.mode", "no_data"); // capture starts now: what was there before is history
    cfg.put("ingest.debezium.incremental.snapshot.chunk.size", "20"); // many small chunks: the restart below falls in the middle of the load
    pipeline = stack.startPipeline(cfg);
    config = stack.writeConfig(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }


  static void issueNew(String id, long serial) throws Exception {
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute(PipelineIT.readmeSql().replace("hand-1", id).replace("'" + IssuingDay.digitalNumber(777) + "'",
          "'" + IssuingDay.digitalNumber(serial) + "'"));
    }
  }



  @Test
  void loadsTheExistingInvoicesWhileNewOnesFlowAcrossAnIngestRestartWithProgress() throws Exception {
    assertThat(stack.store("SELECT count(*) FROM invoice WHERE id LIKE 'old-%'")).as("no initial snapshot: history not captured").isEqualTo("0");
    // issued after capture began: the stream makes it visible before the load reads it again
    issueNew("new-1", 8_001);
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT version FROM invoice WHERE id = 'new-1'") != null);

    CompletableFuture<Cli.Result> load = CompletableFuture.supplyAsync(() -> Cli.run("history", "load", "--config", config.toString(),
        "--output", "json", "--interval", "500", "--timeout", "300"));
    // part way through, ingest stops and starts again (an operator's restart): the load resumes from Debezium's offsets
    await().atMost(Duration.ofMinutes(2)).until(() -> load.isDone()
        || Integer.parseInt(stack.store("SELECT count(*) FROM invoice WHERE id LIKE 'old-%'")) > 0);
    if (load.isDone()) {
      assertThat(load.get().exit()).as("the load ended early: " + load.get().out() + load.get().err()).isZero();
    }
    pipeline.stopIngest();
    assertThat(Integer.parseInt(stack.store("SELECT count(*) FROM invoice WHERE id LIKE 'old-%'"))).as("stopped in the middle of the load")
        .isLessThan(HISTORY);
    issueNew("new-2", 8_002); // issued while ingest is down: captured after its restart, beside the load
    pipeline.startIngest();
    // and invoices issued during the load are visible as they come, not after it
    issueNew("new-3", 8_003);
    await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT id FROM invoice WHERE id = 'new-3'") != null);

    Cli.Result r = load.get(5, TimeUnit.MINUTES);
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode progress = json.readTree(r.out());
    assertThat(progress.get("status").asText()).isEqualTo("DONE");
    assertThat(progress.get("total").asLong()).as("the old invoices and the three new ones: every row when the load began")
        .isBetween((long) HISTORY + 1, (long) HISTORY + 3);
    assertThat(progress.get("loaded").asLong()).isEqualTo(progress.get("total").asLong());
    assertThat(progress.get("id").asText()).startsWith("history-");

    assertThat(stack.store("SELECT count(*) FROM invoice WHERE id LIKE 'old-%'")).isEqualTo(Integer.toString(HISTORY));
    assertThat(stack.store("SELECT count(*) FROM invoice_line WHERE invoice_id LIKE 'old-%'")).as("with their lines").isEqualTo(Integer.toString(HISTORY));
    assertThat(stack.store("SELECT max(version) FROM invoice WHERE id LIKE 'old-%' OR id LIKE 'new-%'"))
        .as("a load's read of an invoice already visible is not applied again").isEqualTo("1");
    assertThat(Integer.parseInt(stack.store("SELECT count(*) FROM invoice_event WHERE invoice_id = 'new-1' AND event = 'DEDUPLICATED' "
        + "AND source_snapshot"))).as("the load read new-1 again and found it unchanged (twice if its chunk was re-read after the restart)")
        .isBetween(1, 2);
    assertThat(stack.store("SELECT count(*) FROM invoice WHERE id IN ('new-1', 'new-2', 'new-3')")).isEqualTo("3");

    // /status says where the load stands
    JsonNode status = json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/status").body());
    JsonNode history = status.get("history").get(0);
    assertThat(history.get("status").asText()).isEqualTo("DONE");
    assertThat(history.get("loaded").asLong()).isEqualTo(progress.get("total").asLong());
    assertThat(history.get("percent").asDouble()).isEqualTo(100.0);

    // --follow finds it again, and a condition that would write is refused before anything is signalled
    Cli.Result followed = Cli.run("history", "load", "--config", config.toString(), "--follow", "--output", "json");
    assertThat(followed.exit()).isZero();
    assertThat(json.readTree(followed.out()).get("id").asText()).isEqualTo(progress.get("id").asText());
    Cli.Result refused = Cli.run("history", "load", "--config", config.toString(), "--where", "nextval('issuing.nope') > 0");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("cannot run");
  }
}
