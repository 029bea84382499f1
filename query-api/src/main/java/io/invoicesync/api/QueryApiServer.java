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
 *   <li>{@code GET /api/v1/invoices?invoiceNumber=&invoiceCode=}: as a search; when nothing with that
 *       number is visible, {@code notVisible} points at the trace of each invoice that carries it;</li>
 *   <li>{@code GET /api/v1/invoices?outcome=REJECTED|DEAD_LETTERED|IN_FLIGHT}: invoices by outcome;</li>
 *   <li>{@code GET /api/v1/invoices/{id}/trace}: where the invoice is and why ({@link TraceService});</li>
 *   <li>{@code GET /api/v1/invoices/{id}/audit}: its audit trail, the hash chain recomputed;</li>
 *   <li>{@code GET /api/v1/rejections?sellerTaxId=&buyerTaxId=&code=&from=&to=&invoiceNumber=}: latest rejections;</li>
 *   <li>{@code GET /api/v1/status}: freshness per stage, lag, counts by outcome;</li>
 *   <li>{@code GET /api/v1/reconcile/last}: the newest scheduled reconciliation's report;</li>
 *   <li>{@code GET /health}: the query store and each registered component, 200 or 503;</li>
 *   <li>{@code GET /metrics}: Prometheus text format.</li>
 * </ul>
 * Errors are RFC 9457 problem details ({@code application/problem+json}) naming the wrong parameter.
 *
 * <p>Size: about 400 lines, mostly parameter validation of the search endpoint, each check naming the parameter; the SQL is in InvoiceRepository and TraceService.
 */
