package io.invoicesync.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.generator.IssuingDay;
import io.invoicesync.testkit.IssuingInvoice;
import io.invoicesync.testkit.TestHttp;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks end to end on the real pipeline (embedded PostgreSQL and Kafka, Debezium capturing the
 * issuing database): an ERP registers its endpoint with its token, receives every invoice of its
 * taxpayers and no other, in order per invoice, signed so that the Standard Webhooks reference
 * library verifies them (also across a secret rotation); an endpoint that fails, is slow or is down
 * gets everything once it answers; a 410 disables an endpoint and tells the operators' endpoint;
 * recover sends what it missed; the trace, the API and the CLI show the deliveries.
 */
class WebhooksIT {

  static final String JWT_KEY = "webhooks-it-hs256-key-0123456789abcdef0";
  static final String SELLER = IssuingInvoice.SELLER_TAX_ID;
  static final String BUYER = IssuingInvoice.BUYER_TAX_ID;
  static final String STRANGER = "91110108551385082Q";
  static final AtomicInteger SEQ = new AtomicInteger(40_000);
  static final ObjectMapper json = new ObjectMapper();

  @TempDir
  static Path dir;
  static EmbeddedStack stack;
  static Pipeline pipeline;
  static Path config;

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(dir);
    Map<String, String> cfg = stack.config();
    cfg.put("api.auth.mode", "jwt");
    cfg.put("api.auth.jwt.secret", JWT_KEY);
    cfg.put("api.auth.jwt.issuer", "https://idp.example.com/");
    cfg.put("api.auth.jwt.audience", "invoice-sync");
    // seconds instead of hours, so outages end within a test; the attempt timeout short enough to be passed on purpose
    cfg.put("webhooks.retry.schedule", "0s,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s");
    cfg.put("webhooks.attempt.timeout.ms", "1000");
    cfg.put("webhooks.poll.interval.ms", "100");
    cfg.put("webhooks.stall.threshold.ms", "4000");
    cfg.put("webhooks.stall.check.interval.ms", "500");
    cfg.put("projector.outage.backoff.max.ms", "2000");
    cfg.put("reconcile.interval", "1h");
    cfg.put("webhooks.retention.check.interval.ms", "1000"); // retention (30 days) checked every second: the retention test ages rows // the scheduler's gauges exist (the dashboards test reads them); it never runs here
    pipeline = stack.startPipeline(cfg, true);
    config = stack.writeConfig(cfg);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static String token(List<String> taxIds, String scope) throws Exception {
    return TestTokens.hs256(JWT_KEY, "erp", taxIds, scope);
  }

