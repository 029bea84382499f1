package io.invoicesync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.embedded.EmbeddedPostgresServer;
import io.invoicesync.projector.QueryStoreWriter;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.testkit.InvoiceFixtures;
import io.invoicesync.testkit.TestHttp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.LoggerFactory;

/** The query API under slow queries, internal errors, floods and a store that goes away, on a real PostgreSQL. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiHardeningIT {

  static final int STATEMENT_TIMEOUT_MS = 1_000;

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
    for (int i = 1; i <= 3; i++) {
      states.add(InvoiceFixtures.synced(InvoiceFixtures.digitalInvoice("h-" + i, 1), 1, i));
    }
    new QueryStoreWriter(ds).write(states);
    api = new QueryApiServer(new QueryApiConfig(config(0)), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Map.of()).start();
  }

  static Map<String, Object> config(int perMinute) {
    Map<String, Object> cfg = new HashMap<>();
    cfg.put(QueryApiConfig.JDBC_URL, pg.jdbcUrl("querystore"));
    cfg.put(QueryApiConfig.PORT, 0);
    cfg.put(QueryApiConfig.AUTH_MODE, "none");
    cfg.put(QueryApiConfig.STATEMENT_TIMEOUT_MS, STATEMENT_TIMEOUT_MS);
    cfg.put(QueryApiConfig.POOL_SIZE, 2);
    cfg.put(QueryApiConfig.SEARCH_POOL_SIZE, 2);
    cfg.put(QueryApiConfig.RATE_LIMIT_PER_MINUTE, perMinute);
    return cfg;
  }

  @AfterAll
  static void stop() {
    api.close();
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  @Order(1)
  void tenSlowSearchesHitTheirStatementTimeoutWithoutHoldingUpLookupsOrHealth() throws Exception {
    try (Connection locker = pg.connect("querystore"); Statement s = locker.createStatement()) {
      locker.setAutoCommit(false);
      s.execute("LOCK TABLE invoice_rejection IN ACCESS EXCLUSIVE MODE"); // every rejection search now waits until it times out
      List<CompletableFuture<HttpResponse<String>>> searches = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        searches.add(TestHttp.sendAsync(TestHttp.request(TestHttp.localhost(api.port(), "/api/v1/rejections")).build()));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> waitingOnLocks(s) >= 2); // the search pool is taken by waiting searches

      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        HttpResponse<String> lookup = TestHttp.get(api.port(), "/api/v1/invoices/h-" + (1 + i % 3));
        long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
        assertThat(lookup.statusCode()).isEqualTo(200);
        assertThat(ms).as("a lookup waits for no search (its own pool)").isLessThan(STATEMENT_TIMEOUT_MS);
      }
      assertThat(TestHttp.get(api.port(), "/health").statusCode()).isEqualTo(200);

      for (CompletableFuture<HttpResponse<String>> f : searches) {
        HttpResponse<String> r = f.get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503); // cancelled at the timeout, or no search connection free: try again
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(r.body()).doesNotContain("Exception", "SQL", "statement_timeout", "invoice_rejection");
      }
      locker.rollback();
    }
    assertThat(TestHttp.get(api.port(), "/api/v1/rejections").statusCode()).isEqualTo(200);
  }

  static int waitingOnLocks(Statement s) throws Exception {
    try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_locks WHERE NOT granted")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  @Order(2)
  void anInternalErrorAnswersOnlyACorrelationIdThatTheLogLineCarries() throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    Logger logger = (Logger) LoggerFactory.getLogger(QueryApiServer.class);
    logger.addAppender(logged);
    try (Connection c = pg.connect("querystore"); Statement s = c.createStatement()) {
      // a row the API cannot read: violations must be a JSON list
      s.execute("INSERT INTO invoice_rejection (invoice_id, source_lsn, source_commit_ts, rejected_at, codes, violations) "
          + "VALUES ('broken', 1, now(), now(), 'X', '{\"not\": \"a list\"}')");
      HttpResponse<String> r = TestHttp.get(api.port(), "/api/v1/rejections");
      assertThat(r.statusCode()).isEqualTo(500);
      JsonNode body = json.readTree(r.body());
      String correlation = body.get("correlationId").asText();
      assertThat(correlation).isNotBlank();
      assertThat(r.headers().firstValue("X-Correlation-Id")).hasValue(correlation);
      assertThat(body.get("detail").asText()).isEqualTo("internal error (correlation id " + correlation + ")");
      assertThat(r.body()).doesNotContain("Exception", "jdbc", "postgres", "localhost", "invoice_rejection", "SELECT", "broken");
      assertThat(logged.list).anySatisfy(e -> {
        assertThat(e.getFormattedMessage()).contains(correlation);
        assertThat(e.getMDCPropertyMap()).containsEntry("correlationId", correlation);
        assertThat(e.getThrowableProxy()).isNotNull();
      });
      s.execute("DELETE FROM invoice_rejection WHERE invoice_id = 'broken'");
    } finally {
      logger.detachAppender(logged);
    }
  }

  @Test
  @Order(3)
  void aCallerOverItsRateGets429WithRetryAfter() throws Exception {
    try (QueryApiServer limited = new QueryApiServer(new QueryApiConfig(config(3)), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        Map.of()).start()) {
      for (int i = 0; i < 3; i++) {
        assertThat(TestHttp.get(limited.port(), "/api/v1/invoices/h-1").statusCode()).isEqualTo(200);
      }
      HttpResponse<String> over = TestHttp.get(limited.port(), "/api/v1/invoices/h-1");
      assertThat(over.statusCode()).isEqualTo(429);
      assertThat(over.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isPositive());
      assertThat(TestHttp.get(limited.port(), "/health").statusCode()).as("health is not rate-limited").isEqualTo(200);
    }
  }

  @Test
  @Order(4)
  void corsAnswersOnlyTheConfiguredOrigins() throws Exception {
    Map<String, Object> cfg = config(0);
    cfg.put(QueryApiConfig.CORS_ORIGINS, "https://erp.example.com");
    try (QueryApiServer cors = new QueryApiServer(new QueryApiConfig(cfg), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        Map.of()).start()) {
      for (String origin : List.of("https://erp.example.com", "https://evil.example.com")) {
        HttpResponse<String> r = TestHttp.send(TestHttp.request(TestHttp.localhost(cors.port(), "/api/v1/invoices/h-1"))
            .header("Origin", origin).build());
        if (origin.contains("erp")) {
          assertThat(r.statusCode()).isEqualTo(200); // (Javalin answers another origin 400; a browser withholds the body anyway)
        }
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as(origin)
            .isEqualTo(origin.contains("erp") ? java.util.Optional.of(origin) : java.util.Optional.empty());
      }
    }
  }

  @Test
  @Order(5)
  void theApiDoesNotStartWithoutAnExplicitAuthenticationMode() {
    Map<String, Object> cfg = config(0);
    cfg.remove(QueryApiConfig.AUTH_MODE);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new QueryApiServer(new QueryApiConfig(cfg),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Map.of()).start())
        .isInstanceOf(org.apache.kafka.common.config.ConfigException.class).hasMessageContaining("api.auth.mode")
        .hasMessageContaining("none");
  }

  @Test
  @Order(6)
  void anOversizedRequestIsRefused() throws Exception {
    HttpResponse<String> r = TestHttp.send(TestHttp.request(TestHttp.localhost(api.port(), "/api/v1/invoices/h-1"))
        .header("X-Padding", "x".repeat(20_000)).build());
    assertThat(r.statusCode()).isEqualTo(431);
  }

  @Test
  @Order(99)
  void aStoreThatIsDownIs503NotAnInternalError() throws Exception {
    pg.close();
    pg = null;
    HttpResponse<String> r = TestHttp.get(api.port(), "/api/v1/invoices/h-1");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(json.readTree(r.body()).get("correlationId").asText()).isNotBlank();
    assertThat(TestHttp.get(api.port(), "/health").statusCode()).isEqualTo(503);
  }

  @Test
  @Order(7) // before the store goes down (99)
  void everyPoolOfTheApiIsAReadOnlySessionPostgresEnforces() throws Exception {
    assertThat(api.pools()).hasSizeGreaterThanOrEqualTo(3);
    for (javax.sql.DataSource pool : api.pools()) {
      try (java.sql.Connection c = pool.getConnection(); java.sql.Statement s = c.createStatement()) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.executeUpdate("DELETE FROM invoice"))
            .hasMessageContaining("read-only transaction");
      }
    }
  }
}
