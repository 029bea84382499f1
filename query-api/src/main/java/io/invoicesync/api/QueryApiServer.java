package io.invoicesync.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.invoicesync.api.console.ConsoleRoutes;
import io.invoicesync.api.internal.DocsRoutes;
import io.invoicesync.api.internal.ImportRoutes;
import io.invoicesync.api.internal.RouteTable;
import io.invoicesync.api.internal.InvoiceRepository;
import io.invoicesync.api.internal.InvoiceRoutes;
import io.invoicesync.api.internal.OperationsRoutes;
import io.invoicesync.api.internal.ProblemException;
import io.invoicesync.api.internal.QueryParams;
import io.invoicesync.api.internal.TraceRoutes;
import io.invoicesync.api.internal.WebhookRoutes;
import io.invoicesync.api.security.ApiSecurity;
import io.invoicesync.api.security.JwtAuthenticator;
import io.invoicesync.outcomes.trace.AuditPeriod;
import io.invoicesync.outcomes.trace.PipelineStatus;
import io.invoicesync.outcomes.IssuingTables;
import io.invoicesync.outcomes.trace.SourceProbe;
import io.invoicesync.outcomes.trace.TraceService;
import io.invoicesync.schemas.ComponentHealth;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.webhooks.Endpoints;
import io.invoicesync.webhooks.Messages;
import io.invoicesync.webhooks.WebhooksConfig;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import io.javalin.security.Roles;
import io.javalin.security.RouteRole;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ConnectException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The read side over the query store, HTTP/JSON:
 * <ul>
 *   <li>{@code GET /api/v1/invoices/{id}}: one invoice with its lines and sync metadata;</li>
 *   <li>{@code GET /api/v1/invoices?sellerTaxId=&buyerTaxId=&from=&to=&status=&limit=&cursor=}:
 *       newest first, keyset-paginated ({@code nextCursor} is opaque);</li>
 *   <li>{@code GET /api/v1/invoices?invoiceNumber=&invoiceCode=}: as a search; when nothing with that
 *       number is visible, {@code notVisible} points at the trace of each invoice that carries it;</li>
 *   <li>{@code GET /api/v1/invoices?outcome=REJECTED|DEAD_LETTERED|IN_FLIGHT}: invoices by outcome;</li>
 *   <li>{@code GET /api/v1/rejections?sellerTaxId=&buyerTaxId=&code=&from=&to=&invoiceNumber=}: latest rejections
 *       (these four: {@link InvoiceRoutes});</li>
 *   <li>{@code GET /api/v1/invoices/{id}/trace}: where the invoice is and why ({@link TraceService});</li>
 *   <li>{@code GET /api/v1/invoices/{id}/audit}: its audit trail, the hash chain verified (both: {@link TraceRoutes});</li>
 *   <li>{@code GET /api/v1/status}: freshness per stage, lag, counts by outcome;</li>
 *   <li>{@code GET /api/v1/reconcile/last}: the newest scheduled reconciliation's report;</li>
 *   <li>{@code /api/v1/webhooks/endpoints...}: webhook endpoints, their deliveries, resend and recover ({@link WebhookRoutes});</li>
 *   <li>{@code GET /health}: the query store and each registered component, 200 or 503;</li>
 *   <li>{@code GET /metrics}: Prometheus text format (these four: {@link OperationsRoutes}).</li>
 * </ul>
 * This class wires them: the connection pools (lookups, searches, health, the issuing database),
 * TLS, {@link ApiSecurity}, and the mapping of errors to RFC 9457 problem details
 * ({@code application/problem+json}): a {@link ProblemException} as it says, the store unreachable
 * or too slow as 503, anything else as 500 with a correlation id.
 */
