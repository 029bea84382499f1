package io.invoicesync.api;

import io.invoicesync.outcomes.Tenant;
import io.invoicesync.outcomes.trace.TraceService;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.api.internal.InvoiceRepository;
import io.invoicesync.api.internal.ProblemException;
import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.JwtAuthenticator;
import io.invoicesync.api.security.Scope;
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
  /** At most this many traces answer one number search that found nothing visible (each is several statements). */
  private static final int NOT_VISIBLE_MAX = 5;

  private final QueryApiConfig config;
  private final PrometheusMeterRegistry metrics;
  private final Map<String, BooleanSupplier> healthChecks;
  private final ObjectMapper json = new ObjectMapper()
      .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private HikariDataSource dataSource;
  private InvoiceRepository repository;
  private TraceService tracer;
  private TraceService searchTracer;
  private HikariDataSource sourceDataSource;
  private HikariDataSource healthSource;
  private HikariDataSource searchSource;
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
    String mode = config.getString(QueryApiConfig.AUTH_MODE);
    if (mode == null) {
      throw new org.apache.kafka.common.config.ConfigException("api.auth.mode is not set: set it to 'jwt' (bearer tokens, tenant "
          + "isolation; see README, 'Securing the API') or explicitly to 'none' to serve every invoice to every caller");
    }
    JwtAuthenticator jwt = mode.equals("jwt") ? new JwtAuthenticator(
        config.getPassword(QueryApiConfig.JWT_SECRET) == null ? null : config.getPassword(QueryApiConfig.JWT_SECRET).value(),
        config.getString(QueryApiConfig.JWT_PUBLIC_KEY), config.getString(QueryApiConfig.JWT_JWKS_URL),
        config.getString(QueryApiConfig.JWT_ISSUER), config.getString(QueryApiConfig.JWT_AUDIENCE),
        config.getInt(QueryApiConfig.JWT_CLOCK_SKEW_SECONDS), config.getString(QueryApiConfig.JWT_CLAIM_TAX_IDS),
        config.getString(QueryApiConfig.JWT_CLAIM_SCOPE)) : null;
    String keystore = config.getString(QueryApiConfig.TLS_KEYSTORE_PATH);
    if (!keystore.isBlank() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(keystore))) {
      throw new org.apache.kafka.common.config.ConfigException("api." + QueryApiConfig.TLS_KEYSTORE_PATH, keystore, "is not a readable file");
    }
    int timeout = config.getInt(QueryApiConfig.STATEMENT_TIMEOUT_MS);
    dataSource = storePool("query-api", config.getInt(QueryApiConfig.POOL_SIZE), timeout);
    searchSource = storePool("query-api-search", config.getInt(QueryApiConfig.SEARCH_POOL_SIZE), timeout);
    healthSource = storePool("query-api-health", 1, 2_000); // its own connection: a pool starved by slow searches does not fail health
    repository = new InvoiceRepository(dataSource, searchSource);
    io.invoicesync.outcomes.trace.SourceProbe probe = null;
    if (!config.getString(QueryApiConfig.SOURCE_JDBC_URL).isBlank()) {
      sourceDataSource = pool("query-api-source", config.getString(QueryApiConfig.SOURCE_JDBC_URL),
          config.getString(QueryApiConfig.SOURCE_JDBC_USER), config.getPassword(QueryApiConfig.SOURCE_JDBC_PASSWORD).value(), 2, timeout);
      probe = new io.invoicesync.outcomes.trace.SourceProbe(sourceDataSource, config.getString(QueryApiConfig.SOURCE_SCHEMA),
          config.getString(QueryApiConfig.SOURCE_SLOT));
    }
    tracer = new TraceService(dataSource, searchSource, probe);
    searchTracer = new TraceService(searchSource, searchSource, probe); // a search's notVisible traces stay on the search pool
    ApiSecurity security = new ApiSecurity(jwt, config.getInt(QueryApiConfig.RATE_LIMIT_PER_MINUTE), !keystore.isBlank());
    String host = config.getString(QueryApiConfig.BIND_ADDRESS);
    int port = config.getInt(QueryApiConfig.PORT);

    app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.jsonMapper(new JavalinJackson(json, false));
      cfg.http.defaultContentType = "application/json";
      cfg.http.maxRequestSize = config.getInt(QueryApiConfig.REQUEST_MAX_BYTES);
      cfg.jetty.modifyHttpConfiguration(h -> {
        h.setRequestHeaderSize(config.getInt(QueryApiConfig.REQUEST_MAX_BYTES));
        h.setSendServerVersion(false);
      });
      if (!keystore.isBlank()) {
        cfg.jetty.addConnector((server, httpConfig) -> {
          org.eclipse.jetty.util.ssl.SslContextFactory.Server tls = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
          tls.setKeyStorePath(keystore);
          tls.setKeyStorePassword(config.getPassword(QueryApiConfig.TLS_KEYSTORE_PASSWORD).value());
          tls.setKeyStoreType(config.getString(QueryApiConfig.TLS_KEYSTORE_TYPE));
          httpConfig.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer());
          org.eclipse.jetty.server.ServerConnector connector = new org.eclipse.jetty.server.ServerConnector(server, tls,
              new org.eclipse.jetty.server.HttpConnectionFactory(httpConfig));
          connector.setHost(host);
          connector.setPort(port);
          return connector;
        });
      }
      security.install(cfg, config.getList(QueryApiConfig.CORS_ORIGINS));
      cfg.routes.get("/api/v1/invoices/{id}", this::getInvoice, Scope.INVOICES_READ);
      cfg.routes.get("/api/v1/invoices", this::search, Scope.INVOICES_READ);
      cfg.routes.get("/api/v1/invoices/{id}/trace", this::trace, Scope.INVOICES_TRACE);
      cfg.routes.get("/api/v1/invoices/{id}/audit", this::audit, Scope.AUDIT);
      cfg.routes.get("/api/v1/rejections", this::rejections, Scope.INVOICES_READ);
      cfg.routes.get("/api/v1/status", ctx -> ctx.json(tracer.status(ApiSecurity.caller(ctx).tenant())), Scope.INVOICES_READ);
      cfg.routes.get("/api/v1/reconcile/last", this::lastReconcile, Scope.OPERATIONS);
      cfg.routes.get("/health", this::health, Scope.PUBLIC);
      cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()), Scope.OPERATIONS);
      cfg.routes.exception(ProblemException.class, (e, ctx) -> problem(ctx, e.status(), e.title(), e.getMessage(), e.invalidParams()));
      cfg.routes.exception(Exception.class, this::failed);
      cfg.routes.error(404, ctx -> {
        // only for paths no handler answered: Jetty adds a charset to the content type of a handler's own problem
        String type = ctx.res().getContentType();
        if (type == null || !type.startsWith("application/problem+json")) {
          problem(ctx, 404, "Not found", "no resource at " + ctx.path(), List.of());
        }
      });
    });
    if (keystore.isBlank()) {
      app.start(host, port);
    } else {
      app.start();
    }
    log.info("query API on {}://{}:{} (authentication: {})", keystore.isBlank() ? "http" : "https", host, app.port(), mode);
    return this;
  }

  private HikariDataSource storePool(String name, int size, int statementTimeoutMs) {
    return pool(name, config.getString(QueryApiConfig.JDBC_URL), config.getString(QueryApiConfig.JDBC_USER),
        config.getPassword(QueryApiConfig.JDBC_PASSWORD).value(), size, statementTimeoutMs);
  }

  /** A read-only pool that starts while the database is down and holds every statement to {@code statementTimeoutMs}. */
  private HikariDataSource pool(String name, String url, String user, String password, int size, int statementTimeoutMs) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setUsername(user);
    hc.setPassword(password);
    hc.setMaximumPoolSize(size);
    hc.setConnectionTimeout(2_000);
    hc.setInitializationFailTimeout(-1);
    hc.setReadOnly(true);
    hc.setPoolName(name);
    hc.setMetricRegistry(metrics);
    // PostgreSQL cancels a statement running longer (SQLState 57014, answered 503): set on each new connection, so that no
    // 'options' in the JDBC URL can drop it; and row values stay out of its error messages
    hc.setConnectionInitSql("SET statement_timeout = " + statementTimeoutMs);
    hc.addDataSourceProperty("logServerErrorDetail", "false");
    return new HikariDataSource(hc);
  }

  /**
   * An unexpected failure: the store unreachable or a statement cancelled at its timeout is a 503
   * (try again); anything else a 500 that says only "internal error" and a correlation id, which the
   * log line carries with the exception. Neither names a class, host, pool or SQL.
   */
  private void failed(Exception e, Context ctx) {
    String correlation = java.util.UUID.randomUUID().toString();
    ctx.header("X-Correlation-Id", correlation);
    try (var mdc = org.slf4j.MDC.putCloseable("correlationId", correlation)) {
      if (unavailable(e)) {
        log.warn("request {} answered 503 [correlation {}]: {}", ctx.path(), correlation, e.toString());
        ctx.header("Retry-After", "5");
        problem(ctx, 503, "Service unavailable", "the query store did not answer in time; retry shortly (correlation id " + correlation
            + ")", List.of(), correlation);
        return;
      }
      log.error("request {} failed [correlation {}]", ctx.path(), correlation, e);
    }
    problem(ctx, 500, "Internal error", "internal error (correlation id " + correlation + ")", List.of(), correlation);
  }

  /** The store is down or refusing work, or cancelled a statement at its timeout: no fault of the request. */
  static boolean unavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.sql.SQLRecoverableException
          || t instanceof java.net.ConnectException) {
        return true;
      }
      if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        return state.startsWith("08") || state.startsWith("53") || state.startsWith("57");
      }
    }
    return false;
  }

  /** For the management port: UP while the query store answers, OUTAGE while it does not (the API answers 503 meanwhile). */
  public io.invoicesync.schemas.ComponentHealth health() {
    if (repository == null || app == null) {
      return new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.STARTING, "CREATED", Map.of());
    }
    return ping()
        ? new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.UP, "SERVING", Map.of("port", app.port()))
        : new io.invoicesync.schemas.ComponentHealth(io.invoicesync.schemas.ComponentHealth.Status.OUTAGE, "OUTAGE",
            Map.of("port", app.port(), "outage", "query store unreachable"));
  }

  public int port() {
    return app.port();
  }

  /** Where a client on this host reaches the API: http or https, the bound port. */
  public String url() {
    return (config.getString(QueryApiConfig.TLS_KEYSTORE_PATH).isBlank() ? "http" : "https") + "://localhost:" + app.port();
  }

  private void getInvoice(Context ctx) throws Exception {
    String id = ctx.pathParam("id");
    var invoice = repository.find(ApiSecurity.caller(ctx).tenant(), id);
    if (invoice.isEmpty()) {
      notFound(ctx, id);
      return;
    }
    ctx.json(invoice.get());
  }

  /**
   * One answer for an invoice that is not there and for one of another taxpayer (no existence leak):
   * the same status, title and detail, whichever endpoint asked.
   */
  private void notFound(Context ctx, String id) {
    problem(ctx, 404, "Invoice not found", "no invoice with id '" + id + "' is visible to you in the query store; "
        + "its trace may say why: /api/v1/invoices/" + id + "/trace", List.of());
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
      InvoiceRepository.TimePage page = repository.byOutcome(ApiSecurity.caller(ctx).tenant(), outcome, filter, decodeTimeCursor(ctx.queryParam("cursor")), limit);
      body.put("items", page.items());
      body.put("nextCursor", page.next() == null ? null : encodeTimeCursor(page.next()));
      ctx.json(body);
      return;
    }
    InvoiceRepository.Cursor cursor = decodeCursor(ctx.queryParam("cursor"));
    Tenant tenant = ApiSecurity.caller(ctx).tenant();
    InvoiceRepository.Page page = repository.search(tenant, filter, cursor, limit);
    body.put("items", page.items());
    body.put("nextCursor", page.next() == null ? null : encodeCursor(page.next()));
    if (number != null && page.items().isEmpty() && cursor == null) {
      List<Map<String, Object>> notVisible = new java.util.ArrayList<>();
      for (String id : searchTracer.idsByNumber(tenant, number, code).stream().limit(NOT_VISIBLE_MAX).toList()) {
        Map<String, Object> t = searchTracer.trace(tenant, id).orElse(null);
        if (t == null) {
          continue;
        }
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
    String id = ctx.pathParam("id");
    Map<String, Object> trace = tracer.trace(ApiSecurity.caller(ctx).tenant(), id).orElse(null);
    if (trace == null) {
      notFound(ctx, id);
      return;
    }
    if (trace.get("rejection") instanceof Map<?, ?> rejection) {
      io.invoicesync.outcomes.trace.RuleMessages.localize((List<?>) rejection.get("violations"), language(ctx));
    }
    ctx.json(trace);
  }

  private static String language(Context ctx) {
    return io.invoicesync.outcomes.trace.RuleMessages.language(ctx.queryParam("lang"), ctx.header("Accept-Language"));
  }

  private void audit(Context ctx) throws Exception {
    onlyParams(ctx, Set.of(), "audit");
    Map<String, Object> history = tracer.history(ApiSecurity.caller(ctx).tenant(), ctx.pathParam("id"));
    if (((List<?>) history.get("entries")).isEmpty()) {
      notFound(ctx, ctx.pathParam("id"));
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
    InvoiceRepository.TimePage page = repository.rejections(ApiSecurity.caller(ctx).tenant(), filter, decodeTimeCursor(ctx.queryParam("cursor")), limit(ctx));
    String lang = language(ctx);
    page.items().forEach(item -> io.invoicesync.outcomes.trace.RuleMessages.localize((List<?>) item.get("violations"), lang));
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
    boolean up = ping();
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

  /** The query store answers, on the health pool's own connection. */
  private boolean ping() {
    try (java.sql.Connection c = healthSource.getConnection()) {
      return c.isValid(2);
    } catch (java.sql.SQLException e) {
      return false;
    }
  }

  /** Method, path and scope of every route registered with Javalin (for tests that must cover each one). */
  public List<Map.Entry<String, Set<io.javalin.security.RouteRole>>> routes() {
    return app.unsafe.internalRouter.allHttpHandlers().stream()
        .filter(p -> p.endpoint.method.isHttpMethod()) // not the before/after filters
        .map(p -> Map.entry(p.endpoint.method + " " + p.endpoint.path, Set.copyOf(p.endpoint.metadata(io.javalin.security.Roles.class) == null
            ? Set.<io.javalin.security.RouteRole>of() : p.endpoint.metadata(io.javalin.security.Roles.class).getRoles())))
        .toList();
  }

  private void problem(Context ctx, int status, String title, String detail, List<Map<String, String>> invalidParams) {
    problem(ctx, status, title, detail, invalidParams, null);
  }

  private void problem(Context ctx, int status, String title, String detail, List<Map<String, String>> invalidParams, String correlation) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "about:blank");
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    body.put("instance", ctx.path());
    if (!invalidParams.isEmpty()) {
      body.put("invalidParams", invalidParams);
    }
    if (correlation != null) {
      body.put("correlationId", correlation);
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
    if (healthSource != null) {
      healthSource.close();
    }
    if (searchSource != null) {
      searchSource.close();
    }
  }
}
