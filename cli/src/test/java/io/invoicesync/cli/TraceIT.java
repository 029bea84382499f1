package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.InvoiceGenerator;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.embedded.EmbeddedKafkaBroker;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.testkit.IssuingInvoice;
import io.invoicesync.testkit.TestHttp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Where is my invoice?" on the embedded stack (real PostgreSQL, Debezium, broker, Streams,
 * projector, outcome recorder, API): each outcome a clerk can meet, asked by id and by invoice
 * number, through the API and the CLI.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TraceIT {

  static final String SELLER = IssuingInvoice.SELLER_TAX_ID;
  static final AtomicInteger SEQ = new AtomicInteger(500);

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static EmbeddedPostgresServer pg;
  static EmbeddedKafkaBroker kafka;
  static Pipeline pipeline;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    pg = stack.pg;
    kafka = stack.kafka;
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      // the query store refuses rows of invoices listed in 'blocked' (P0001: a record-specific transient failure)
      s.execute("""
          CREATE TABLE blocked (id varchar(64) PRIMARY KEY);
          CREATE TABLE poisoned (id varchar(64) PRIMARY KEY);
          CREATE FUNCTION refuse_blocked() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF EXISTS (SELECT 1 FROM blocked WHERE id = NEW.id) THEN RAISE EXCEPTION 'invoice % is blocked by the test', NEW.id; END IF;
            IF EXISTS (SELECT 1 FROM poisoned WHERE id = NEW.id) THEN
              RAISE EXCEPTION 'invoice % cannot be stored (test)', NEW.id USING ERRCODE = '22023';
            END IF;
            RETURN NEW;
          END $$;
          CREATE TRIGGER invoice_blocked BEFORE INSERT OR UPDATE ON invoice FOR EACH ROW EXECUTE FUNCTION refuse_blocked();
          """);
    }
    Map<String, String> cfg = stack.config();
    cfg.put("projector.retry.backoff.initial.ms", "200");
    cfg.put("projector.retry.backoff.max.ms", "1000");
    cfg.put("projector.retry.max.attempts", "1000");
    pipeline = stack.startPipeline(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void shouldTraceAValidInvoiceAsVisibleAndFindItByNumber() throws Exception {
    String number = issue("t-valid", "1130.00", "1000.00", "130.00", null);

    JsonNode t = awaitOutcome("t-valid", "VISIBLE");
    assertThat(t.get("visibleVersion").asInt()).isEqualTo(1);
    JsonNode timeline = t.get("timeline");
    for (String step : List.of("sourceCommit", "captured", "synced", "projected")) {
      assertThat(timeline.get(step).isNull()).as("timeline." + step).isFalse();
    }
    assertThat(events(t)).containsSubsequence("APPLIED", "PROJECTED");
    example("VISIBLE", t);

    JsonNode found = get("/api/v1/invoices?invoiceNumber=" + number);
    assertThat(found.get("items").get(0).get("id").asText()).isEqualTo("t-valid");
    assertThat(raw("/api/v1/invoices?invoiceNumber=" + number)).as("money keeps its scale").contains("\"grandTotal\":1130.00");
    assertThat(raw("/api/v1/invoices/t-valid")).contains("\"totalTax\":130.00");
  }

  @Test
  @Order(2)
  void shouldTraceAWrongGrandTotalAsRejectedWithTheValues() throws Exception {
    String number = issue("t-grand", "1131.00", "1000.00", "130.00", null);

    JsonNode t = awaitOutcome("t-grand", "REJECTED");
    JsonNode v = violation(t, "GRAND_TOTAL_MISMATCH");
    assertThat(v.get("field").asText()).isEqualTo("grandTotal");
    assertThat(v.get("value").asText()).isEqualTo("1131.00");
    assertThat(v.get("expected").asText()).isEqualTo("1130.00");
    assertThat(v.get("message").asText()).isNotBlank();
    assertThat(t.get("visibleVersion").isNull()).isTrue();
    example("REJECTED", t);
    assertThat(violation(get("/api/v1/invoices/t-grand/trace?lang=zh"), "GRAND_TOTAL_MISMATCH").get("localizedMessage").asText())
        .startsWith("价税合计").contains("1131.00");

    JsonNode found = get("/api/v1/invoices?invoiceNumber=" + number);
    assertThat(found.get("items")).isEmpty();
    assertThat(found.get("notVisible").get(0).get("invoiceId").asText()).isEqualTo("t-grand");
    assertThat(found.get("notVisible").get(0).get("outcome").asText()).isEqualTo("REJECTED");
    assertThat(found.get("notVisible").get(0).get("trace").asText()).isEqualTo("/api/v1/invoices/t-grand/trace");
    JsonNode rejections = get("/api/v1/rejections?sellerTaxId=" + SELLER + "&code=GRAND_TOTAL_MISMATCH");
    assertThat(rejections.get("items").findValuesAsText("invoiceId")).contains("t-grand");
  }

  @Test
  @Order(3)
  void shouldTraceARedInvoiceOneCentOverItsBlueAsRejected() throws Exception {
    String blueNumber = issue("t-blue", "1130.00", "1000.00", "130.00", null);
    awaitOutcome("t-blue", "VISIBLE");

    String number = issue("t-red", "-1130.01", "-1000.01", "-130.00", blueNumber);

    JsonNode t = awaitOutcome("t-red", "REJECTED");
    assertThat(violation(t, "RED_EXCEEDS_BLUE").get("field").asText()).isNotBlank();
    assertThat(events(t)).containsSubsequence("AWAITING_RED", "REJECTED");
    JsonNode found = get("/api/v1/invoices?invoiceNumber=" + number);
    assertThat(found.get("notVisible").get(0).get("outcome").asText()).isEqualTo("REJECTED");
  }

  @Test
  @Order(4)
  void shouldShowARowRetriedInTheProjectorThenVisible() throws Exception {
    sql("querystore", "INSERT INTO blocked VALUES ('t-retry')");
    String number = issue("t-retry", "1130.00", "1000.00", "130.00", null);

    JsonNode retrying = awaitOutcome("t-retry", "IN_FLIGHT");
    await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(events(trace("t-retry"))).contains("RETRIED"));
    assertThat(retrying.get("explanation").asText()).isNotBlank();
    example("IN_FLIGHT", trace("t-retry"));
    assertThat(get("/api/v1/invoices?invoiceNumber=" + number).get("notVisible").get(0).get("outcome").asText()).isEqualTo("IN_FLIGHT");

    sql("querystore", "DELETE FROM blocked");

    JsonNode t = awaitOutcome("t-retry", "VISIBLE");
    assertThat(events(t)).containsSubsequence("APPLIED", "RETRIED", "PROJECTED");
    JsonNode retried = stream(t.get("history")).stream().filter(e -> e.get("event").asText().equals("RETRIED")).findFirst().orElseThrow();
    assertThat(retried.get("detail").asText()).contains("blocked by the test");
    assertThat(retried.get("stage").asText()).isEqualTo("projector");
  }

  @Test
  @Order(5)
  void shouldShowAStatusChangeAsTwoVersions() throws Exception {
    String number = issue("t-status", "1130.00", "1000.00", "130.00", null);
    awaitOutcome("t-status", "VISIBLE");

    sql("issuing", "UPDATE issuing.invoice SET status = 'RED_FLUSHED' WHERE id = 't-status'");

    await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
      JsonNode t = trace("t-status");
      assertThat(t.get("outcome").asText()).isEqualTo("VISIBLE");
      assertThat(t.get("visibleVersion").asInt()).isEqualTo(2);
      assertThat(stream(t.get("history")).stream().filter(e -> e.get("event").asText().equals("APPLIED")).map(e -> e.get("version").asInt()))
          .containsExactly(1, 2);
    });
    assertThat(get("/api/v1/invoices?invoiceNumber=" + number).get("items").get(0).get("status").asText()).isEqualTo("RED_FLUSHED");
    JsonNode audit = get("/api/v1/invoices/t-status/audit");
    assertThat(audit.get("verified").asBoolean()).isTrue();

    // an entry altered where the trail is recorded: the API says so, naming the entry, and nothing else is claimed verified
    sql("querystore", "UPDATE invoice_event SET detail = 'nothing happened' WHERE invoice_id = 't-status' AND event = 'APPLIED' AND version = 1");
    JsonNode altered = get("/api/v1/invoices/t-status/audit");
    assertThat(altered.get("verified").asBoolean()).isFalse();
    assertThat(altered.toString()).contains("hash does not match the entry's content").doesNotContain("Exception");
    assertThat(stream(altered.get("entries")).stream().filter(e -> !e.get("hashOk").asBoolean()).count()).isEqualTo(1);
  }

  @Test
  @Order(6)
  void shouldSayNotCapturedWhileIngestIsStoppedThenVisible() throws Exception {
    pipeline.stopIngest();
    String number;
    try {
      number = issue("t-late", "1130.00", "1000.00", "130.00", null);
      JsonNode t = trace("t-late");
      assertThat(t.get("outcome").asText()).isEqualTo("NOT_CAPTURED");
      assertThat(t.get("explanation").asText()).contains("not captured yet").contains("s behind");
      assertThat(t.get("source").get("present").asBoolean()).isTrue();
      example("NOT_CAPTURED", t);
      assertThat(get("/api/v1/invoices?invoiceNumber=" + number).get("notVisible").get(0).get("outcome").asText())
          .isEqualTo("NOT_CAPTURED");
      // the CLI says the same, from the configuration file alone
      Path config = dir.resolve("trace.properties");
      Files.writeString(config, "api.jdbc.url=" + pg.jdbcUrl("querystore") + "\napi.source.jdbc.url=" + pg.jdbcUrl("issuing") + "\n");
      StringWriter out = new StringWriter();
      int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).execute("trace", "t-late", "--config", config.toString(),
          "--output", "json");
      assertThat(exit).isEqualTo(1);
      assertThat(json.readTree(out.toString()).get("outcome").asText()).isEqualTo("NOT_CAPTURED");
    } finally {
      pipeline.startIngest();
    }
    awaitOutcome("t-late", "VISIBLE");
    assertThat(get("/api/v1/invoices?invoiceNumber=" + number).get("items").get(0).get("id").asText()).isEqualTo("t-late");
    StringWriter out = new StringWriter();
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).execute("trace", "--number", number, "--api",
        "http://localhost:" + pipeline.api().port());
    assertThat(exit).isZero();
    assertThat(out.toString()).contains("outcome      VISIBLE").contains("PROJECTED");
  }

  @Test
  @Order(7)
  void shouldShowADeadLetterThenItsReplayAsVisible() throws Exception {
    // Given a row the query store refuses for good (a data error: no retry helps)
    sql("querystore", "INSERT INTO poisoned VALUES ('t-dead')");
    String number = issue("t-dead", "1130.00", "1000.00", "130.00", null);

    JsonNode dead = awaitOutcome("t-dead", "DEAD_LETTERED");
    assertThat(dead.get("deadLetters")).isNotEmpty();
    JsonNode letter = dead.get("deadLetters").get(0);
    assertThat(letter.get("topic").asText()).isEqualTo("invoices.synced.dlt");
    assertThat(letter.get("stage").asText()).isEqualTo("projector");
    assertThat(letter.get("message").asText()).contains("cannot be stored");
    assertThat(dead.get("action").asText()).contains("dlt replay");
    assertThat(get("/api/v1/invoices?outcome=DEAD_LETTERED").get("items").findValuesAsText("invoiceId")).contains("t-dead");

    // When the cause is fixed and the operator replays it
    sql("querystore", "DELETE FROM poisoned");
    StringWriter out = new StringWriter();
    int exit = InvoiceSyncCommand.commandLine().setOut(new PrintWriter(out)).execute("dlt", "replay", "--bootstrap", kafka.bootstrapServers(),
        "--key", "t-dead");
    assertThat(exit).as(out.toString()).isZero();

    // Then it is visible, and its history says it was a replay
    JsonNode t = awaitOutcome("t-dead", "VISIBLE");
    assertThat(events(t)).containsSubsequence("APPLIED", "DEAD_LETTERED", "PROJECTED");
    JsonNode projected = stream(t.get("history")).stream().filter(e -> e.get("event").asText().equals("PROJECTED")).findFirst().orElseThrow();
    assertThat(projected.get("detail").asText()).startsWith("replay ");
    assertThat(get("/api/v1/invoices?invoiceNumber=" + number).get("items").get(0).get("id").asText()).isEqualTo("t-dead");
    example("DEAD_LETTERED", dead);
  }

  @Test
  @Order(8)
  void shouldFindInvoicesByAmountRangeAndByOutcome() throws Exception {
    JsonNode exact = get("/api/v1/invoices?sellerTaxId=" + SELLER + "&minAmount=1130.00&maxAmount=1130&limit=2");
    assertThat(exact.get("items")).hasSize(2);
    exact.get("items").forEach(i -> assertThat(i.get("grandTotal").decimalValue()).isEqualByComparingTo("1130.00"));
    JsonNode next = get("/api/v1/invoices?sellerTaxId=" + SELLER + "&minAmount=1130.00&maxAmount=1130&limit=2&cursor="
        + exact.get("nextCursor").asText());
    assertThat(next.get("items").findValuesAsText("id")).doesNotContainAnyElementsOf(exact.get("items").findValuesAsText("id"));
    assertThat(get("/api/v1/invoices?minAmount=1131").get("items").findValuesAsText("id")).doesNotContain("t-valid");
    assertThat(get("/api/v1/invoices?outcome=REJECTED").get("items").findValuesAsText("invoiceId")).contains("t-grand", "t-red");
    HttpResponse<String> bad = TestHttp.get(pipeline.api().port(), "/api/v1/invoices?minAmount=lots");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("minAmount");
  }

  @Test
  @Order(9)
  void shouldSayUnknownForAnIdNobodyKnows() throws Exception {
    JsonNode t = trace("t-nobody");
    assertThat(t.get("outcome").asText()).isEqualTo("UNKNOWN");
    assertThat(t.get("source").get("present").asBoolean()).isFalse();
    example("UNKNOWN", t);
  }

  @Test
  @Order(10)
  void shouldMoveFreshnessUnderLoadAndRecoverAfterIt() throws Exception {
    double before = histogramCount();
    long visibleBefore = get("/api/v1/status").get("counts").get("visible").asLong();
    InvoiceGenerator generator = new InvoiceGenerator(pg.jdbcUrl("issuing"), "load-", 11, true);
    AtomicBoolean enough = new AtomicBoolean();
    List<Thread> workers = generator.startAtRate(200, 1, () -> generator.issuedCount() >= 400 || enough.get());
    try {
      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
        assertThat(histogramCount()).as("commit-to-visible observations").isGreaterThan(before + 50);
        JsonNode status = get("/api/v1/status");
        assertThat(status.get("counts").get("visible").asLong()).isGreaterThan(visibleBefore);
        assertThat(status.get("stages").get("projection").get("sourceLsn").asLong()).isPositive();
        assertThat(status.get("stages").get("visible").get("commitToVisibleSeconds").asDouble()).isGreaterThan(0);
      });
    } finally {
      enough.set(true);
      for (Thread w : workers) {
        w.join(Duration.ofMinutes(2).toMillis());
      }
    }
    // and after the load: nothing in flight, the watermark lag back to zero, the source slot caught up
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      JsonNode status = get("/api/v1/status");
      assertThat(status.get("counts").get("inFlight").asLong()).isZero();
      assertThat(status.get("source").get("checked").asBoolean()).isTrue();
      assertThat(scrape()).containsPattern("invoicesync_projector_watermark_lag_seconds\\{[^}]*} 0.0"); // tagged component, instance
    });
    assertThat(scrape()).contains("invoicesync_commit_to_visible_seconds_bucket")
        .containsPattern("invoicesync_outcomes_total\\{[^}]*event=\"PROJECTED\"");
  }

  // --- helpers

  /** Issues an invoice (header + one line) in one transaction; a red one when blueNumber is given. Returns its number. */
  // ---- the console over the same pipeline (issue 28): what a clerk does in a real headless Chromium

  static final String CONSOLE_KEY = "console-it-hs256-key-0123456789abcdef";

  @Test
  @Order(20)
  void aClerkFindsAVisibleInvoiceByItsNumberInTheConsole() throws Exception {
    assumeBrowser();
    String number = issue("c-valid", "1130.00", "1000.00", "130.00", null);
    awaitOutcome("c-valid", "VISIBLE");
    for (String lang : List.of("zh", "en")) {
      try (ConsoleBrowser b = new ConsoleBrowser(pipeline.api().url(), lang.equals("zh") ? "zh-CN" : "en-US")) {
        b.open("/");
        assertThat(b.path()).as("the front door leads to the console").isEqualTo("/console");
        assertThat(b.find("html").getAttribute("lang")).as("the browser's language decides").isEqualTo(lang.equals("zh") ? "zh-CN" : "en");
        b.screenshot("find-" + lang);
        b.type("input[name=number]", number);
        b.submit("form.find");
        assertThat(b.url()).as("a bookmarkable search").contains("/console/invoices?number=" + number);
        assertThat(b.all("table.results tbody tr")).hasSize(1);
        b.screenshot("find-results-" + lang);
        b.click("table.results tbody a");
        assertThat(b.path()).isEqualTo("/console/invoices/c-valid");
        assertThat(b.text("h1")).contains(number);
        assertThat(b.text(".verdict.ok .outcome")).isEqualTo(lang.equals("zh") ? "已同步" : "Visible");
        assertThat(b.text(".verdict .sentence")).contains(lang.equals("zh") ? "第 1 版" : "visible at version 1");
        assertThat(b.text("dd.number")).isEqualTo(number);
        assertThat(b.all("table.lines tbody tr")).isNotEmpty();
        assertThat(b.all("ol.timeline li")).hasSizeGreaterThanOrEqualTo(4);
        b.screenshot("invoice-visible-" + lang);
        b.phoneScreenshot("invoice-visible-phone-" + lang);
        // the switch on every page: the same page in the other language
        b.click("a.lang");
        assertThat(b.path()).isEqualTo("/console/invoices/c-valid");
        assertThat(b.find("html").getAttribute("lang")).isEqualTo(lang.equals("zh") ? "en" : "zh-CN");
      }
    }
    // as clerks copy them: full-width digits with spaces, an amount with a thousands separator and a currency sign; a wrong one named
    StringBuilder fullWidth = new StringBuilder();
    number.chars().forEach(c -> fullWidth.append((char) ('０' + (c - '0'))).append(fullWidth.length() % 8 == 6 ? "　" : ""));
    String found = TestHttp.get(pipeline.api().port(), "/console/invoices?number=" + java.net.URLEncoder.encode(fullWidth.toString(),
        java.nio.charset.StandardCharsets.UTF_8) + "&minAmount=" + java.net.URLEncoder.encode("¥1,130.00", java.nio.charset.StandardCharsets.UTF_8)).body();
    assertThat(found).contains("/console/invoices/c-valid");
    HttpResponse<String> wrong = TestHttp.get(pipeline.api().port(), "/console/invoices?number=" + number + "&minAmount=lots");
    assertThat(wrong.statusCode()).isEqualTo(400);
    assertThat(wrong.body()).contains("minAmount", "lots");
    // no page over 200 KB, and none needs a script
    for (String page : List.of("/console", "/console/invoices?number=" + number, "/console/invoices/c-valid", "/console/rejections")) {
      HttpResponse<String> r = TestHttp.get(pipeline.api().port(), page);
      assertThat(r.statusCode()).as(page).isEqualTo(200);
      assertThat(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).as(page + " in bytes").isLessThan(200_000);
      assertThat(r.body()).as(page).doesNotContain("<script");
      assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow()).as(page).contains("default-src 'none'")
          .doesNotContain("script-src");
    }
  }

  @Test
  @Order(21)
  void aClerkFindsARejectedInvoiceAndReadsWhyInChinese() throws Exception {
    assumeBrowser();
    String number = issue("c-grand", "1131.00", "1000.00", "130.00", null);
    awaitOutcome("c-grand", "REJECTED");
    try (ConsoleBrowser b = new ConsoleBrowser(pipeline.api().url(), "zh-CN")) {
      b.open("/console/invoices?number=" + number);
      assertThat(b.all("table.results")).as("nothing visible with this number").isEmpty();
      assertThat(b.text("li.verdict .sentence")).startsWith("被拒绝：价税合计").contains("1131.00", "1130.00");
      b.screenshot("find-not-visible-zh");
      b.click("li.verdict a");
      assertThat(b.path()).isEqualTo("/console/invoices/c-grand");
      assertThat(b.text(".verdict.bad .outcome")).isEqualTo("被拒绝");
      assertThat(b.text(".verdict .sentence")).isEqualTo("被拒绝：价税合计与“合计金额＋合计税额”不一致：1131.00，应为 1130.00");
      assertThat(b.text(".verdict .action")).contains("更正");
      assertThat(b.text("table.reasons tbody td.message")).startsWith("价税合计");
      b.screenshot("invoice-rejected-zh");
      b.open("/console/rejections?code=GRAND_TOTAL_MISMATCH");
      assertThat(b.text("table.rejections tbody")).contains(number, "价税合计");
      b.screenshot("rejections-zh");
      b.open("/console/invoices/c-grand?lang=en");
      assertThat(b.text(".verdict .sentence")).startsWith("Rejected: ").contains("1131.00");
      b.screenshot("invoice-rejected-en");
      b.open("/console/rejections?code=GRAND_TOTAL_MISMATCH");
      assertThat(b.find("html").getAttribute("lang")).as("the language chosen sticks").isEqualTo("en");
      b.screenshot("rejections-en");
    }
  }

  @Test
  @Order(22)
  void aTokenOfAnotherTaxpayerCannotOpenTheInvoiceInTheConsole() throws Exception {
    assumeBrowser();
    String number = issue("c-mine", "1130.00", "1000.00", "130.00", null);
    awaitOutcome("c-mine", "VISIBLE");
    Map<String, Object> cfg = new java.util.HashMap<>();
    TestTokens.apiSettings(CONSOLE_KEY).forEach((k, v) -> cfg.put(k.substring("api.".length()), v));
    cfg.put(io.invoicesync.api.QueryApiConfig.JDBC_URL, pg.jdbcUrl("querystore"));
    cfg.put(io.invoicesync.api.QueryApiConfig.PORT, 0);
    try (io.invoicesync.api.QueryApiServer api = new io.invoicesync.api.QueryApiServer(new io.invoicesync.api.QueryApiConfig(cfg),
        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT), Map.of()).start()) {
      String stranger = TestTokens.hs256(CONSOLE_KEY, "clerk-b", List.of("91110108551385082Q"), "invoices:read invoices:trace");
      String seller = TestTokens.hs256(CONSOLE_KEY, "clerk-a", List.of(SELLER), "invoices:read invoices:trace");
      // the answers themselves: another taxpayer's invoice is the same page as no invoice at all
      HttpResponse<String> theirs = consoleGet(api, "/console/invoices/c-mine", stranger);
      HttpResponse<String> none = consoleGet(api, "/console/invoices/c-none", stranger);
      assertThat(theirs.statusCode()).isEqualTo(404);
      assertThat(theirs.body().replace("c-mine", "ID")).isEqualTo(none.body().replace("c-none", "ID")).contains("<h1>Not found</h1>");
      assertThat(consoleGet(api, "/console/invoices?number=" + number, stranger).body()).doesNotContain("c-mine", "1,130.00");
      assertThat(consoleGet(api, "/console/invoices/c-mine", seller).body()).contains(number);
      assertThat(consoleGet(api, "/console/invoices/c-mine", null).statusCode()).as("no token: to the sign-in page").isEqualTo(303);

      try (ConsoleBrowser b = new ConsoleBrowser(api.url(), "zh-CN")) {
        b.open("/console/invoices/c-mine");
        assertThat(b.path()).as("signing in first").isEqualTo("/console/signin");
        b.screenshot("signin-zh");
        b.type("textarea[name=token]", "not-a-token");
        b.submit("form.signin");
        assertThat(b.text(".notice.bad")).startsWith("令牌未被接受");
        b.type("textarea[name=token]", stranger);
        b.submit("form.signin");
        assertThat(b.path()).as("back where the clerk was going").isEqualTo("/console/invoices/c-mine");
        assertThat(b.text("h1")).as(b.text("main")).isEqualTo("未找到");
        b.screenshot("notfound-other-taxpayer-zh");
        b.click("header form button");
        assertThat(b.path()).isEqualTo("/console/signin");
        b.open("/console/signin?lang=en");
        b.screenshot("signin-en");
        b.type("textarea[name=token]", seller);
        b.submit("form.signin");
        b.open("/console/invoices/c-mine");
        assertThat(b.text("dd.number")).isEqualTo(number);
        assertThat(b.text(".session .who")).contains("clerk-a");
      }
    }
  }

  @Test
  @Order(23)
  void anOperatorReplaysADeadLetterFromTheConsoleAndAnAuditorSeesAVerifiedChain() throws Exception {
    assumeBrowser();
    sql("querystore", "INSERT INTO poisoned VALUES ('c-dead')");
    String number = issue("c-dead", "1130.00", "1000.00", "130.00", null);
    awaitOutcome("c-dead", "DEAD_LETTERED");
    sql("querystore", "DELETE FROM poisoned"); // the cause fixed; the invoice still waits on the dead-letter topic
    try (ConsoleBrowser b = new ConsoleBrowser(pipeline.api().url(), "zh-CN")) {
      b.open("/console/operations");
      assertThat(b.text("h1")).isEqualTo("同步状态");
      assertThat(b.all("figure.chart svg rect.bar")).as("a bar per minute of the last hour").hasSize(60);
      assertThat(b.text("table.dlt tbody")).contains(number, "cannot be stored");
      assertThat(b.text("dl.channels")).as("imports and webhook endpoints beside the pipeline").contains("导入的文件", "Webhook 推送地址");
      b.screenshot("operations-zh");
      assertThat(b.tick("table.dlt tbody tr", number)).as("the dead letter of " + number + " is listed").isTrue();
      b.submit("form.deadletters");
      assertThat(b.text(".summary")).as("the plan, nothing sent").startsWith("将重放 1 条");
      assertThat(b.text("table.replay tbody")).contains("c-dead", "invoices.synced.retry", "将重放");
      b.screenshot("replay-plan-zh");
      b.submit("form.confirm");
      assertThat(b.path()).as("after the POST, a page of its own: a refresh replays nothing").isEqualTo("/console/operations/replayed");
      assertThat(b.text(".summary")).startsWith("已重放 1 条");
      b.screenshot("replay-done-zh");
      awaitOutcome("c-dead", "VISIBLE");
      b.open("/console/invoices/c-dead");
      assertThat(b.text(".verdict.ok .outcome")).isEqualTo("已同步");
      b.click("a.audit");
      assertThat(b.path()).isEqualTo("/console/invoices/c-dead/audit");
      assertThat(b.text(".verdict.ok.chain")).startsWith("审计链已验证");
      assertThat(b.text("table.audit tbody")).contains("已转入死信队列", "已写入查询库");
      b.screenshot("audit-zh");
      b.open("/console/invoices/c-dead/audit?lang=en");
      assertThat(b.text(".verdict.ok.chain")).startsWith("Chain verified");
      b.screenshot("audit-en");
      b.open("/console/operations");
      assertThat(b.all("table.dlt tbody tr")).as("no longer waiting").noneMatch(row -> row.getText().contains(number));
      b.screenshot("operations-en");
    }
    // another site's form cannot replay, even where the API is open (no cookie to withhold): no Origin, a foreign one, "null"
    String dl = stack.storeColumn("SELECT dlt_topic || ':' || dlt_partition || ':' || dlt_offset FROM dead_letter WHERE invoice_id = 'c-dead'")
        .get(0);
    for (String origin : java.util.Arrays.asList(null, "https://evil.example", "null")) {
      java.net.http.HttpRequest.Builder post = java.net.http.HttpRequest.newBuilder(java.net.URI.create(pipeline.api().url()
          + "/console/operations/replay")).header("Content-Type", "application/x-www-form-urlencoded")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString("dl=" + java.net.URLEncoder.encode(dl, java.nio.charset.StandardCharsets.UTF_8)));
      if (origin != null) {
        post.header("Origin", origin);
      }
      HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(post.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("a replay posted with Origin " + origin).isEqualTo(403);
    }
  }

  /** An auditor exports a period from the API and from the console: the chains' entries as the per-invoice trail has them. */
  @Test
  @Order(25)
  void anAuditorExportsAPeriodThroughTheApiAndTheConsole() throws Exception {
    java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
    String period = "from=" + today.minusDays(1) + "&to=" + today.plusDays(1);
    HttpResponse<String> csv = TestHttp.get(pipeline.api().port(), "/api/v1/audit/export?" + period + "&format=csv");
    assertThat(csv.statusCode()).as(csv.body()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
    assertThat(csv.headers().firstValue("Content-Disposition").orElse("")).startsWith("attachment; filename=\"audit-").endsWith(".csv\"");
    List<String> rows = csv.body().lines().toList();
    assertThat(rows.get(0)).isEqualTo(String.join(",", io.invoicesync.outcomes.audit.AuditExport.FIELDS));
    // the replayed invoice's chain, entry for entry as GET /api/v1/invoices/{id}/audit shows it
    List<String> trail = stream(get("/api/v1/invoices/c-dead/audit").get("entries")).stream().map(e -> e.get("hash").asText()).toList();
    HttpResponse<String> jsonl = TestHttp.get(pipeline.api().port(), "/api/v1/audit/export?" + period);
    assertThat(jsonl.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
    List<String> exported = new ArrayList<>();
    for (String line : jsonl.body().lines().toList()) {
      JsonNode e = json.readTree(line);
      if (e.get("invoiceId").asText().equals("c-dead")) {
        exported.add(e.get("hash").asText());
      }
    }
    assertThat(exported).as("in topic order").isEqualTo(trail).isNotEmpty();
    assertThat(rows).hasSize(jsonl.body().lines().toList().size() + 1);
    // a wrong request names what is wrong
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/audit/export?to=" + today).body()).contains("from", "is required");
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/audit/export?" + period + "&format=xml").statusCode()).isEqualTo(400);
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/audit/export?from=" + today + "&to=" + today.minusDays(3)).body())
        .contains("must be after from");

    assumeBrowser();
    java.time.LocalDate shanghai = java.time.LocalDate.now(java.time.ZoneId.of("Asia/Shanghai"));
    try (ConsoleBrowser b = new ConsoleBrowser(pipeline.api().url(), "zh-CN")) {
      b.open("/console/audit");
      assertThat(b.text("h1")).isEqualTo("按期间导出审计记录");
      b.set("input[name=from]", shanghai.minusDays(1).toString());
      b.set("input[name=to]", shanghai.toString());
      b.submit("form.find");
      assertThat(b.text("#audit-summary")).as(b.text("main")).contains("条审计记录", "Asia/Shanghai");
      b.screenshot("audit-period-zh");
      String href = b.find("ul.downloads a").getAttribute("href");
      HttpResponse<String> file = TestHttp.get(pipeline.api().port(), href.substring(href.indexOf("/console/")));
      assertThat(file.statusCode()).isEqualTo(200);
      assertThat(file.body().lines().findFirst().orElse("")).startsWith("invoiceId,event,version");
      assertThat(file.body()).contains("c-dead");
      long entries = file.body().lines().count() - 1;
      assertThat(b.text("#audit-summary")).contains(" " + entries + " 条");
      b.open("/console/audit?from=" + shanghai + "&to=" + shanghai.minusDays(2) + "&lang=en");
      assertThat(b.text(".notice.bad")).contains("'to'").contains("before from");
    }
  }

  /**
   * A clerk signs in at the organisation's identity provider (a real Keycloak, OpenID Connect authorization code with PKCE) and
   * reads her taxpayer's invoice; the console keeps the access token the provider issued and the API checks it like any other.
   */
  @Test
  @Order(26)
  void aClerkSignsInAtTheIdentityProviderWithOpenIdConnect() throws Exception {
    assumeBrowser();
    org.junit.jupiter.api.Assumptions.assumeTrue(KeycloakProcess.unavailable().isEmpty(), KeycloakProcess.unavailable().orElse(""));
    String number = issue("c-oidc", "1130.00", "1000.00", "130.00", null);
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    try (KeycloakProcess idp = new KeycloakProcess(dir.resolve("keycloak"), "http://127.0.0.1:" + port + "/console/oidc/callback", "clerk-a",
        List.of(SELLER), List.of("invoices:read", "invoices:trace"))) {
      Map<String, Object> cfg = new java.util.HashMap<>();
      cfg.put("auth.mode", "jwt");
      cfg.put("auth.jwt.jwks.url", idp.jwksUrl());
      cfg.put("auth.jwt.issuer", idp.issuer());
      cfg.put("auth.jwt.audience", TestTokens.AUDIENCE);
      cfg.put(io.invoicesync.api.QueryApiConfig.CONSOLE_OIDC_CLIENT_ID, KeycloakProcess.CLIENT);
      cfg.put(io.invoicesync.api.QueryApiConfig.JDBC_URL, pg.jdbcUrl("querystore"));
      cfg.put(io.invoicesync.api.QueryApiConfig.PORT, port);
      cfg.put(io.invoicesync.api.QueryApiConfig.BIND_ADDRESS, "127.0.0.1");
      awaitOutcome("c-oidc", "VISIBLE");
      try (io.invoicesync.api.QueryApiServer api = new io.invoicesync.api.QueryApiServer(new io.invoicesync.api.QueryApiConfig(cfg),
          new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT), Map.of()).start();
           ConsoleBrowser b = new ConsoleBrowser("http://127.0.0.1:" + port, "en-US")) {
        // an answer that is not for a login this browser began is refused, whatever it carries
        b.open("/console/oidc/callback?code=stolen&state=guessed");
        assertThat(b.text(".notice.bad")).startsWith("Sign-in did not finish");
        b.open("/console/invoices/c-oidc");
        assertThat(b.path()).isEqualTo("/console/signin");
        b.screenshot("signin-oidc-en");
        b.click("a.oidc");
        assertThat(b.url()).as("at the identity provider's login page").startsWith(idp.issuer() + "/protocol/openid-connect/auth");
        b.type("#username", "clerk-a");
        b.type("#password", "clerk-a-password");
        b.click("#kc-login");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(b.path()).as("back where the clerk was going")
            .isEqualTo("/console/invoices/c-oidc"));
        assertThat(b.text("dd.number")).isEqualTo(number);
        assertThat(b.text(".session .who")).as("signed in, by the name the provider gives").contains("clerk-a");
        b.screenshot("invoice-after-oidc-en");
        // the kept token is the provider's access token: the API's own rules hold it to the clerk's taxpayer and scopes
        b.open("/console/operations");
        assertThat(b.text("h1")).as(b.text("main")).isEqualTo("Something is wrong");
        assertThat(b.text("main")).contains("operations");
      }
    }
  }

  /** Every console page in both languages, for a reviewer (target/console-screenshots), the webhooks pages on a registered feed. */
  @Test
  @Order(24)
  void screenshotsOfEveryConsolePageInBothLanguages() throws Exception {
    assumeBrowser();
    HttpResponse<String> feed = TestHttp.send(TestHttp.request(TestHttp.localhost(pipeline.api().port(), "/api/v1/webhooks/endpoints"))
        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(
            "{\"mode\": \"pull\", \"description\": \"ERP feed\"}")).build());
    assertThat(feed.statusCode()).as(feed.body()).isEqualTo(201);
    String feedId = json.readTree(feed.body()).get("id").asText();
    String rejected = trace("c-grand").get("invoiceNumber").asText();
    String deadLetter = stack.storeColumn("SELECT dlt_topic || ':' || dlt_partition || ':' || dlt_offset FROM dead_letter "
        + "WHERE invoice_id = 'c-dead'").get(0);
    Map<String, String> pages = new java.util.LinkedHashMap<>();
    pages.put("find", "/console");
    pages.put("find-not-visible", "/console/invoices?number=" + rejected);
    pages.put("find-unknown-number", "/console/invoices?number=26442000000000999999");
    pages.put("invoice-visible", "/console/invoices/c-valid");
    pages.put("invoice-rejected", "/console/invoices/c-grand");
    pages.put("invoice-replayed", "/console/invoices/c-dead");
    pages.put("notfound", "/console/invoices/no-such-invoice");
    pages.put("rejections", "/console/rejections");
    pages.put("operations", "/console/operations");
    pages.put("replay-plan", "/console/operations/replay?dl=" + java.net.URLEncoder.encode(deadLetter, java.nio.charset.StandardCharsets.UTF_8));
    pages.put("audit", "/console/invoices/c-dead/audit");
    java.time.LocalDate day = java.time.LocalDate.now(java.time.ZoneId.of("Asia/Shanghai"));
    pages.put("imports", "/console/imports");
    pages.put("audit-period", "/console/audit?from=" + day.minusDays(1) + "&to=" + day);
    pages.put("webhooks", "/console/webhooks");
    pages.put("webhook-feed", "/console/webhooks/" + feedId);
    pages.put("signin-open", "/console/signin");
    // every page: under 200 KB, and none needs a script
    for (Map.Entry<String, String> page : pages.entrySet()) {
      HttpResponse<String> r = TestHttp.get(pipeline.api().port(), page.getValue());
      assertThat(r.statusCode()).as(page.getKey()).isIn(200, 404);
      assertThat(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).as(page.getKey() + " in bytes").isLessThan(200_000);
      assertThat(r.body()).as(page.getKey()).doesNotContain("<script");
    }
    for (String lang : List.of("zh", "en")) {
      try (ConsoleBrowser b = new ConsoleBrowser(pipeline.api().url(), lang.equals("zh") ? "zh-CN" : "en-US")) {
        for (Map.Entry<String, String> page : pages.entrySet()) {
          b.open(page.getValue());
          assertThat(b.find("html").getAttribute("lang")).as(page.getKey()).isEqualTo(lang.equals("zh") ? "zh-CN" : "en");
          assertThat(b.text("h1")).as(page.getKey()).isNotBlank();
          b.screenshot("page-" + page.getKey() + "-" + lang);
        }
        b.open("/console/webhooks");
        assertThat(b.text("table.endpoints tbody")).contains(lang.equals("zh") ? "拉取队列" : "a feed");
      }
    }
  }

  /** Skips a console test, saying why, where no Chromium can run. */
  static void assumeBrowser() {
    org.junit.jupiter.api.Assumptions.assumeTrue(ConsoleBrowser.unavailable().isEmpty(), ConsoleBrowser.unavailable().orElse(""));
  }

  static HttpResponse<String> consoleGet(io.invoicesync.api.QueryApiServer api, String path, String token) throws Exception {
    java.net.http.HttpRequest.Builder r = java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url() + path)).GET();
    if (token != null) {
      r.header("Cookie", io.invoicesync.api.console.ConsoleRoutes.TOKEN_COOKIE + "=" + token);
    }
    return java.net.http.HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String issue(String id, String grand, String amount, String tax, String blueNumber) throws Exception {
    String number = IssuingDay.digitalNumber(SEQ.incrementAndGet());
    LocalDate today = IssuingDay.today();
    BigDecimal a = new BigDecimal(amount);
    IssuingInvoice invoice = IssuingInvoice.digital(id, number).issued(today.atTime(10, 0))
        .totals(a, new BigDecimal(tax), new BigDecimal(grand))
        .line(IssuingInvoice.Line.service(a.signum() < 0 ? BigDecimal.ONE.negate() : BigDecimal.ONE, a.abs(), a, new BigDecimal(tax)));
    if (blueNumber != null) {
      invoice.redOf(blueNumber, today, "RC" + id, 2);
    }
    try (Connection c = pg.connect("issuing")) {
      c.setAutoCommit(false);
      invoice.insert(c);
      c.commit();
    }
    return number;
  }

  /** Keeps one trace of each outcome in target/trace-examples, for the docs. */
  static void example(String outcome, JsonNode trace) throws Exception {
    Path d = Path.of("target", "trace-examples");
    Files.createDirectories(d);
    Files.writeString(d.resolve(outcome + ".json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(trace));
  }

  static void sql(String db, String statement) throws Exception {
    try (Connection c = pg.connect(db); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = TestHttp.get(pipeline.api().port(), path);
    assertThat(r.statusCode()).as("GET " + path + ": " + r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  static String raw(String path) throws Exception {
    return TestHttp.get(pipeline.api().port(), path).body();
  }

  static String scrape() throws Exception {
    return raw("/metrics");
  }

  static double histogramCount() throws Exception {
    for (String line : scrape().split("\n")) {
      if (line.startsWith("invoicesync_commit_to_visible_seconds_count")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  static JsonNode trace(String id) throws Exception {
    return get("/api/v1/invoices/" + id + "/trace");
  }

  static JsonNode awaitOutcome(String id, String outcome) {
    JsonNode[] last = new JsonNode[1];
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      last[0] = trace(id);
      assertThat(last[0].get("outcome").asText()).as("outcome of " + id + ": " + last[0]).isEqualTo(outcome);
    });
    return last[0];
  }

  static List<String> events(JsonNode trace) {
    return stream(trace.get("history")).stream().map(e -> e.get("event").asText()).toList();
  }

  static JsonNode violation(JsonNode trace, String code) {
    return stream(trace.get("rejection").get("violations")).stream().filter(v -> v.get("code").asText().equals(code)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + code + " in " + trace.get("rejection")));
  }

  static List<JsonNode> stream(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }
}
