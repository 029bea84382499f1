package io.invoicesync.cli.management;

import io.invoicesync.schemas.ComponentHealth;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management port of a {@code run} process, whatever components it runs:
 * <ul>
 *   <li>{@code GET /health/live}: 200 while the process serves; it never asks an external system, so
 *       an orchestrator does not restart a process that is riding out an outage;</li>
 *   <li>{@code GET /health/ready}: 200 when every component is UP, else 503; per component its
 *       status, state and details (lag, outage start, failure);</li>
 *   <li>{@code GET /metrics}: Prometheus text, every meter tagged with {@code component} and
 *       {@code instance}.</li>
 * </ul>
 * It carries no invoice data, so it has no authentication: bind it to an address only the
 * orchestrator and Prometheus reach ({@code management.bind.address}).
 */
public final class ManagementServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);

  private final Javalin app;

  private ManagementServer(Javalin app) {
    this.app = app;
  }

  /** Starts serving on {@code management.port} (0: any free port). */
  public static ManagementServer start(ManagementConfig config, PrometheusMeterRegistry metrics, Supplier<Map<String, ComponentHealth>> health) {
    Javalin app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.http.defaultContentType = "application/json";
      cfg.routes.get("/health/live", ctx -> ctx.json(Map.of("status", "UP")));
      cfg.routes.get("/health/ready", ctx -> ready(ctx, health.get(), config.healthDetailsAlways() || authorized(ctx, config)));
      cfg.routes.get("/metrics", ctx -> {
        if (!authorized(ctx, config)) {
          ctx.status(401).header("WWW-Authenticate", "Bearer").json(Map.of("status", 401, "detail",
              "/metrics needs 'Authorization: Bearer <management.auth.token>'"));
          return;
        }
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
      });
    });
    app.start(config.getString(ManagementConfig.BIND_ADDRESS), config.getInt(ManagementConfig.PORT));
    log.info("management port {}: /health/live, /health/ready, /metrics", app.port());
    return new ManagementServer(app);
  }

  /** True without a configured token; else whether the request carries it (compared in constant time). */
  private static boolean authorized(Context ctx, ManagementConfig config) {
    String token = config.authToken();
    if (token == null) {
      return true;
    }
    String header = ctx.header("Authorization");
    String given = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : "";
    return MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }

  private static void ready(Context ctx, Map<String, ComponentHealth> components, boolean details) {
    boolean ready = !components.isEmpty();
    Map<String, Object> body = new LinkedHashMap<>();
    Map<String, Object> each = new LinkedHashMap<>();
    for (Map.Entry<String, ComponentHealth> e : components.entrySet()) {
      ComponentHealth h = e.getValue();
      ready &= h.ready();
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("status", h.status().name());
      c.put("state", h.state());
      c.putAll(h.details());
      each.put(e.getKey(), c);
    }
    body.put("status", ready ? "UP" : "DOWN");
    if (details) {
      body.put("components", each);
    }
    ctx.status(ready ? 200 : 503).json(body);
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }
}
