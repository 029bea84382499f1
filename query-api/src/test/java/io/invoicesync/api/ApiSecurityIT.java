package io.invoicesync.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.invoicesync.api.security.Scope;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.QueryStoreWriter;
import io.invoicesync.schemas.Invoice;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.testkit.InvoiceFixtures;
import io.invoicesync.testkit.TestHttp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Authentication and tenant isolation of the query API on a real store: tokens checked (signature,
 * expiry, issuer, audience, scope), and a token for taxpayer A never sees taxpayer B's invoices, on
 * any route; the routes are enumerated from Javalin's router, so a new one cannot skip the check.
 */
class ApiSecurityIT {

  static final String SECRET = "0123456789abcdef0123456789abcdef-test-only";
  static final String ISSUER = "https://idp.example.com/";
  static final String AUDIENCE = "invoice-sync";
  static final String A = "91440300A00000000A";
  static final String B = "91110000B00000000B";
  static final String C = "91310000C00000000C";
  static final Set<String> ALL_SCOPES = Set.of("invoices:read", "invoices:trace", "operations", "audit", "imports", "webhooks");

  @TempDir
  static java.nio.file.Path dir;
  static EmbeddedPostgresServer pg;
  static QueryApiServer api;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    TestQueryStore store = TestQueryStore.start(dir);
    pg = store.pg();
    PGSimpleDataSource ds = store.dataSource();
    List<InvoiceState> states = new ArrayList<>();
    states.add(state("a-sells", A, C, 1));
    states.add(state("a-buys", B, A, 2)); // A is the buyer: A sees it
    states.add(state("b-only", B, C, 3)); // neither seller nor buyer is A
    new QueryStoreWriter(ds).write(states);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      // what the outcome recorder and the audit consumer write for B's invoices: a rejection, an in-flight one, an audit entry
      s.execute("INSERT INTO invoice_rejection (invoice_id, source_lsn, source_commit_ts, rejected_at, codes, violations, invoice_number, "
          + "seller_tax_id, buyer_tax_id) VALUES ('b-rejected', 9, now(), now(), 'GRAND_TOTAL_MISMATCH', '[]', '26442000000000000999', '"
          + B + "', '" + C + "')");
      s.execute("INSERT INTO invoice_outcome (invoice_id, outcome, last_event, invoice_number, seller_tax_id, first_seen_at, updated_at, "
          + "audit_partition, audit_offset) VALUES ('b-inflight', 'IN_FLIGHT', 'RETRIED', '26442000000000000998', '" + B + "', now(), now(), 0, 1), "
          + "('b-rejected', 'REJECTED', 'REJECTED', '26442000000000000999', '" + B + "', now(), now(), 0, 2)");
      s.execute("INSERT INTO invoice_event (audit_partition, audit_offset, invoice_id, event, source_lsn, recorded_at, digest, hash, "
          + "seller_tax_id) VALUES (0, 1, 'b-only', 'APPLIED', 3, now(), 'd', repeat('0', 64), '" + B + "')");
      // an earlier, corrected state of B's invoice named A as its seller: A keeps no access through it
      s.execute("INSERT INTO invoice_event (audit_partition, audit_offset, invoice_id, event, source_lsn, recorded_at, digest, hash, "
          + "seller_tax_id) VALUES (0, 0, 'b-only', 'APPLIED', 2, now(), 'd', repeat('0', 64), '" + A + "')");
      // A's invoice the store refused: retried, then dead-lettered, with the driver's exception text in both
      s.execute("INSERT INTO invoice_outcome (invoice_id, outcome, last_event, invoice_number, seller_tax_id, first_seen_at, updated_at, "
          + "audit_partition, audit_offset) VALUES ('a-dead', 'DEAD_LETTERED', 'DEAD_LETTERED', '26442000000000000997', '" + A + "', now(), "
          + "now(), 1, 1)");
      s.execute("INSERT INTO invoice_event (audit_partition, audit_offset, invoice_id, event, source_lsn, recorded_at, digest, hash, "
          + "seller_tax_id, detail) VALUES (1, 0, 'a-dead', 'RETRIED', 4, now(), 'd', repeat('1', 64), '" + A + "', '" + PSQL_TEXT + "'), "
          + "(1, 1, 'a-dead', 'DEAD_LETTERED', 4, now(), 'd', repeat('2', 64), '" + A + "', 'DATA: " + PSQL_TEXT + "')");
      s.execute("INSERT INTO dead_letter (dlt_topic, dlt_partition, dlt_offset, invoice_id, stage, exception_class, cause_class, message, "
          + "attempts, dead_lettered_at) VALUES ('invoices.synced.dlt', 0, 0, 'a-dead', 'projector', 'org.apache.kafka.common.KafkaException', "
          + "'org.postgresql.util.PSQLException', '" + PSQL_TEXT + "', 3, now())");
    }
    api = jwtApi(0);
  }

  /** What pgjdbc says when a value does not fit: our table, our column, our driver. */
  static final String PSQL_TEXT = "PSQLException: ERROR: value too long for type character varying(20) (invoice.buyer_tax_id)";

  /** The API in jwt mode (HS256 key, issuer, audience) on the store, at {@code perMinute} requests a minute per caller (0: no limit). */
  static QueryApiServer jwtApi(int perMinute) {
    Map<String, Object> cfg = new HashMap<>();
    cfg.put(QueryApiConfig.JDBC_URL, pg.jdbcUrl("querystore"));
    cfg.put(QueryApiConfig.PORT, 0);
    cfg.put(QueryApiConfig.AUTH_MODE, "jwt");
    cfg.put(QueryApiConfig.JWT_SECRET, SECRET);
    cfg.put(QueryApiConfig.JWT_ISSUER, ISSUER);
    cfg.put(QueryApiConfig.JWT_AUDIENCE, AUDIENCE);
    cfg.put(QueryApiConfig.RATE_LIMIT_PER_MINUTE, perMinute);
    return new QueryApiServer(new QueryApiConfig(cfg), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Map.of()).start();
  }

  @AfterAll
  static void stop() {
    api.close();
    pg.close();
  }

  static InvoiceState state(String id, String seller, String buyer, long lsn) {
    Invoice inv = InvoiceFixtures.digitalInvoice(id, 1);
    inv.getSeller().setTaxId(seller);
    inv.getBuyer().setTaxId(buyer);
    return InvoiceFixtures.synced(inv, 1, lsn);
  }

  static String token(Set<String> scopes, List<String> taxIds, String secret, String issuer, String audience, Instant expires)
      throws Exception {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("erp-" + taxIds).issuer(issuer).audience(audience)
        .expirationTime(Date.from(expires)).claim("scope", String.join(" ", scopes)).claim("tax_ids", taxIds).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    return jwt.serialize();
  }

  static String token(Set<String> scopes, String... taxIds) throws Exception {
    return token(scopes, List.of(taxIds), SECRET, ISSUER, AUDIENCE, Instant.now().plusSeconds(300));
  }

  /** A token for every taxpayer: its scopes plus invoices:all, no tax ids. */
  static String everyTaxpayer(Set<String> scopes) throws Exception {
    Set<String> all = new java.util.HashSet<>(scopes);
    all.add("invoices:all");
    return token(all, List.of(), SECRET, ISSUER, AUDIENCE, Instant.now().plusSeconds(300));
  }

  /** {@code GET path} of the API, with {@code token} as bearer token unless it is null. */
  static HttpResponse<String> get(String path, String token) throws Exception {
    return token == null ? TestHttp.get(api.port(), path) : TestHttp.get(api.port(), path, token);
  }

  /** {@code method} (GET or POST, the latter with an empty body) of {@code path}. */
  static HttpResponse<String> call(String method, String path, String token) throws Exception {
    if (method.equals("GET")) {
      return get(path, token);
    }
    java.net.URI uri = TestHttp.localhost(api.port(), path);
    return TestHttp.send((token == null ? TestHttp.request(uri) : TestHttp.request(uri, token))
        .method(method, java.net.http.HttpRequest.BodyPublishers.noBody()).build());
  }

  @Test
  void rejectsMissingAndInvalidTokensWith401AndMissingScopesWith403() throws Exception {
    HttpResponse<String> none = get("/api/v1/invoices/a-sells", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(none.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(json.readTree(none.body()).get("status").asInt()).isEqualTo(401);

    Instant later = Instant.now().plusSeconds(300);
    Map<String, String> bad = Map.of(
        "wrong signature", token(ALL_SCOPES, List.of(A), "another-secret-another-secret-another", ISSUER, AUDIENCE, later),
        "expired", token(ALL_SCOPES, List.of(A), SECRET, ISSUER, AUDIENCE, Instant.now().minusSeconds(3600)),
        "wrong audience", token(ALL_SCOPES, List.of(A), SECRET, ISSUER, "someone-else", later),
        "wrong issuer", token(ALL_SCOPES, List.of(A), SECRET, "https://evil.example.com/", AUDIENCE, later),
        "not a JWT", "not-a-jwt");
    for (Map.Entry<String, String> e : bad.entrySet()) {
      HttpResponse<String> r = get("/api/v1/invoices/a-sells", e.getValue());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(401);
      assertThat(r.body()).as(e.getKey()).doesNotContain(SECRET, e.getValue());
    }

    HttpResponse<String> noScope = get("/api/v1/invoices/a-sells", token(Set.of("invoices:trace"), A));
    assertThat(noScope.statusCode()).isEqualTo(403);
    assertThat(json.readTree(noScope.body()).get("detail").asText()).contains("invoices:read");
    assertThat(get("/api/v1/invoices/a-sells", token(Set.of("invoices:read"), A)).statusCode()).isEqualTo(200);
    assertThat(get("/health", null).statusCode()).isEqualTo(200); // up or down only: no token needed
  }

  @Test
  void aTenantSeesItsInvoicesAsSellerOrBuyerAndNothingElse() throws Exception {
    String a = token(ALL_SCOPES, A);
    JsonNode all = json.readTree(get("/api/v1/invoices", a).body());
    assertThat(all.get("items")).extracting(i -> i.get("id").asText()).containsExactlyInAnyOrder("a-sells", "a-buys");

    // another taxpayer's invoice is answered exactly like a missing one
    HttpResponse<String> foreign = get("/api/v1/invoices/b-only", a);
    HttpResponse<String> missing = get("/api/v1/invoices/nope", a);
    assertThat(foreign.statusCode()).isEqualTo(404).isEqualTo(missing.statusCode());
    assertThat(json.readTree(foreign.body()).get("detail").asText().replace("b-only", "X"))
        .isEqualTo(json.readTree(missing.body()).get("detail").asText().replace("nope", "X"));
    for (String id : List.of("b-only", "b-rejected", "b-inflight")) {
      assertThat(get("/api/v1/invoices/" + id + "/trace", a).statusCode()).as(id).isEqualTo(404);
      assertThat(get("/api/v1/invoices/" + id + "/audit", a).statusCode()).as(id).isEqualTo(404);
    }
    assertThat(get("/api/v1/invoices/a-buys/trace", a).statusCode()).isEqualTo(200);

    // a filter naming B does not widen the scope; nor do rejections, outcomes, number lookups or counts
    assertThat(json.readTree(get("/api/v1/invoices?sellerTaxId=" + B, a).body()).get("items")).extracting(i -> i.get("id").asText())
        .containsExactly("a-buys");
    assertThat(json.readTree(get("/api/v1/rejections", a).body()).get("items")).isEmpty();
    assertThat(json.readTree(get("/api/v1/invoices?outcome=IN_FLIGHT", a).body()).get("items")).isEmpty();
    JsonNode byNumber = json.readTree(get("/api/v1/invoices?invoiceNumber=26442000000000000999", a).body());
    assertThat(byNumber.get("notVisible")).isEmpty();
    JsonNode status = json.readTree(get("/api/v1/status", a).body());
    assertThat(status.has("stages")).as("the pipeline's newest positions are everyone's").isFalse();
    assertThat(status.has("source")).isFalse();
    JsonNode counts = status.get("counts");
    assertThat(counts.get("rejected").asLong()).isZero();
    assertThat(counts.get("inFlight").asLong()).isZero();

    // B's token sees them; a token for all taxpayers sees everything
    String b = token(ALL_SCOPES, B);
    assertThat(get("/api/v1/invoices/b-rejected/trace", b).statusCode()).isEqualTo(200);
    assertThat(json.readTree(get("/api/v1/status", b).body()).get("counts").get("rejected").asLong()).isEqualTo(1);
    assertThat(json.readTree(get("/api/v1/invoices", everyTaxpayer(ALL_SCOPES)).body()).get("items")).hasSize(3);
    // "*" among the tax ids is not a grant (a tenant admin of the identity provider could set it): 401 naming the scope
    HttpResponse<String> wildcard = get("/api/v1/invoices", token(ALL_SCOPES, "*"));
    assertThat(wildcard.statusCode()).isEqualTo(401);
    assertThat(wildcard.body()).contains("invoices:all").doesNotContain("Exception");
  }

  @Test
  void whyARecordFailedIsForOperatorsNotForTenants() throws Exception {
    String tenant = token(Set.of("invoices:read", "invoices:trace", "audit"), A);
    HttpResponse<String> trace = get("/api/v1/invoices/a-dead/trace", tenant);
    HttpResponse<String> audit = get("/api/v1/invoices/a-dead/audit", tenant);
    HttpResponse<String> export = get("/api/v1/audit/export?from=2000-01-01&to=2100-01-01", tenant);
    assertThat(trace.statusCode()).isEqualTo(200);
    assertThat(audit.statusCode()).isEqualTo(200);
    assertThat(export.statusCode()).isEqualTo(200);
    assertThat(export.body().lines()).as("A's invoice's two entries; none of B's, though an earlier state of it named A")
        .hasSize(2).allMatch(l -> l.contains("\"a-dead\""));
    for (HttpResponse<String> r : List.of(trace, audit, export)) {
      assertThat(r.body()).as(r.uri().getPath()).doesNotContain("PSQLException", "KafkaException", "character varying", "buyer_tax_id")
          .contains("withheld");
    }
    JsonNode letter = json.readTree(trace.body()).get("deadLetters").get(0);
    assertThat(letter.get("reason").asText()).startsWith("withheld");
    assertThat(letter.get("topic").asText()).as("where an operator reads it stays").isEqualTo("invoices.synced.dlt");
    assertThat(letter.has("exceptionClass")).isFalse();
    assertThat(json.readTree(audit.body()).get("entries")).extracting(e -> e.get("hash").asText()).as("the trail itself stays whole")
        .containsExactly("1".repeat(64), "2".repeat(64));

    // an operator's token reads why
    String operator = token(Set.of("invoices:trace", "audit", "operations"), A);
    assertThat(get("/api/v1/invoices/a-dead/trace", operator).body()).contains(PSQL_TEXT, "org.postgresql.util.PSQLException");
    assertThat(get("/api/v1/invoices/a-dead/audit", operator).body()).contains(PSQL_TEXT);
    assertThat(get("/api/v1/audit/export?from=2000-01-01&to=2100-01-01", operator).body()).as("the whole entry: its hash recomputes")
        .contains(PSQL_TEXT);
  }

  /** Every registered route: no token 401, each missing scope 403, and with every scope A's token reads nothing of B's. */
  @Test
  void everyRegisteredRouteAuthenticatesChecksItsScopeAndIsScopedToTheTenant() throws Exception {
    List<Map.Entry<String, Set<io.javalin.security.RouteRole>>> routes = api.routes();
    assertThat(routes).hasSizeGreaterThanOrEqualTo(9);
    String a = token(ALL_SCOPES, A);
    for (Map.Entry<String, Set<io.javalin.security.RouteRole>> route : routes) {
      assertThat(route.getValue()).as(route.getKey() + " declares exactly one scope").hasSize(1);
      Scope scope = (Scope) route.getValue().iterator().next();
      String path = route.getKey().substring(route.getKey().indexOf(' ') + 1);
      if (scope == Scope.PUBLIC) {
        // up or down, and the API's own contract (its OpenAPI document and Swagger UI): nothing of anyone's invoices
        assertThat(path).as("the public routes").isIn("/health", "/openapi.json", "/docs", "/docs/{asset}", "/", "/console/signin",
            "/console/signout", "/console/assets/console.css", "/console/oidc/login", "/console/oidc/callback");
        continue;
      }
      String method = route.getKey().substring(0, route.getKey().indexOf(' '));
      String foreign = path.replace("{id}", path.startsWith("/api/v1/imports/") ? "import-1-2" : "b-only").replace("{messageId}", "msg_b")
          + (path.endsWith("/audit/export") ? "?from=2000-01-01&to=2100-01-01" : ""); // a period's export needs its period
      boolean console = path.startsWith("/console");
      // a console page without a token sends the browser to sign in; an API route answers 401
      assertThat(call(method, foreign, null).statusCode()).as(route.getKey() + " without a token").isEqualTo(console ? 303 : 401);
      Set<String> others = new java.util.HashSet<>(ALL_SCOPES);
      others.remove(scope.value());
      assertThat(call(method, foreign, everyTaxpayer(others)).statusCode()).as(route.getKey() + " without " + scope.value()).isEqualTo(403);

      HttpResponse<String> r = call(method, foreign, a);
      if (console && method.equals("POST")) {
        // the console's replay spans every taxpayer: refused to A's token before any form is read
        assertThat(r.statusCode()).as(route.getKey()).isEqualTo(403);
      } else if (method.equals("POST") && !path.contains("{id}")) {
        // an upload without its files, an endpoint without its URL: refused, naming what is missing, before anything is read or sent
        assertThat(r.statusCode()).as(route.getKey() + ": " + r.body()).isIn(400, 503);
        assertThat(r.body()).as(route.getKey()).doesNotContain("b-only", "b-rejected", "b-inflight");
      } else if (scope == Scope.OPERATIONS) {
        assertThat(r.statusCode()).as(path + " spans every taxpayer").isEqualTo(403);
        assertThat(get(foreign, everyTaxpayer(Set.of(scope.value()))).statusCode()).as(path + " for all taxpayers").isIn(200, 404);
      } else if (path.contains("{id}")) {
        assertThat(r.statusCode()).as(route.getKey() + " of B's invoice, or of an endpoint that is not A's").isEqualTo(404);
      } else if (path.equals("/api/v1/events")) {
        // a feed is read only once the token's taxpayers registered one; none here, and B's is not A's
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(404);
        assertThat(r.body()).contains("mode").doesNotContain("b-only");
      } else {
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        assertThat(r.body()).as(path).doesNotContain("b-only", "b-rejected", "b-inflight"); // B as the seller of A's purchase is fine
      }
    }
  }

  @Test
  void guessingTokensIsRateLimitedPerClientAddress() throws Exception {
    try (QueryApiServer limited = jwtApi(3)) {
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        statuses.add(TestHttp.get(limited.port(), "/api/v1/invoices", "guess-" + i).statusCode());
      }
      assertThat(statuses).containsExactly(401, 401, 401, 429);
    }
  }

  @Test
  void theSecurityHeadersAreOnEveryAnswer() throws Exception {
    for (HttpResponse<String> r : List.of(get("/health", null), get("/api/v1/invoices", null), get("/nowhere", null))) {
      Map<String, String> h = Arrays.stream(new String[] {"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy",
          "Cache-Control"}).collect(Collectors.toMap(k -> k, k -> r.headers().firstValue(k).orElse("")));
      assertThat(h).as(r.uri().getPath()).containsEntry("X-Content-Type-Options", "nosniff").containsEntry("X-Frame-Options", "DENY")
          .containsEntry("Cache-Control", "no-store");
      assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as("CORS is off unless configured").isEmpty();
      assertThat(r.headers().firstValue("Server")).as("no server version").isEmpty();
    }
  }
}
