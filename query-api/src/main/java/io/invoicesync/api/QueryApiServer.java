package io.invoicesync.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.api.internal.InvoiceRepository;
import io.invoicesync.api.internal.ProblemException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side over the query store, HTTP/JSON:
 * <ul>
 *   <li>{@code GET /api/v1/invoices/{id}}: one invoice with its lines and sync metadata;</li>
 *   <li>{@code GET /api/v1/invoices?sellerTaxId=&buyerTaxId=&from=&to=&status=&limit=&cursor=}:
 *       newest first, keyset-paginated ({@code nextCursor} is opaque);</li>
 *   <li>{@code GET /health}: the query store and each registered component, 200 or 503;</li>
 *   <li>{@code GET /metrics}: Prometheus text format.</li>
 * </ul>
 * Errors are RFC 9457 problem details ({@code application/problem+json}) naming the wrong parameter.
 */
public final class QueryApiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(QueryApiServer.class);
  private static final Set<String> STATUSES = Set.of("ISSUED", "VOIDED", "RED_FLUSHED", "PARTIALLY_RED_FLUSHED");
  private static final Set<String> SEARCH_PARAMS = Set.of("sellerTaxId", "buyerTaxId", "from", "to", "status", "limit", "cursor");

  private final QueryApiConfig config;
  private final PrometheusMeterRegistry metrics;
  private final Map<String, BooleanSupplier> healthChecks;
  private final ObjectMapper json = new ObjectMapper()
      .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private HikariDataSource dataSource;
  private InvoiceRepository repository;
  private Javalin app;

  /**
   * @param healthChecks components whose health {@code /health} reports besides the query store
   *                     (name to check); evaluated on each request
   */
  public QueryApiServer(QueryApiConfig config, PrometheusMeterRegistry metrics, Map<String, BooleanSupplier> healthChecks) {
    this.config = config;
    this.metrics = metrics;
    this.healthChecks = Map.copyOf(healthChecks);
  }

  public synchronized QueryApiServer start() {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(config.getString(QueryApiConfig.JDBC_URL));
    hc.setUsername(config.getString(QueryApiConfig.JDBC_USER));
    hc.setPassword(config.getPassword(QueryApiConfig.JDBC_PASSWORD).value());
    hc.setMaximumPoolSize(config.getInt(QueryApiConfig.POOL_SIZE));
    hc.setConnectionTimeout(2_000);
    hc.setInitializationFailTimeout(-1);
    hc.setReadOnly(true);
    hc.setPoolName("query-api");
    dataSource = new HikariDataSource(hc);
    repository = new InvoiceRepository(dataSource);

    app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.jsonMapper(new JavalinJackson(json, false));
      cfg.http.defaultContentType = "application/json";
    });
    app.get("/api/v1/invoices/{id}", this::getInvoice);
    app.get("/api/v1/invoices", this::search);
    app.get("/health", this::health);
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    app.exception(ProblemException.class, (e, ctx) -> problem(ctx, e.status(), e.title(), e.getMessage(), e.invalidParams()));
    app.exception(Exception.class, (e, ctx) -> {
      log.warn("request {} failed", ctx.path(), e);
      problem(ctx, 500, "Internal error", e.getClass().getSimpleName() + ": " + e.getMessage(), List.of());
    });
    app.error(404, ctx -> {
      if (!"application/problem+json".equals(ctx.res().getContentType())) {
        problem(ctx, 404, "Not found", "no resource at " + ctx.path(), List.of());
      }
    });
    app.start(config.getInt(QueryApiConfig.PORT));
    log.info("query API on port {}", app.port());
    return this;
  }

  public int port() {
    return app.port();
  }

  private void getInvoice(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    var invoice = repository.find(id);
    if (invoice.isEmpty()) {
      problem(ctx, 404, "Invoice not found", "no invoice with id '" + id + "' is visible in the query store "
          + "(it may be rejected, dead-lettered or not synced yet)", List.of());
      return;
    }
    ctx.json(invoice.get());
  }

  private void search(Context ctx) throws Exception {
    for (String p : ctx.queryParamMap().keySet()) {
      if (!SEARCH_PARAMS.contains(p)) {
        throw ProblemException.badParameter(p, ctx.queryParam(p), "is not a search parameter (use one of " + SEARCH_PARAMS + ")");
      }
    }
    String status = ctx.queryParam("status");
    if (status != null && !STATUSES.contains(status)) {
      throw ProblemException.badParameter("status", status, "must be one of " + STATUSES);
    }
    LocalDate from = date(ctx, "from");
    LocalDate to = date(ctx, "to");
    if (from != null && to != null && from.isAfter(to)) {
      throw ProblemException.badParameter("from", from.toString(), "is after 'to' (" + to + ")");
    }
    int limit = limit(ctx);
    InvoiceRepository.Cursor cursor = decodeCursor(ctx.queryParam("cursor"));
    InvoiceRepository.Filter filter = new InvoiceRepository.Filter(blankToNull(ctx.queryParam("sellerTaxId")),
        blankToNull(ctx.queryParam("buyerTaxId")), from, to, status);
    InvoiceRepository.Page page = repository.search(filter, cursor, limit);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("items", page.items());
    body.put("nextCursor", page.next() == null ? null : encodeCursor(page.next()));
    ctx.json(body);
  }

  private void health(Context ctx) {
    Map<String, Object> components = new LinkedHashMap<>();
    boolean up = repository.ping();
    components.put("queryStore", up ? "UP" : "DOWN");
    for (Map.Entry<String, BooleanSupplier> e : healthChecks.entrySet()) {
      boolean ok = e.getValue().getAsBoolean();
      components.put(e.getKey(), ok ? "UP" : "DOWN");
      up &= ok;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", up ? "UP" : "DOWN");
    body.put("components", components);
    ctx.status(up ? 200 : 503).json(body);
  }

  private LocalDate date(Context ctx, String name) {
    String v = blankToNull(ctx.queryParam(name));
    if (v == null) {
      return null;
    }
    try {
      return LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw ProblemException.badParameter(name, v, "must be an ISO date (yyyy-MM-dd)");
    }
  }

  private int limit(Context ctx) {
    String v = blankToNull(ctx.queryParam("limit"));
    if (v == null) {
      return config.getInt(QueryApiConfig.DEFAULT_LIMIT);
    }
    int max = config.getInt(QueryApiConfig.MAX_LIMIT);
    try {
      int limit = Integer.parseInt(v);
      if (limit < 1 || limit > max) {
        throw ProblemException.badParameter("limit", v, "must be between 1 and " + max);
      }
      return limit;
    } catch (NumberFormatException e) {
      throw ProblemException.badParameter("limit", v, "must be an integer between 1 and " + max);
    }
  }

  static String encodeCursor(InvoiceRepository.Cursor c) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((c.issueDate() + "|" + c.id()).getBytes(StandardCharsets.UTF_8));
  }

  static InvoiceRepository.Cursor decodeCursor(String v) {
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8);
      int bar = s.indexOf('|');
      return new InvoiceRepository.Cursor(LocalDate.parse(s.substring(0, bar)), s.substring(bar + 1));
    } catch (RuntimeException e) {
      throw ProblemException.badParameter("cursor", v, "is not a cursor returned by this API (pass nextCursor as it is)");
    }
  }

  private void problem(Context ctx, int status, String title, String detail, List<Map<String, String>> invalidParams) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "about:blank");
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    body.put("instance", ctx.path());
    if (!invalidParams.isEmpty()) {
      body.put("invalidParams", invalidParams);
    }
    try {
      ctx.status(status).contentType("application/problem+json").result(json.writeValueAsString(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      ctx.status(status).result(detail);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  @Override
  public synchronized void close() {
    if (app != null) {
      app.stop();
    }
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
