package io.invoicesync.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.QueryStoreWriter;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.testkit.InvoiceFixtures;
import io.invoicesync.testkit.TestHttp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

class QueryApiServerIT {

  @TempDir
  static java.nio.file.Path dir;
  static EmbeddedPostgresServer pg;
  static QueryApiServer api;
  static final AtomicBoolean streamsHealthy = new AtomicBoolean(true);
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    TestQueryStore store = TestQueryStore.start(dir);
    pg = store.pg();
    PGSimpleDataSource ds = store.dataSource();
    List<InvoiceState> states = new ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      Invoice inv = InvoiceFixtures.digitalInvoice("q-" + i, 2);
      inv.setIssueDate(LocalDate.of(2026, 11, i));
      if (i % 2 == 0) {
        inv.getSeller().setTaxId("91350100M000100Y43");
      }
      states.add(InvoiceFixtures.synced(inv, 1, i));
    }
    new QueryStoreWriter(ds).write(states);
    api = new QueryApiServer(new QueryApiConfig(Map.of(QueryApiConfig.JDBC_URL, pg.jdbcUrl("querystore"), QueryApiConfig.PORT, 0,
        QueryApiConfig.AUTH_MODE, "none")),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Map.of("syncStreams", streamsHealthy::get)).start();
  }

  @AfterAll
  static void stop() {
    api.close();
    pg.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return TestHttp.get(api.port(), path);
  }

  @Test
  void shouldReturnAnInvoiceWithItsLinesAndSyncMetadata() throws Exception {
    HttpResponse<String> r = get("/api/v1/invoices/q-3");

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json.readTree(r.body());
    assertThat(body.get("id").asText()).isEqualTo("q-3");
    assertThat(body.get("issueDate").asText()).isEqualTo("2026-11-03");
    assertThat(body.get("lines")).hasSize(2);
    assertThat(body.get("lines").get(0).get("taxRate").decimalValue()).isEqualByComparingTo("0.13");
    assertThat(body.get("sync").get("version").asInt()).isEqualTo(1);
    assertThat(body.get("sync").get("sourceLsn").asLong()).isEqualTo(3);
  }

  @Test
  void shouldAnswer404AsProblemDetailsForAnUnknownInvoice() throws Exception {
    HttpResponse<String> r = get("/api/v1/invoices/nope");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(json.readTree(r.body()).get("detail").asText()).contains("nope");
  }

  @Test
  void shouldKeepItsOwn404ProblemsApartFromUnknownPaths() throws Exception {
    JsonNode invoice = json.readTree(get("/api/v1/invoices/nope").body());
    assertThat(invoice.get("title").asText()).isEqualTo("Invoice not found");
    assertThat(invoice.get("detail").asText()).contains("/api/v1/invoices/nope/trace");
    HttpResponse<String> none = get("/api/v1/reconcile/last");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(json.readTree(none.body()).get("title").asText()).isEqualTo("No reconciliation yet");
    assertThat(json.readTree(get("/api/v1/no-such-thing").body()).get("title").asText()).isEqualTo("Not found");
  }

  @Test
  void shouldPageThroughASellersInvoicesNewestFirstWithoutGapsOrRepeats() throws Exception {
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      HttpResponse<String> r = get("/api/v1/invoices?sellerTaxId=91350100M000100Y43&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode body = json.readTree(r.body());
      body.get("items").forEach(i -> seen.add(i.get("id").asText()));
      cursor = body.get("nextCursor").isNull() ? null : body.get("nextCursor").asText();
    } while (cursor != null);

    assertThat(seen).containsExactly("q-6", "q-4", "q-2");
  }

  @Test
  void shouldFilterByIssueDateRange() throws Exception {
    JsonNode body = json.readTree(get("/api/v1/invoices?from=2026-11-03&to=2026-11-05").body());

    assertThat(body.get("items")).extracting(i -> i.get("id").asText()).containsExactly("q-5", "q-4", "q-3");
  }

  @Test
  void shouldNameTheWrongParameter() throws Exception {
    for (String[] c : new String[][] {{"from=2026-13-01", "from"}, {"limit=0", "limit"}, {"status=PAID", "status"},
        {"cursor=bm90LWEtY3Vyc29y", "cursor"}, {"sellerId=1", "sellerId"}}) {
      HttpResponse<String> r = get("/api/v1/invoices?" + c[0]);
      assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
      JsonNode body = json.readTree(r.body());
      assertThat(body.get("invalidParams").get(0).get("name").asText()).as(c[0]).isEqualTo(c[1]);
      assertThat(body.get("detail").asText()).contains(c[1]);
    }
    // the trace and audit endpoints refuse a parameter they do not know too, naming it
    for (String path : List.of("/api/v1/invoices/q-1/trace?lng=zh", "/api/v1/invoices/q-1/audit?lng=zh")) {
      HttpResponse<String> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(400);
      assertThat(json.readTree(r.body()).get("invalidParams").get(0).get("name").asText()).as(path).isEqualTo("lng");
    }
  }

  @Test
  void shouldReportHealthOfTheStoreAndComponentsAndExposeMetrics() throws Exception {
    assertThat(get("/health").statusCode()).isEqualTo(200);
    streamsHealthy.set(false);
    try {
      HttpResponse<String> down = get("/health");
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(json.readTree(down.body()).get("components").get("syncStreams").asText()).isEqualTo("DOWN");
    } finally {
      streamsHealthy.set(true);
    }
    assertThat(get("/metrics").statusCode()).isEqualTo(200);
  }
}