public final class QueryApiServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(QueryApiServer.class);

  private final QueryApiConfig config;
  private final PrometheusMeterRegistry metrics;
  private final Map<String, BooleanSupplier> healthChecks;
  private final ObjectMapper json = new ObjectMapper()
      .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private HikariDataSource dataSource;
  private org.apache.kafka.clients.producer.Producer<String, InvoiceChange> importProducer;
  private HikariDataSource sourceDataSource;
  private HikariDataSource healthSource;
  private HikariDataSource searchSource;
  private Javalin app;
  private RouteTable routeTable;
  private ConsoleRoutes console;

  /**
   * @param healthChecks components whose health {@code /health} reports besides the query store
   *                     (name to check); evaluated on each request
   */
  public QueryApiServer(QueryApiConfig config, PrometheusMeterRegistry metrics, Map<String, BooleanSupplier> healthChecks) {
    this.config = config;
    this.metrics = metrics;
    this.healthChecks = Map.copyOf(healthChecks);
  }

  /**
   * How the source probe reads the issuing tables, given the source's pool (a customer's own tables
   * through their mapping); without it, the reference tables in {@code api.source.schema}.
   */
  public QueryApiServer issuingTables(java.util.function.Function<javax.sql.DataSource, IssuingTables> tables) {
    this.issuingTables = tables;
    return this;
  }

  private java.util.function.Function<javax.sql.DataSource, IssuingTables> issuingTables;
  private WebhooksConfig.ApiSettings webhookSettings = WebhooksConfig.apiSettings(Map.of());
  private HikariDataSource webhookSource;

  /** The webhooks' settings the endpoint routes follow (which URL schemes, how long a rotated secret still signs). */
  public QueryApiServer webhookSettings(WebhooksConfig.ApiSettings settings) {
    this.webhookSettings = settings;
    return this;
  }

  public synchronized QueryApiServer start() {
    // authentication mode, token validator and keystore: checked by QueryApiConfig when it was built
    JwtAuthenticator jwt = config.authenticator().orElse(null);
    Optional<Path> keystore = config.keystore();
    int timeout = config.getInt(QueryApiConfig.STATEMENT_TIMEOUT_MS);
    dataSource = storePool("query-api", config.getInt(QueryApiConfig.POOL_SIZE), timeout);
    searchSource = storePool("query-api-search", config.getInt(QueryApiConfig.SEARCH_POOL_SIZE), timeout);
    healthSource = storePool("query-api-health", 1, 2_000); // its own connection: a pool starved by slow searches does not fail health
    SourceProbe probe = null;
    if (!config.getString(QueryApiConfig.SOURCE_JDBC_URL).isBlank()) {
      sourceDataSource = pool("query-api-source", config.getString(QueryApiConfig.SOURCE_JDBC_URL),
          config.getString(QueryApiConfig.SOURCE_JDBC_USER), config.getPassword(QueryApiConfig.SOURCE_JDBC_PASSWORD).value(), 2, timeout);
      probe = issuingTables != null ? new SourceProbe(sourceDataSource, issuingTables.apply(sourceDataSource), config.getString(QueryApiConfig.SOURCE_SLOT))
          : new SourceProbe(sourceDataSource, config.getString(QueryApiConfig.SOURCE_SCHEMA), config.getString(QueryApiConfig.SOURCE_SLOT));
    }
    QueryParams.Limits limits = new QueryParams.Limits(config.getInt(QueryApiConfig.DEFAULT_LIMIT), config.getInt(QueryApiConfig.MAX_LIMIT));
    InvoiceRepository repository = new InvoiceRepository(dataSource, searchSource);
    TraceService searchTracer = new TraceService(searchSource, probe); // a search's notVisible traces stay on the search pool
    PipelineStatus status = new PipelineStatus(dataSource, searchSource, probe);
    InvoiceRoutes invoices = new InvoiceRoutes(repository, searchTracer, limits);
    AuditPeriod auditPeriod = new AuditPeriod(searchSource); // a period's export is a long read: on the search pool
    TraceRoutes traces = new TraceRoutes(new TraceService(dataSource, probe), auditPeriod);
    OperationsRoutes operations = new OperationsRoutes(status, metrics, this::ping, healthChecks);
    ImportRoutes imports = new ImportRoutes(searchSource, importProducer(), config.getString(QueryApiConfig.IMPORT_TOPIC),
        config.getInt(QueryApiConfig.IMPORT_MAX_ROWS));
    // the one pool that writes: webhook endpoints (and their messages' resend/recover), nothing else of the store
    webhookSource = writablePool("query-api-webhooks", 2, timeout);
    WebhookRoutes webhooks = new WebhookRoutes(new Endpoints(webhookSource), new Messages(webhookSource), webhookSettings.allowHttp(),
        webhookSettings.allowPrivate(), webhookSettings.rotationOverlap(), json);
    console = new ConsoleRoutes(repository, searchTracer, limits, jwt, keystore.isPresent(), config.consoleZone(), status, searchSource,
        kafkaClient(),
        new Endpoints(searchSource), new Messages(searchSource)); // read-only: the console shows endpoints, the API changes them
    ApiSecurity security = new ApiSecurity(jwt, config.getInt(QueryApiConfig.RATE_LIMIT_PER_MINUTE), keystore.isPresent());
    console.limitedBy(security).exportsAuditWith(auditPeriod).signsInWith(config.consoleOidc().orElse(null))
        .importsWith(imports, searchSource);
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
      keystore.ifPresent(k -> tls(cfg, k, host, port));
      security.install(cfg, config.getList(QueryApiConfig.CORS_ORIGINS));
      RouteTable table = new RouteTable(cfg.routes);
      invoices.register(table);
      traces.register(table);
      operations.register(table);
      imports.register(table);
      webhooks.register(table);
      new DocsRoutes(table::routes, json, version()).register(table);
      console.register(table);
      this.routeTable = table;
      long maxUpload = config.getLong(QueryApiConfig.IMPORT_MAX_BYTES);
      cfg.jetty.multipartConfig.maxTotalRequestSize(maxUpload, SizeUnit.BYTES);
      cfg.jetty.multipartConfig.maxFileSize(maxUpload, SizeUnit.BYTES);
      cfg.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB); // larger parts go to a temporary file
      cfg.routes.exception(ProblemException.class, (e, ctx) -> problem(ctx, e.status(), e.title(), e.getMessage(), e.invalidParams(), null));
      cfg.routes.exception(Exception.class, this::failed);
      cfg.routes.error(404, ctx -> {
        // only for paths no handler answered: Jetty adds a charset to the content type of a handler's own problem
        String type = ctx.res().getContentType();
        if (type == null || !type.startsWith("application/problem+json") && !type.startsWith("text/html")) { // a console page said it
          problem(ctx, 404, "Not found", "no resource at " + ctx.path(), List.of(), null);
        }
      });
    });
    if (keystore.isPresent()) {
      app.start();
    } else {
      app.start(host, port);
    }
    log.info("query API on {}://{}:{} (authentication: {})", keystore.isPresent() ? "https" : "http", host, app.port(),
        config.authMode().value());
    return this;
  }

  /** The Kafka client settings (bootstrap.servers, security) imports produce and the console replays with; null without bootstrap.servers. */
  private Map<String, Object> kafkaClient() {
    Object bootstrap = config.originals().get("bootstrap.servers");
    if (bootstrap == null || bootstrap.toString().isBlank()) {
      return null;
    }
    Map<String, Object> p = new java.util.HashMap<>(io.invoicesync.schemas.KafkaClients.security(config.originals()));
    p.put("bootstrap.servers", bootstrap.toString());
    return p;
  }

  /**
   * The imported topic's producer for {@code POST /api/v1/imports}, made on first use (most APIs never import), from the shared
   * Kafka settings (bootstrap.servers, security, schema registry); null when there is no bootstrap.servers: imports are off.
   */
  private java.util.function.Supplier<org.apache.kafka.clients.producer.Producer<String, InvoiceChange>> importProducer() {
    Map<String, Object> client = kafkaClient();
    if (client == null) {
      return null;
    }
    return () -> {
      synchronized (this) {
        if (importProducer == null) {
          Map<String, Object> p = new java.util.HashMap<>(client);
          p.putAll(io.invoicesync.imports.ImportRun.producerSettings("invoice-sync-api-import"));
          SerdeFactory serdes = SerdeFactory.of((String) config.originals().get(SerdeFactory.REGISTRY_URL_CONFIG), config.originals());
          importProducer = new org.apache.kafka.clients.producer.KafkaProducer<>(p, serdes.keySerde().serializer(),
              serdes.valueSerde(InvoiceChange.class).serializer());
        }
        return importProducer;
      }
    };
  }

  /** HTTPS only, on {@code host:port}, with the configured keystore. */
  private void tls(JavalinConfig cfg, Path keystore, String host, int port) {
    cfg.jetty.addConnector((server, httpConfig) -> {
      SslContextFactory.Server tls = new SslContextFactory.Server();
      tls.setKeyStorePath(keystore.toString());
      tls.setKeyStorePassword(config.getPassword(QueryApiConfig.TLS_KEYSTORE_PASSWORD).value());
      tls.setKeyStoreType(config.getString(QueryApiConfig.TLS_KEYSTORE_TYPE));
      httpConfig.addCustomizer(new SecureRequestCustomizer());
      ServerConnector connector = new ServerConnector(server, tls, new HttpConnectionFactory(httpConfig));
      connector.setHost(host);
      connector.setPort(port);
      return connector;
    });
  }

  /**
   * Every reading pool this server opened (the source's when configured): each a read-only session PostgreSQL enforces. The
   * webhook routes' pool is the one that writes, and only the webhook tables.
   */
  List<DataSource> pools() {
    List<DataSource> pools = new ArrayList<>(List.of(dataSource, searchSource, healthSource));
    if (sourceDataSource != null) {
      pools.add(sourceDataSource);
    }
    return pools;
  }

  private HikariDataSource storePool(String name, int size, int statementTimeoutMs) {
    return pool(name, config.getString(QueryApiConfig.JDBC_URL), config.getString(QueryApiConfig.JDBC_USER),
        config.getPassword(QueryApiConfig.JDBC_PASSWORD).value(), size, statementTimeoutMs);
  }

  /** The webhook routes' pool: writable (endpoints, resend, recover), otherwise as the read-only ones. */
  private HikariDataSource writablePool(String name, int size, int statementTimeoutMs) {
    HikariDataSource ds = pool(name, config.getString(QueryApiConfig.JDBC_URL), config.getString(QueryApiConfig.JDBC_USER),
        config.getPassword(QueryApiConfig.JDBC_PASSWORD).value(), size, statementTimeoutMs, false);
    return ds;
  }

  /** A read-only pool that starts while the database is down and holds every statement to {@code statementTimeoutMs}. */
  private HikariDataSource pool(String name, String url, String user, String password, int size, int statementTimeoutMs) {
    return pool(name, url, user, password, size, statementTimeoutMs, true);
  }

  private HikariDataSource pool(String name, String url, String user, String password, int size, int statementTimeoutMs, boolean readOnly) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setUsername(user);
    hc.setPassword(password);
    hc.setMaximumPoolSize(size);
    hc.setConnectionTimeout(2_000);
    hc.setInitializationFailTimeout(-1);
    if (readOnly) {
      hc.setReadOnly(true);
      hc.addDataSourceProperty("readOnlyMode", "always"); // PostgreSQL enforces it (a read-only session), not only pgjdbc's hint
    }
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
    String correlation = UUID.randomUUID().toString();
    ctx.header("X-Correlation-Id", correlation);
    try (var mdc = MDC.putCloseable("correlationId", correlation)) {
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

  /**
   * The store is down or refusing work, or cancelled a statement at its timeout: no fault of the
   * request. Walks the causes down to the first SQL exception with a state, which decides.
   */
  static boolean unavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException || t instanceof ConnectException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        return state.startsWith("08") || state.startsWith("53") || state.startsWith("57");
      }
    }
    return false;
  }

  /** RFC 9457 problem details; {@code invalidParams} only when there are some, {@code correlationId} only when given. */
  private void problem(Context ctx, int status, String title, String detail, List<Map<String, String>> invalidParams, String correlation) {
    if (console != null && (ctx.path().equals("/console") || ctx.path().startsWith("/console/"))) {
      // a person at a browser: the sign-in page for a missing or refused token, otherwise a page that says what is wrong
      if (status == 401) {
        ConsoleRoutes.toSignIn(ctx);
      } else {
        console.problem(ctx, status, detail);
      }
      return;
    }
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
    } catch (JsonProcessingException e) {
      ctx.status(status).result(detail);
    }
  }

  /** For the management port: UP while the query store answers, OUTAGE while it does not (the API answers 503 meanwhile). */
  public ComponentHealth health() {
    if (app == null) {
      return new ComponentHealth(ComponentHealth.Status.STARTING, "CREATED", Map.of());
    }
    return ping()
        ? new ComponentHealth(ComponentHealth.Status.UP, "SERVING", Map.of("port", app.port()))
        : new ComponentHealth(ComponentHealth.Status.OUTAGE, "OUTAGE", Map.of("port", app.port(), "outage", "query store unreachable"));
  }

  /** The query store answers, on the health pool's own connection. */
  private boolean ping() {
    try (Connection c = healthSource.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  public int port() {
    return app.port();
  }

  /** Where a client on this host reaches the API: http or https, the bound port. */
  public String url() {
    return (config.keystore().isPresent() ? "https" : "http") + "://localhost:" + app.port();
  }

  /** Every route as the route table declares it (what /openapi.json documents). */
  public List<RouteTable.Route> documentedRoutes() {
    return routeTable.routes();
  }

  /** This build's version (the jar's), or "dev" when run from classes. */
  static String version() {
    String v = QueryApiServer.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Method, path and scope of every route registered with Javalin (for tests that must cover each one). */
  public List<Map.Entry<String, Set<RouteRole>>> routes() {
    return app.unsafe.internalRouter.allHttpHandlers().stream()
        .filter(p -> p.endpoint.method.isHttpMethod()) // not the before/after filters
        .map(p -> Map.entry(p.endpoint.method + " " + p.endpoint.path, Set.copyOf(p.endpoint.metadata(Roles.class) == null
            ? Set.<RouteRole>of() : p.endpoint.metadata(Roles.class).getRoles())))
        .toList();
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
    if (webhookSource != null) {
      webhookSource.close();
    }
    if (importProducer != null) {
      importProducer.close(java.time.Duration.ofSeconds(5));
    }
  }
}