  static HttpResponse<String> post(String path, String token, String body) throws Exception {
    return TestHttp.send(TestHttp.request(TestHttp.localhost(pipeline.api().port(), path), token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** Registers {@code url} with {@code token}; returns id and secret. */
  static String[] register(String token, String url, String events) throws Exception {
    HttpResponse<String> r = post("/api/v1/webhooks/endpoints", token, "{\"url\":\"" + url + "\"" + (events == null ? "" : ",\"events\":" + events) + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode n = json.readTree(r.body());
    return new String[] {n.get("id").asText(), n.get("secret").asText()};
  }

  /** Issues a valid invoice of SELLER to {@code buyer}; returns its id. */
  static String issue(String buyerTaxId) throws Exception {
    int n = SEQ.incrementAndGet();
    String id = "wh-" + n;
    BigDecimal amount = new BigDecimal("100.00");
    BigDecimal tax = new BigDecimal("13.00");
    IssuingInvoice invoice = IssuingInvoice.digital(id, IssuingDay.digitalNumber(n)).issued(IssuingDay.today().atTime(10, 0))
        .buyer("购方" + n, buyerTaxId).totals(amount, tax, amount.add(tax)).line(IssuingInvoice.Line.service(BigDecimal.ONE, amount, amount, tax));
    try (Connection c = stack.pg.connect("issuing")) {
      c.setAutoCommit(false);
      invoice.insert(c);
      c.commit();
    }
    return id;
  }

  static void issuing(String sql) throws Exception {
    try (Connection c = stack.pg.connect("issuing"); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /**
   * Per invoice, the versions of invoice.visible in the order the receiver accepted them, each message once (its first acceptance).
   * A version the store had replaced before the fan-out read its report is not sent (the newer one is), so a list may skip one.
   */
  static Map<String, List<Integer>> versionsAccepted(WebhookReceiver r) {
    Map<String, List<Integer>> out = new LinkedHashMap<>();
    Set<String> seen = new LinkedHashSet<>();
    for (WebhookReceiver.Delivery d : r.accepted()) {
      if (d.type().equals("invoice.visible") && seen.add(d.id())) {
        out.computeIfAbsent(d.invoiceId(), k -> new ArrayList<>()).add(d.version());
      }
    }
    return out;
  }

  static int storeVersion(String id) throws Exception {
    String v = stack.store("SELECT version FROM invoice WHERE id = '" + id + "'");
    return v == null ? 0 : Integer.parseInt(v);
  }

  /**
   * docker/alerts.yml and the Grafana dashboard name only metrics the pipeline exports (every component running, webhooks and the
   * reconcile scheduler included): a metric renamed in the code fails here rather than in an operator's silent alert.
   */
  @Test
  void shouldAlertAndChartOnlyOnMetricsThePipelineExports() throws Exception {
    java.util.Set<String> referenced = new java.util.TreeSet<>();
    for (Path file : List.of(DockerComposeIT.DOCKER.resolve("alerts.yml"), DockerComposeIT.DOCKER.resolve("grafana/dashboards/invoice-sync.json"))) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("invoicesync_[a-z0-9_]+").matcher(Files.readString(file));
      while (m.find()) {
        referenced.add(m.group().replaceAll("_(bucket|count|sum)$", ""));
      }
    }
    assertThat(referenced).as("what the alerts and the dashboard read").hasSizeGreaterThanOrEqualTo(10);
    // a state through the whole pipeline first, so that counters created on first use exist
    issue(IssuingInvoice.BUYER_TAX_ID);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      java.util.Set<String> exported = new java.util.TreeSet<>();
      for (String line : pipeline.metrics().scrape().split("\n")) {
        if (line.startsWith("# TYPE ")) {
          exported.add(line.split(" ")[2]);
        }
      }
      assertThat(exported).as("metric families the pipeline exports").containsAll(referenced);
    });
  }

  /** Messages past webhooks.retention.ms go with their attempts and bodies, by the running service itself; a waiting one stays. */
  @Test
  void shouldDeleteMessagesPastRetentionButNeverOneStillWaiting() throws Exception {
    try (WebhookReceiver erp = new WebhookReceiver()) {
      String[] ep = register(token(List.of(BUYER), "webhooks"), erp.url(), "[\"invoice.visible\"]");
      erp.secrets(ep[1]);
      String done = issue(BUYER);
      String waiting = issue(BUYER);
      await().atMost(Duration.ofMinutes(1)).until(() -> versionsAccepted(erp).keySet().containsAll(List.of(done, waiting)));
      String mine = "SELECT id FROM webhook_message WHERE endpoint_id = '" + ep[0] + "'";
      // 40 days old (every endpoint's copy of these messages, and their bodies, as the fan-out creates them together); one of
      // them waiting again, as a resend leaves it
      storeSql("UPDATE webhook_message SET created_at = now() - interval '40 days' WHERE id IN (" + mine + ")");
      storeSql("UPDATE webhook_body SET created_at = now() - interval '40 days' WHERE id IN (" + mine + ")");
      storeSql("UPDATE webhook_message SET status = 'PENDING', next_attempt_at = now() + interval '1 day' WHERE endpoint_id = '" + ep[0]
          + "' AND invoice_id = '" + waiting + "'");
      List<String> bodies = stack.storeColumn("SELECT b.id FROM webhook_body b WHERE b.id IN (" + mine + ") ORDER BY b.id");
      assertThat(bodies).hasSize(2);

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(stack.storeColumn("SELECT invoice_id || ' ' || status FROM "
          + "webhook_message WHERE endpoint_id = '" + ep[0] + "'")).as("only the waiting message is left").containsExactly(waiting + " PENDING"));
      // the bodies go right after the messages (the same pass): only the waiting message's is left
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(stack.storeColumn("SELECT id FROM webhook_body WHERE id IN ('"
          + String.join("','", bodies) + "')")).as("its body too").containsExactlyElementsOf(stack.storeColumn(mine)));
      assertThat(stack.storeColumn("SELECT count(*) FROM webhook_attempt a JOIN webhook_message m ON m.seq = a.message_seq WHERE "
          + "m.endpoint_id = '" + ep[0] + "' AND m.invoice_id = '" + done + "'")).containsExactly("0");
    }
  }

  static void storeSql(String sql) throws Exception {
    try (Connection c = stack.pg.connect("querystore"); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void shouldDeliverEveryInvoiceOfTheTokensTaxpayersInOrderSignedAndNoOneElses() throws Exception {
    try (WebhookReceiver seller = new WebhookReceiver(); WebhookReceiver stranger = new WebhookReceiver()) {
      String sellerToken = token(List.of(SELLER), "webhooks invoices:read invoices:trace");
      String[] ep = register(sellerToken, seller.url(), null);
      seller.secrets(ep[1]);
      String[] other = register(token(List.of(STRANGER), "webhooks"), stranger.url(), null);
      stranger.secrets(other[1]);

      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        ids.add(issue(BUYER));
      }
      for (String id : ids.subList(0, 4)) {
        issuing("UPDATE issuing.invoice SET status = 'RED_FLUSHED' WHERE id = '" + id + "'"); // version 2
      }
      String bad = "wh-bad-" + SEQ.incrementAndGet();
      issuing("BEGIN; INSERT INTO issuing.invoice (id, invoice_number, invoice_type, issue_date, issued_at, seller_name, seller_tax_id, "
          + "buyer_name, buyer_tax_id, total_amount, total_tax, grand_total, status) VALUES ('" + bad + "', '" + IssuingDay.digitalNumber(SEQ.get())
          + "', 'DIGITAL_GENERAL', current_date, now(), '深圳市示例科技有限公司', '" + SELLER + "', '购方', '" + BUYER + "', 100.00, 13.00, 114.00, "
          + "'ISSUED'); INSERT INTO issuing.invoice_line (invoice_id, line_no, item_name, unit, quantity, unit_price, amount, tax_rate, "
          + "tax_amount, tax_code) VALUES ('" + bad + "', 1, '*信息技术服务*软件维护', '次', 1, 100, 100.00, 0.13, 13.00, '3040201010000000000'); COMMIT");

      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
        Map<String, List<Integer>> got = versionsAccepted(seller);
        for (String id : ids) {
          assertThat(got.get(id)).as("invoice " + id).isNotNull().last().isEqualTo(storeVersion(id));
        }
        assertThat(seller.accepted()).anyMatch(d -> d.type().equals("invoice.rejected") && bad.equals(d.invoiceId()));
      });
      Map<String, List<Integer>> got = versionsAccepted(seller);
      for (String id : ids.subList(0, 4)) {
        assertThat(got.get(id)).as("in order, each version once, the last one included").isSorted().doesNotHaveDuplicates().endsWith(2);
      }
      assertThat(seller.received()).as("every delivery verifies with the reference library").allMatch(WebhookReceiver.Delivery::verified);
      WebhookReceiver.Delivery rejected = seller.accepted().stream().filter(d -> d.type().equals("invoice.rejected")).findFirst().orElseThrow();
      assertThat(rejected.json().get("data").get("violations").get(0).get("code").asText()).isNotBlank();
      WebhookReceiver.Delivery visible = seller.accepted().stream().filter(d -> d.type().equals("invoice.visible")).findFirst().orElseThrow();
      assertThat(visible.json().get("data").get("invoice").get("lines")).as("the invoice as the API shows it, lines and all").hasSize(1);
      assertThat(visible.id()).startsWith("msg_");
      assertThat(stranger.received()).as("a stranger's endpoint gets nothing of these invoices").isEmpty();

      // per endpoint: attempts by result, their duration, the delivery lag; backlog and the oldest undelivered age (every 10 s)
      String metrics = pipeline.metrics().scrape();
      assertThat(metrics).containsPattern("invoicesync_webhooks_attempts_total\\{[^}]*endpoint=\"" + ep[0] + "\"[^}]*result=\"delivered\"")
          .contains("invoicesync_webhooks_attempt_duration_seconds_count{", "invoicesync_webhooks_delivered_lag_seconds_count{")
          // where a slow delivery's time goes: the fan-out's work per poll, the dispatcher's lease and record per turn
          .contains("invoicesync_webhooks_fanout_batch_seconds_count{", "invoicesync_webhooks_dispatch_claim_seconds_count{",
              "invoicesync_webhooks_dispatch_settle_seconds_count{");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pipeline.metrics().scrape())
          .containsPattern("invoicesync_webhooks_backlog\\{[^}]*endpoint=\"" + ep[0] + "\"")
          .containsPattern("invoicesync_webhooks_oldest_undelivered_seconds\\{[^}]*endpoint=\"" + ep[0] + "\""));

