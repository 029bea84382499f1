package io.invoicesync.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.invoicesync.testkit.TestHttp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /openapi.json} is the API as it is: every route Javalin serves is documented with its scope,
 * and nothing is documented that Javalin does not serve; the document is valid OpenAPI 3.1 to a
 * parser we did not write (swagger-parser); Swagger UI is served from the jar; and a route refuses a
 * query parameter its declaration lacks. No query store is needed: none of this reads it.
 */
class OpenApiContractTest {

  static QueryApiServer api;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start() {
    api = new QueryApiServer(new QueryApiConfig(Map.of(QueryApiConfig.JDBC_URL, "jdbc:postgresql://127.0.0.1:9/none", QueryApiConfig.PORT, 0,
        QueryApiConfig.AUTH_MODE, "none")), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Map.of()).start();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @Test
  void shouldDocumentEveryServedRouteAndNothingElse() throws Exception {
    HttpResponse<String> r = TestHttp.get(api.port(), "/openapi.json");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode doc = json.readTree(r.body());
    assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
    Set<String> documented = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      path.getValue().fieldNames().forEachRemaining(m -> documented.add(m.toUpperCase() + " " + path.getKey()));
    }
    Set<String> served = api.routes().stream().map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
    assertThat(served).as("served routes").hasSizeGreaterThanOrEqualTo(20);
    assertThat(documented).as("documented in /openapi.json = served by Javalin").isEqualTo(served);

    for (Map.Entry<String, Set<io.javalin.security.RouteRole>> route : api.routes()) {
      String method = route.getKey().substring(0, route.getKey().indexOf(' ')).toLowerCase();
      String path = route.getKey().substring(route.getKey().indexOf(' ') + 1);
      JsonNode op = doc.get("paths").get(path).get(method);
      String scope = ((io.invoicesync.api.security.Scope) route.getValue().iterator().next()).value();
      assertThat(op.get("x-scope").asText()).as(route.getKey() + " documents the scope it is served with").isEqualTo(scope);
      if (!scope.isEmpty()) {
        assertThat(op.get("security").get(0).get("bearer").get(0).asText()).isEqualTo(scope);
        assertThat(op.get("responses").has("401")).as(route.getKey()).isTrue();
      }
      for (String p : path.split("/")) {
        if (p.startsWith("{")) {
          String name = p.substring(1, p.length() - 1);
          boolean declared = false;
          for (JsonNode param : op.get("parameters")) {
            declared |= param.get("in").asText().equals("path") && param.get("name").asText().equals(name);
          }
          assertThat(declared).as(route.getKey() + " declares path parameter " + name).isTrue();
        }
      }
    }
  }

  @Test
  void shouldBeValidOpenApi31ToAParserWeDidNotWrite() throws Exception {
    String body = TestHttp.get(api.port(), "/openapi.json").body();
    SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(body);
    assertThat(parsed.getMessages()).as("swagger-parser's complaints").isEmpty();
    assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
    assertThat(parsed.getOpenAPI().getPaths().get("/api/v1/invoices").getGet().getParameters())
        .extracting(io.swagger.v3.oas.models.parameters.Parameter::getName).contains("sellerTaxId", "invoiceNumber", "outcome", "cursor");
  }

  @Test
  void shouldServeSwaggerUiFromTheJar() throws Exception {
    HttpResponse<String> page = TestHttp.get(api.port(), "/docs");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("/docs/swagger-ui-bundle.js", "/openapi.json").doesNotContain("http://", "https://");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'");
    assertThat(TestHttp.get(api.port(), "/docs/swagger-ui-bundle.js").body()).hasSizeGreaterThan(1_000_000);
    assertThat(TestHttp.get(api.port(), "/docs/init.js").body()).contains("/openapi.json");
    assertThat(TestHttp.get(api.port(), "/docs/index.html").statusCode()).isEqualTo(404);
  }

  @Test
  void shouldRefuseAQueryParameterTheRouteDoesNotDeclare() throws Exception {
    HttpResponse<String> r = TestHttp.get(api.port(), "/api/v1/webhooks/endpoints?sellerTaxId=1");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("sellerTaxId", "is not a GET /api/v1/webhooks/endpoints parameter", "it takes none");
    assertThat(TestHttp.get(api.port(), "/api/v1/invoices?sellerId=1").body()).contains("is not a search parameter");
    // a probe's or a scraper's cache-buster is ignored where it would do no harm (503 here: no query store)
    assertThat(TestHttp.get(api.port(), "/health?_=123").statusCode()).isEqualTo(503);
  }
}
