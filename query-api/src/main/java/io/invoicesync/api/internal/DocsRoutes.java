package io.invoicesync.api.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.api.security.Scope;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The API's own contract: {@code GET /openapi.json} (OpenAPI 3.1, generated from the route table as
 * it is when asked) and {@code GET /docs}, Swagger UI over it, its assets packaged in the jar
 * (the {@code org.webjars:swagger-ui} jar; nothing from a CDN). Both public: they describe the API,
 * not anyone's invoices.
 */
public final class DocsRoutes {

  private static final String SWAGGER = "/META-INF/resources/webjars/swagger-ui/5.35.0/";
  private static final Map<String, String> ASSETS = Map.of("swagger-ui.css", "text/css", "swagger-ui-bundle.js", "text/javascript");
  /** Swagger UI styles its elements inline; its scripts and the document come from here. */
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
      + "connect-src 'self'; frame-ancestors 'none'";
  private static final String PAGE = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
      <title>invoice-sync API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
      <body><div id="swagger-ui"></div>
      <noscript><p>The API's contract is at <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p></noscript>
      <script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>
      """;
  private static final String INIT = "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, "
      + "persistAuthorization: false, tryItOutEnabled: false });\n";

  private final Supplier<List<RouteTable.Route>> routes;
  private final ObjectMapper json;
  private final String version;

  public DocsRoutes(Supplier<List<RouteTable.Route>> routes, ObjectMapper json, String version) {
    this.routes = routes;
    this.json = json;
    this.version = version;
  }

  public void register(RouteTable table) {
    table.add(RouteTable.Route.get("/openapi.json", Scope.PUBLIC, "contract", "This API's OpenAPI 3.1 document, generated from its "
        + "route table"), ctx -> ctx.contentType("application/json").result(json.writeValueAsString(OpenApiDocument.of(routes.get(), version))));
    table.add(RouteTable.Route.get("/docs", Scope.PUBLIC, "contract", "Swagger UI over /openapi.json").answers(200, "text/html"),
        ctx -> ctx.header("Content-Security-Policy", CSP).contentType("text/html; charset=utf-8").result(PAGE));
    table.add(RouteTable.Route.get("/docs/{asset}", Scope.PUBLIC, "contract", "Swagger UI's script and style sheet, packaged in the jar")
        .answers(200, "text/javascript"), this::asset);
  }

  private void asset(Context ctx) throws IOException {
    String name = ctx.pathParam("asset");
    if (name.equals("init.js")) {
      ctx.contentType("text/javascript; charset=utf-8").result(INIT);
      return;
    }
    String type = ASSETS.get(name);
    if (type == null) {
      throw new ProblemException(404, "Not found", "no asset " + name + " under /docs", List.of());
    }
    InputStream in = DocsRoutes.class.getResourceAsStream(SWAGGER + name);
    if (in == null) {
      throw new ProblemException(404, "Not found", "no asset " + name + " under /docs", List.of());
    }
    ctx.header("Cache-Control", "public, max-age=86400").contentType(type + "; charset=utf-8").result(in);
  }
}