public final class QueryApiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(QueryApiServer.class);
  private static final Set<String> STATUSES = Set.of("ISSUED", "VOIDED", "RED_FLUSHED", "PARTIALLY_RED_FLUSHED");
  private static final Set<String> SEARCH_PARAMS = Set.of("sellerTaxId", "buyerTaxId", "from", "to", "status", "limit", "cursor",
      "invoiceNumber", "invoiceCode", "minAmount", "maxAmount", "outcome");
  private static final Set<String> REJECTION_PARAMS = Set.of("sellerTaxId", "buyerTaxId", "code", "from", "to", "invoiceNumber", "limit",
      "cursor", "lang");
  private static final Set<String> OUTCOMES = Set.of("VISIBLE", "REJECTED", "DEAD_LETTERED", "IN_FLIGHT");

  private final QueryApiConfig config;
  private final PrometheusMeterRegistry metrics;
  private final Map<String, BooleanSupplier> healthChecks;
  private final ObjectMapper json = new ObjectMapper()
      .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private HikariDataSource dataSource;
  private InvoiceRepository repository;
  private TraceService tracer;
  private HikariDataSource sourceDataSource;
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
    hc.setMetricRegistry(metrics);
    dataSource = new HikariDataSource(hc);
    repository = new InvoiceRepository(dataSource);
    io.invoicesync.api.SourceProbe probe = null;
    if (!config.getString(QueryApiConfig.SOURCE_JDBC_URL).isBlank()) {
      HikariConfig sc = new HikariConfig();
      sc.setJdbcUrl(config.getString(QueryApiConfig.SOURCE_JDBC_URL));
      sc.setUsername(config.getString(QueryApiConfig.SOURCE_JDBC_USER));
      sc.setPassword(config.getPassword(QueryApiConfig.SOURCE_JDBC_PASSWORD).value());
      sc.setMaximumPoolSize(2);
      sc.setConnectionTimeout(2_000);
      sc.setInitializationFailTimeout(-1);
      sc.setReadOnly(true);
      sc.setPoolName("query-api-source");
      sc.setMetricRegistry(metrics);
      sourceDataSource = new HikariDataSource(sc);
      probe = new io.invoicesync.api.SourceProbe(sourceDataSource, config.getString(QueryApiConfig.SOURCE_SCHEMA),
          config.getString(QueryApiConfig.SOURCE_SLOT));
    }
    tracer = new TraceService(dataSource, probe);

    app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.jsonMapper(new JavalinJackson(json, false));
      cfg.http.defaultContentType = "application/json";
      cfg.routes.get("/api/v1/invoices/{id}", this::getInvoice);
      cfg.routes.get("/api/v1/invoices", this::search);
      cfg.routes.get("/api/v1/invoices/{id}/trace", this::trace);
      cfg.routes.get("/api/v1/invoices/{id}/audit", this::audit);
      cfg.routes.get("/api/v1/rejections", this::rejections);
      cfg.routes.get("/api/v1/status", ctx -> ctx.json(tracer.status()));
      cfg.routes.get("/api/v1/reconcile/last", this::lastReconcile);
      cfg.routes.get("/health", this::health);
      cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
      cfg.routes.exception(ProblemException.class, (e, ctx) -> problem(ctx, e.status(), e.title(), e.getMessage(), e.invalidParams()));
      cfg.routes.exception(Exception.class, (e, ctx) -> {
        log.warn("request {} failed", ctx.path(), e);
        problem(ctx, 500, "Internal error", e.getClass().getSimpleName() + ": " + e.getMessage(), List.of());
      });
      cfg.routes.error(404, ctx -> {
        // only for paths no handler answered: Jetty adds a charset to the content type of a handler's own problem
        String type = ctx.res().getContentType();
        if (type == null || !type.startsWith("application/problem+json")) {
          problem(ctx, 404, "Not found", "no resource at " + ctx.path(), List.of());
        }
      });
    });
    app.start(config.getInt(QueryApiConfig.PORT));
    log.info("query API on port {}", app.port());
    return this;
  }

  /** For the management port: UP while the query store answers, OUTAGE while it does not (the API answers 503 meanwhile). */
  public io.invoicesync.schemas.ComponentHealth health() {
    if (repository == null || app == null) {
      return new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.STARTING, "CREATED", Map.of());
    }
    return repository.ping()
        ? new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.UP, "SERVING", Map.of("port", app.port()))
        : new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.OUTAGE, "OUTAGE",
            Map.of("port", app.port(), "outage", "query store unreachable"));
  }

  public int port() {
    return app.port();
  }

  private void getInvoice(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    var invoice = repository.find(id);
    if (invoice.isEmpty()) {
      problem(ctx, 404, "Invoice not found", "no invoice with id '" + id + "' is visible in the query store; "
          + "its trace says why: /api/v1/invoices/" + id + "/trace", List.of());
      return;
    }
    ctx.json(invoice.get());
  }

  /** A query parameter the endpoint does not know is a 400 naming it, not silently ignored (a typo would otherwise widen a search). */
  private static void onlyParams(Context ctx, Set<String> known, String what) {
    for (String p : ctx.queryParamMap().keySet()) {
      if (!known.contains(p)) {
        throw ProblemException.badParameter(p, ctx.queryParam(p), "is not a " + what + " parameter"
            + (known.isEmpty() ? " (it takes none)" : " (use one of " + new java.util.TreeSet<>(known) + ")"));
      }
    }
  }

  private void search(Context ctx) throws Exception {
    onlyParams(ctx, SEARCH_PARAMS, "search");
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
    String number = blankToNull(ctx.queryParam("invoiceNumber"));
    String code = blankToNull(ctx.queryParam("invoiceCode"));
    if (number != null && !number.matches("\\d{8}|\\d{20}")) {
      throw ProblemException.badParameter("invoiceNumber", number, "must be 8 digits (with invoiceCode) or a 20-digit 数电票 number");
    }
    if (code != null && !code.matches("\\d{10}|\\d{12}")) {
      throw ProblemException.badParameter("invoiceCode", code, "must be 10 or 12 digits");
    }
    if (code != null && number == null) {
      throw ProblemException.badParameter("invoiceCode", code, "needs invoiceNumber");
    }
    java.math.BigDecimal minAmount = amount(ctx, "minAmount");
    java.math.BigDecimal maxAmount = amount(ctx, "maxAmount");
    if (minAmount != null && maxAmount != null && minAmount.compareTo(maxAmount) > 0) {
      throw ProblemException.badParameter("minAmount", minAmount.toPlainString(), "is above 'maxAmount' (" + maxAmount.toPlainString() + ")");
    }
    String outcome = blankToNull(ctx.queryParam("outcome"));
    if (outcome != null && !OUTCOMES.contains(outcome)) {
      throw ProblemException.badParameter("outcome", outcome, "must be one of " + OUTCOMES);
    }
    InvoiceRepository.Filter filter = new InvoiceRepository.Filter(blankToNull(ctx.queryParam("sellerTaxId")),
        blankToNull(ctx.queryParam("buyerTaxId")), from, to, status, number, code, minAmount, maxAmount);
    Map<String, Object> body = new LinkedHashMap<>();
    if (outcome != null && !outcome.equals("VISIBLE")) {
      for (String p : List.of("buyerTaxId", "from", "to", "status", "minAmount", "maxAmount")) {
        if (blankToNull(ctx.queryParam(p)) != null) {
          throw ProblemException.badParameter(p, ctx.queryParam(p), "cannot be combined with outcome=" + outcome
              + " (invoices not visible are searched by sellerTaxId, invoiceNumber and invoiceCode)");
        }
      }
      InvoiceRepository.TimePage page = repository.byOutcome(outcome, filter, decodeTimeCursor(ctx.queryParam("cursor")), limit);
      body.put("items", page.items());
      body.put("nextCursor", page.next() == null ? null : encodeTimeCursor(page.next()));
      ctx.json(body);
      return;
    }
    InvoiceRepository.Cursor cursor = decodeCursor(ctx.queryParam("cursor"));
    InvoiceRepository.Page page = repository.search(filter, cursor, limit);
    body.put("items", page.items());
    body.put("nextCursor", page.next() == null ? null : encodeCursor(page.next()));
    if (number != null && page.items().isEmpty() && cursor == null) {
      List<Map<String, Object>> notVisible = new java.util.ArrayList<>();
      for (String id : tracer.idsByNumber(number, code)) {
        Map<String, Object> t = tracer.trace(id);
        Map<String, Object> pointer = new LinkedHashMap<>();
        pointer.put("invoiceId", id);
        pointer.put("outcome", t.get("outcome"));
        pointer.put("explanation", t.get("explanation"));
        pointer.put("trace", "/api/v1/invoices/" + id + "/trace");
        notVisible.add(pointer);
      }
      body.put("notVisible", notVisible);
    }
    ctx.json(body);
  }

  @SuppressWarnings("unchecked")
  private void trace(Context ctx) throws Exception {
    onlyParams(ctx, Set.of("lang"), "trace");
    Map<String, Object> trace = tracer.trace(ctx.pathParam("id"));
    if (trace.get("rejection") instanceof Map<?, ?> rejection) {
      io.invoicesync.api.internal.RuleMessages.localize((List<?>) rejection.get("violations"), language(ctx));
    }
    ctx.json(trace);
  }

  private static String language(Context ctx) {
    return io.invoicesync.api.internal.RuleMessages.language(ctx.queryParam("lang"), ctx.header("Accept-Language"));
  }

  private void audit(Context ctx) throws Exception {
    onlyParams(ctx, Set.of(), "audit");
    Map<String, Object> history = tracer.history(ctx.pathParam("id"));
    if (((List<?>) history.get("entries")).isEmpty()) {
      problem(ctx, 404, "No audit trail", "no audit entry for invoice '" + ctx.pathParam("id") + "' is recorded in the query store; "
          + "its trace says what is known: /api/v1/invoices/" + ctx.pathParam("id") + "/trace", List.of());
      return;
    }
    ctx.json(history);
  }

  private void lastReconcile(Context ctx) throws Exception {
    var report = tracer.lastReconcile();
    if (report.isEmpty()) {
      problem(ctx, 404, "No reconciliation yet", "no scheduled reconciliation has been recorded; set reconcile.interval (e.g. 5m) on the process "
          + "running the projector, or run 'invoice-sync reconcile'", List.of());
      return;
    }
    ctx.contentType("application/json").result(report.get());
  }

  private void rejections(Context ctx) throws Exception {
    onlyParams(ctx, REJECTION_PARAMS, "rejection search");
    LocalDate from = date(ctx, "from");
    LocalDate to = date(ctx, "to");
    if (from != null && to != null && from.isAfter(to)) {
      throw ProblemException.badParameter("from", from.toString(), "is after 'to' (" + to + ")");
    }
    String code = blankToNull(ctx.queryParam("code"));
    if (code != null && !code.matches("[A-Z][A-Z0-9_]*")) {
      throw ProblemException.badParameter("code", code, "must be a rule code in UPPER_SNAKE, e.g. GRAND_TOTAL_MISMATCH");
    }
    InvoiceRepository.RejectionFilter filter = new InvoiceRepository.RejectionFilter(blankToNull(ctx.queryParam("sellerTaxId")),
        blankToNull(ctx.queryParam("buyerTaxId")), code, from, to, blankToNull(ctx.queryParam("invoiceNumber")));
    InvoiceRepository.TimePage page = repository.rejections(filter, decodeTimeCursor(ctx.queryParam("cursor")), limit(ctx));
    String lang = language(ctx);
    page.items().forEach(item -> io.invoicesync.api.internal.RuleMessages.localize((List<?>) item.get("violations"), lang));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("items", page.items());
    body.put("nextCursor", page.next() == null ? null : encodeTimeCursor(page.next()));
    ctx.json(body);
  }

  private static java.math.BigDecimal amount(Context ctx, String name) {
    String v = blankToNull(ctx.queryParam(name));
    if (v == null) {
      return null;
    }
    try {
      return new java.math.BigDecimal(v);
    } catch (NumberFormatException e) {
      throw ProblemException.badParameter(name, v, "must be a decimal amount, e.g. 1130.00");
    }
  }

  static String encodeTimeCursor(InvoiceRepository.TimeCursor c) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("t|" + c.at() + "|" + c.id()).getBytes(StandardCharsets.UTF_8));
  }

  static InvoiceRepository.TimeCursor decodeTimeCursor(String v) {
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8);
      String[] parts = s.split("\\|", 3);
      if (!parts[0].equals("t")) {
        throw new IllegalArgumentException();
      }
      return new InvoiceRepository.TimeCursor(java.time.OffsetDateTime.parse(parts[1]), parts[2]);
    } catch (RuntimeException e) {
      throw ProblemException.badParameter("cursor", v, "is not a cursor returned by this endpoint (pass nextCursor as it is)");
    }
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
    if (sourceDataSource != null) {
      sourceDataSource.close();
    }
  }
}