      // the deliveries, as the ERP sees them, and in the invoice's trace
      HttpResponse<String> deliveries = TestHttp.get(pipeline.api().port(), "/api/v1/webhooks/endpoints/" + ep[0] + "/deliveries?invoiceId="
          + ids.get(0), sellerToken);
      assertThat(deliveries.statusCode()).as(deliveries.body()).isEqualTo(200);
      JsonNode items = json.readTree(deliveries.body()).get("items");
      assertThat(items).as("v1 and v2, or v2 alone when v1 was replaced before its report was read").hasSizeBetween(1, 2);
      assertThat(items.get(0).get("version").asInt()).as("newest first").isEqualTo(2);
      assertThat(items.get(0).get("status").asText()).isEqualTo("DELIVERED");
      assertThat(items.get(0).get("lastResponseStatus").asInt()).isEqualTo(200);
      assertThat(deliveries.body()).as("never the body or the secret").doesNotContain(ep[1], "\"lines\"");
      HttpResponse<String> trace = TestHttp.get(pipeline.api().port(), "/api/v1/invoices/" + ids.get(0) + "/trace", sellerToken);
      assertThat(json.readTree(trace.body()).get("webhooks")).extracting(n -> n.get("endpointId").asText()).contains(ep[0])
          .as("the stranger's endpoint is not this tenant's to see").doesNotContain(other[0]);
      assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/webhooks/endpoints/" + ep[0], token(List.of(STRANGER), "webhooks")).statusCode())
          .as("another taxpayer's endpoint is not there for this token").isEqualTo(404);
      assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/webhooks/endpoints", token(List.of(SELLER), "invoices:read")).statusCode())
          .as("the webhooks scope is needed").isEqualTo(403);
    }
  }

  @Test
  void shouldDeliverEverythingInOrderOnceAFailingSlowAndDownEndpointAnswersAgain() throws Exception {
    try (WebhookReceiver erp = new WebhookReceiver()) {
      String t = token(List.of(BUYER), "webhooks");
      String[] ep = register(t, erp.url(), "[\"invoice.visible\"]");
      erp.secrets(ep[1]);
      // the first requests: slow past the attempt timeout, then every other one a 500, then a 503 asking for a second
      erp.behaviour(n -> n <= 2 ? new WebhookReceiver.Answer(200, 1_500) : n <= 12 ? new WebhookReceiver.Answer(n % 2 == 0 ? 500 : 200, 0)
          : n <= 14 ? new WebhookReceiver.Answer(503, 0) : new WebhookReceiver.Answer(200, 0));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        ids.add(issue(BUYER));
      }
      for (String id : ids) {
        issuing("UPDATE issuing.invoice SET status = 'RED_FLUSHED' WHERE id = '" + id + "'");
      }
      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
        Map<String, List<Integer>> got = versionsAccepted(erp);
        for (String id : ids) {
          assertThat(got.get(id)).as("invoice " + id).isNotNull().last().isEqualTo(2);
        }
      });
      Map<String, List<Integer>> got = versionsAccepted(erp);
      ids.forEach(id -> assertThat(got.get(id)).as("invoice " + id + ": in order, each version once").isSorted().doesNotHaveDuplicates()
          .endsWith(2));
      Map<String, Long> attemptsById = erp.received().stream().collect(Collectors.groupingBy(WebhookReceiver.Delivery::id, Collectors.counting()));
      assertThat(attemptsById.values()).as("retries happened, each with the message's own webhook-id").anyMatch(n -> n > 1);
      assertThat(erp.received()).allMatch(WebhookReceiver.Delivery::verified);
    }
  }

  @Test
  void shouldKeepDeliveringToOthersWhenAnEndpointIsDeletedWithAttemptsInFlight() throws Exception {
    try (WebhookReceiver slow = new WebhookReceiver(); WebhookReceiver other = new WebhookReceiver()) {
      String t = token(List.of(SELLER), "webhooks");
      String[] doomed = register(t, slow.url(), "[\"invoice.visible\"]");
      slow.secrets(doomed[1]).behaviour(n -> new WebhookReceiver.Answer(200, 800)); // answers late: its attempts are in flight
      issue(BUYER);
      await().atMost(Duration.ofMinutes(1)).until(() -> !slow.received().isEmpty() || stack.store("SELECT 1 FROM webhook_message WHERE "
          + "endpoint_id = '" + doomed[0] + "' AND leased_until IS NOT NULL") != null);
      // a message of its own (an event no other endpoint wanted) and one it shares with another endpoint, with their bodies
      String survivor = register(t, other.url(), "[\"invoice.rejected\"]")[0];
      storeSql("INSERT INTO webhook_body (id, body, created_at) VALUES ('msg_only_doomed', '{}', now()), ('msg_shared', '{}', now())");
      storeSql("INSERT INTO webhook_message (id, endpoint_id, event_type, order_key, created_at, status) VALUES "
          + "('msg_only_doomed', '" + doomed[0] + "', 'invoice.visible', 'k1', now(), 'DELIVERED'), "
          + "('msg_shared', '" + doomed[0] + "', 'invoice.visible', 'k2', now(), 'DELIVERED'), "
          + "('msg_shared', '" + survivor + "', 'invoice.visible', 'k2', now(), 'DELIVERED')");
      HttpResponse<String> deleted = TestHttp.send(TestHttp.request(TestHttp.localhost(pipeline.api().port(), "/api/v1/webhooks/endpoints/"
          + doomed[0]), t).DELETE().build());
      assertThat(deleted.statusCode()).isEqualTo(204);
      // its messages went with it; the body only it needed too, the shared one stays for the other endpoint
      assertThat(stack.storeColumn("SELECT id FROM webhook_body WHERE id IN ('msg_only_doomed', 'msg_shared')")).containsExactly("msg_shared");
      assertThat(stack.storeColumn("SELECT count(*) FROM webhook_message WHERE endpoint_id = '" + doomed[0] + "'")).containsExactly("0");
      // the attempts in flight for the deleted endpoint settle into nothing; the dispatcher goes on for everyone else
      String[] ep = register(t, other.url(), "[\"invoice.visible\"]");
      other.secrets(ep[1]);
      String id = issue(BUYER);
      await().atMost(Duration.ofMinutes(1)).until(() -> versionsAccepted(other).containsKey(id));
    }
  }

  @Test
  void shouldShareTheWorkBetweenTwoInstancesAndStillDeliverInOrderPerInvoice() throws Exception {
    // a second webhooks instance on the same store and group, as a second 'run --components webhooks' would be
    Map<String, Object> second = pipeline.componentConfig("webhooks");
    second.put("jdbc.url", stack.pg.jdbcUrl("querystore"));
    second.put("instance.id", "second");
    try (WebhookReceiver erp = new WebhookReceiver();
         io.invoicesync.webhooks.WebhookService other = new io.invoicesync.webhooks.WebhookService(
             new io.invoicesync.webhooks.WebhooksConfig(second), new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).start()) {
      String t = token(List.of(BUYER), "webhooks");
      String[] ep = register(t, erp.url(), "[\"invoice.visible\"]");
      erp.secrets(ep[1]).behaviour(n -> new WebhookReceiver.Answer(200, n % 3 == 0 ? 30 : 0)); // some answers slower: both instances busy
      // the second instance's fan-out has joined the group and holds partitions: the invoices it fans out, its dispatcher claims at
      // once (on a warm pipeline the first instance's dispatcher would otherwise take every message before the second ever polls)
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
          Map.of("bootstrap.servers", stack.kafka.bootstrapServers()))) {
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(admin.describeConsumerGroups(List.of("invoice-sync-webhooks"))
            .all().get().get("invoice-sync-webhooks").members()).as("the fan-out group's members").anySatisfy(m -> {
              assertThat(m.groupInstanceId()).hasValueSatisfying(v -> assertThat(v).endsWith("second"));
              assertThat(m.assignment().topicPartitions()).isNotEmpty();
            }));
      }
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        ids.add(issue(BUYER));
      }
      for (String id : ids) {
        issuing("UPDATE issuing.invoice SET status = 'RED_FLUSHED' WHERE id = '" + id + "'");
      }
      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
        Map<String, List<Integer>> got = versionsAccepted(erp);
        ids.forEach(id -> assertThat(got.get(id)).as(id).isNotNull().last().isEqualTo(2));
      });
      Map<String, List<Integer>> got = versionsAccepted(erp);
      ids.forEach(id -> assertThat(got.get(id)).as(id + ": in order, each version once").isSorted().doesNotHaveDuplicates());
      List<String> owners = stack.storeColumn("SELECT DISTINCT leased_by FROM webhook_message WHERE endpoint_id = '" + ep[0]
          + "' AND leased_by IS NOT NULL");
      assertThat(owners).as("the second instance took its share").contains("second");
    }
  }

  @Test
  void shouldDisableAnEndpointThatAnswers410TellTheOperatorsAndRecoverWhatItMissed() throws Exception {
    try (WebhookReceiver gone = new WebhookReceiver(); WebhookReceiver ops = new WebhookReceiver()) {
      String t = token(List.of(SELLER), "webhooks");
      String[] ep = register(t, gone.url(), "[\"invoice.visible\"]");
      gone.secrets(ep[1]).behaviour(n -> new WebhookReceiver.Answer(410, 0));
      String[] watcher = register(t, ops.url(), "[\"endpoint.disabled\"]");
      ops.secrets(watcher[1]);

      String first = issue(BUYER);
      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(ops.accepted()).anyMatch(d -> d.type().equals("endpoint.disabled")
          && d.json().get("data").get("endpointId").asText().equals(ep[0])));
      JsonNode shown = json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/webhooks/endpoints/" + ep[0], t).body());
      assertThat(shown.get("enabled").asBoolean()).isFalse();
      assertThat(shown.get("disabledReason").asText()).contains("410");
      assertThat(shown.toString()).as("the secret is shown once, at registration").doesNotContain(ep[1]);
      Instant since = Instant.now().minusSeconds(600);

      // while it is disabled, another invoice: recorded for it, not sent
      String second = issue(BUYER);
      await().atMost(Duration.ofMinutes(2)).until(() -> stack.store("SELECT status FROM webhook_message WHERE endpoint_id = '" + ep[0]
          + "' AND invoice_id = '" + second + "'") != null);
      int requestsWhileDisabled = gone.received().size();

      // the ERP is back; recover sends both, in order
      gone.behaviour(n -> new WebhookReceiver.Answer(200, 0));
      HttpResponse<String> r = post("/api/v1/webhooks/endpoints/" + ep[0] + "/recover", t, "{\"since\":\"" + since + "\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      assertThat(json.readTree(r.body()).get("reenabled").asBoolean()).isTrue();
      await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(versionsAccepted(gone)).containsKeys(first, second));
      assertThat(requestsWhileDisabled).as("nothing was sent to the disabled endpoint").isEqualTo(1);
      assertThat(post("/api/v1/webhooks/endpoints/" + ep[0] + "/recover", t, "{\"since\":\"yesterday\"}").statusCode()).isEqualTo(400);
    }
  }

  /**
   * An endpoint that has failed for five days (the default webhooks.disable.after.ms) is disabled at its next failed attempt and
   * the operators' endpoint is told; the five days are aged in the store (failing_since) rather than waited for.
   */
  @Test
  void shouldDisableAnEndpointFailingForFiveDaysAndTellTheOperators() throws Exception {
    try (WebhookReceiver failing = new WebhookReceiver(); WebhookReceiver ops = new WebhookReceiver()) {
      String t = token(List.of(SELLER), "webhooks");
      String[] ep = register(t, failing.url(), "[\"invoice.visible\"]");
      failing.secrets(ep[1]).behaviour(n -> new WebhookReceiver.Answer(500, 0));
      String[] watcher = register(t, ops.url(), "[\"endpoint.disabled\"]");
      ops.secrets(watcher[1]);

      issue(BUYER);
      await().atMost(Duration.ofMinutes(2)).until(() -> stack.store("SELECT failing_since FROM webhook_endpoint WHERE id = '" + ep[0]
          + "'") != null);
      JsonNode failingNow = json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/webhooks/endpoints/" + ep[0], t).body());
      assertThat(failingNow.get("enabled").asBoolean()).as("failing a few seconds is not five days").isTrue();
      storeSql("UPDATE webhook_endpoint SET failing_since = now() - interval '5 days 1 minute' WHERE id = '" + ep[0] + "'");

      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(ops.accepted()).anyMatch(d -> d.type().equals("endpoint.disabled")
          && d.json().get("data").get("endpointId").asText().equals(ep[0])));
      JsonNode shown = json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/webhooks/endpoints/" + ep[0], t).body());
      assertThat(shown.get("enabled").asBoolean()).isFalse();
      assertThat(shown.get("disabledReason").asText()).contains("failed for 120 h").contains("500");
      int attempts = failing.received().size();
      issue(BUYER);
      await().atMost(Duration.ofMinutes(1)).until(() -> stack.store("SELECT count(*) FROM webhook_message WHERE endpoint_id = '" + ep[0]
          + "'").equals("2"));
      assertThat(failing.received()).as("nothing more is sent to a disabled endpoint").hasSize(attempts);
    }
  }

  @Test
  void shouldSayStalledWhenTheStoreRefusesWritesPastTheThresholdAndResumedAfter() throws Exception {
    try (WebhookReceiver ops = new WebhookReceiver()) {
      String[] ep = register(token(List.of(STRANGER), "webhooks"), ops.url(), "[\"sync.stalled\", \"sync.resumed\"]");
      ops.secrets(ep[1]);
      storeReadOnly(true);
      try {
        issue(BUYER); // captured and synced, but the projector cannot write it
        await().atMost(Duration.ofMinutes(1)).until(() -> ops.accepted().stream().anyMatch(d -> d.type().equals("sync.stalled")));
      } finally {
        storeReadOnly(false);
      }
      WebhookReceiver.Delivery stalled = ops.accepted().stream().filter(d -> d.type().equals("sync.stalled")).findFirst().orElseThrow();
      assertThat(stalled.verified()).as("signed, though the store could not record it").isTrue();
      assertThat(stalled.json().get("data").get("reason").asText()).contains("invoices.synced");
      await().atMost(Duration.ofMinutes(2)).until(() -> ops.accepted().stream().anyMatch(d -> d.type().equals("sync.resumed")));
      WebhookReceiver.Delivery resumed = ops.accepted().stream().filter(d -> d.type().equals("sync.resumed")).findFirst().orElseThrow();
      assertThat(resumed.json().get("data").get("stalledSince").asText()).isEqualTo(stalled.json().get("data").get("since").asText());
      assertThat(ops.accepted()).as("operational events only: this endpoint named no invoice event")
          .allMatch(d -> d.type().startsWith("sync."));
    }
  }

  @Test
  void shouldServeAFeedOfTheSameMessagesToAnErpThatCannotAcceptInboundHttp() throws Exception {
    String t = token(List.of(BUYER), "webhooks");
    HttpResponse<String> r = post("/api/v1/webhooks/endpoints", t, "{\"mode\":\"pull\",\"events\":[\"invoice.visible\"]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    String feed = json.readTree(r.body()).get("id").asText();
    assertThat(json.readTree(r.body()).get("mode").asText()).isEqualTo("pull");

    // a long poll that starts before the invoice exists answers once it is visible
    java.util.concurrent.CompletableFuture<HttpResponse<String>> waiting = TestHttp.sendAsync(TestHttp.request(TestHttp.localhost(
        pipeline.api().port(), "/api/v1/events?wait=30"), t).timeout(Duration.ofSeconds(60)).GET().build());
    String id = issue(BUYER);
    HttpResponse<String> first = waiting.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    JsonNode page = json.readTree(first.body());
    assertThat(page.get("endpoint").asText()).isEqualTo(feed);
    assertThat(page.get("items")).isNotEmpty();
    JsonNode item = page.get("items").get(0);
    assertThat(item.get("id").asText()).as("the id a webhook would carry").startsWith("msg_");
    assertThat(item.get("type").asText()).isEqualTo("invoice.visible");
    String cursor = page.get("next").asText();

    // the same invoice reached a push endpoint of the same taxpayer with the same id
    List<String> ids = stack.storeColumn("SELECT DISTINCT id FROM webhook_message WHERE invoice_id = '" + id + "' AND event_type = 'invoice.visible'");
    assertThat(ids).contains(item.get("id").asText());
    await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
      JsonNode all = json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/events", t).body()).get("items");
      assertThat(all).extracting(n -> n.get("data").get("invoice").get("id").asText()).contains(id);
    });
    JsonNode after = json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/events?after=" + cursor, t).body());
    assertThat(after.get("items")).extracting(n -> n.get("id").asText()).doesNotContain(item.get("id").asText());
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/events?after=nonsense", t).statusCode()).isEqualTo(400);
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/events", token(List.of(STRANGER), "webhooks")).statusCode())
        .as("another taxpayer has no feed, and never reads this one").isEqualTo(404);
    assertThat(TestHttp.get(pipeline.api().port(), "/api/v1/events?endpoint=" + feed, token(List.of(STRANGER), "webhooks")).statusCode())
        .isEqualTo(404);
  }

  @Test
  void shouldTellWhatAScheduledReconciliationFoundWithItsCountsOnly() throws Exception {
    try (WebhookReceiver ops = new WebhookReceiver()) {
      String[] ep = register(token(List.of(STRANGER), "webhooks"), ops.url(), "[\"reconcile.found\"]");
      ops.secrets(ep[1]);
      // a scheduled run's row, as ReconcileScheduler writes it: two invoices missing from the store, one stale
      try (Connection c = stack.pg.connect("querystore"); Statement st = c.createStatement()) {
        st.execute("INSERT INTO reconcile_report (started_at, seconds, ok, counts, report) VALUES (now(), 1.5, false, "
            + "'{\"MISSING\": 2, \"STALE\": 1, \"EXTRA\": 0, \"IN_FLIGHT\": 4}', '{\"differences\": [{\"invoiceId\": \"secret-of-b\"}]}')");
      }
      await().atMost(Duration.ofMinutes(1)).until(() -> ops.accepted().stream().anyMatch(d -> d.type().equals("reconcile.found")));
      WebhookReceiver.Delivery d = ops.accepted().stream().filter(x -> x.type().equals("reconcile.found")).findFirst().orElseThrow();
      assertThat(d.json().get("data").get("found").toString()).isEqualTo("{\"MISSING\":2,\"STALE\":1}");
      assertThat(d.body()).as("counts only: the differences name every taxpayer's invoices").doesNotContain("secret-of-b");
      assertThat(d.verified()).isTrue();
    }
  }

  /** The query store refuses writes (as on a standby): new sessions read-only, the open ones ended so pools reconnect into it. */
  static void storeReadOnly(boolean readOnly) throws Exception {
    try (Connection c = stack.pg.connect("querystore"); Statement st = c.createStatement()) {
      st.execute("SET default_transaction_read_only = off");
      st.execute("ALTER DATABASE querystore SET default_transaction_read_only = " + readOnly);
      st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'querystore' AND pid <> pg_backend_pid()");
    }
  }

  /** v1a: the endpoint's signing key never leaves the store; the ERP verifies with its public key alone, across a rotation too. */
  @Test
  void shouldSignV1aWithEd25519SoThatTheErpVerifiesWithThePublicKeyAlone() throws Exception {
    try (WebhookReceiver erp = new WebhookReceiver()) {
      String t = token(List.of(SELLER), "webhooks");
      HttpResponse<String> r = post("/api/v1/webhooks/endpoints", t, "{\"url\":\"" + erp.url() + "\",\"events\":[\"invoice.visible\"],"
          + "\"signature\":\"v1a\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      JsonNode created = json.readTree(r.body());
      assertThat(created.has("secret")).as("no secret is shown: none is shared").isFalse();
      assertThat(created.get("signature").asText()).isEqualTo("v1a");
      String id = created.get("id").asText();
      String publicKey = created.get("publicKey").asText();
      assertThat(publicKey).startsWith("whpk_");
      assertThat(r.body()).doesNotContain("whsk_");
      assertThat(json.readTree(TestHttp.get(pipeline.api().port(), "/api/v1/webhooks/endpoints/" + id, t).body()).get("publicKey").asText())
          .as("the public key, whenever asked").isEqualTo(publicKey);
      erp.publicKeys(publicKey);
      String first = issue(BUYER);
      await().atMost(Duration.ofMinutes(2)).until(() -> erp.accepted().stream().anyMatch(d -> d.body().contains(first)));
      WebhookReceiver.Delivery d = erp.accepted().stream().filter(x -> x.body().contains(first)).findFirst().orElseThrow();
      assertThat(d.signature()).startsWith("v1a,").doesNotContain("v1,");
      assertThat(d.verified()).isTrue();

      // a rotation: a new key pair; the old key signs beside it for the overlap, so a receiver with either public key verifies
      HttpResponse<String> rotated = post("/api/v1/webhooks/endpoints/" + id + "/rotate-secret", t, "");
      assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
      String fresh = json.readTree(rotated.body()).get("publicKey").asText();
      assertThat(fresh).startsWith("whpk_").isNotEqualTo(publicKey);
      assertThat(rotated.body()).doesNotContain("whsk_");
      String second = issue(BUYER);
      await().atMost(Duration.ofMinutes(2)).until(() -> erp.accepted().stream().anyMatch(x -> x.body().contains(second)));
      WebhookReceiver.Delivery after = erp.accepted().stream().filter(x -> x.body().contains(second)).findFirst().orElseThrow();
      assertThat(after.signature().split(" ")).as("two v1a signatures during the overlap").hasSize(2).allMatch(p -> p.startsWith("v1a,"));
      assertThat(after.verified()).as("with the old public key").isTrue();
      assertThat(WebhookReceiver.verifiesV1a(fresh, after.id(), after.timestamp(), after.body(), after.signature())).as("with the new one")
          .isTrue();
      assertThat(post("/api/v1/webhooks/endpoints", t, "{\"url\":\"" + erp.url() + "\",\"signature\":\"rsa\"}").body())
          .contains("signature", "v1a");
    }
  }

  @Test
  void shouldSignWithTheNewAndThePreviousSecretAfterARotationAndResendWithTheSameId() throws Exception {
    try (WebhookReceiver erp = new WebhookReceiver()) {
      String t = token(List.of(SELLER), "webhooks");
      String[] ep = register(t, erp.url(), "[\"invoice.visible\"]");
      HttpResponse<String> rotated = post("/api/v1/webhooks/endpoints/" + ep[0] + "/rotate-secret", t, "");
      assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
      String fresh = json.readTree(rotated.body()).get("secret").asText();
      assertThat(fresh).startsWith("whsec_").isNotEqualTo(ep[1]);

      erp.secrets(ep[1]); // a receiver not updated yet still verifies
      String id = issue(BUYER);
      await().atMost(Duration.ofMinutes(2)).until(() -> !erp.accepted().isEmpty());
      WebhookReceiver.Delivery d = erp.accepted().get(0);
      assertThat(d.verified()).isTrue();
      assertThat(d.signature().split(" ")).as("two v1 signatures during the overlap").hasSize(2);
      erp.secrets(fresh); // and so does an updated one
      assertThat(id).isEqualTo(d.invoiceId());

      // resend through the CLI: the same message again, the same webhook-id, verified with the new secret
      int before = erp.received().size();
      Cli.Result r = Cli.run("webhooks", "resend", ep[0], d.id(), "--config", config.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      await().atMost(Duration.ofMinutes(1)).until(() -> erp.received().size() > before);
      WebhookReceiver.Delivery again = erp.received().get(before);
      assertThat(again.id()).isEqualTo(d.id());
      assertThat(again.body()).isEqualTo(d.body());
      assertThat(again.verified()).isTrue();

      Cli.Result list = Cli.run("webhooks", "list", "--config", config.toString(), "-o", "json");
      assertThat(list.exit()).as(list.err()).isZero();
      assertThat(list.out()).contains(ep[0]).doesNotContain(ep[1], fresh);
      Cli.Result deliveries = Cli.run("webhooks", "deliveries", ep[0], "--config", config.toString());
      assertThat(deliveries.out()).contains(d.id(), "DELIVERED");

      // an operator's endpoint from the CLI: its secret printed once, then removed
      Cli.Result added = Cli.run("webhooks", "add", "http://127.0.0.1:9/nowhere", "--events", "invoice.rejected", "--config", config.toString(),
          "-o", "json");
      assertThat(added.exit()).as(added.err()).isZero();
      JsonNode a = json.readTree(added.out());
      assertThat(a.get("secret").asText()).startsWith("whsec_");
      assertThat(Cli.run("webhooks", "add", "ftp://x", "--config", config.toString()).err()).contains("url must be https://");
      assertThat(Cli.run("webhooks", "remove", a.get("id").asText(), "--config", config.toString()).exit()).isZero();
      assertThat(Cli.run("webhooks", "resend", a.get("id").asText(), "msg_x", "--config", config.toString()).err())
          .contains("no webhook endpoint");
    }
  }
}
