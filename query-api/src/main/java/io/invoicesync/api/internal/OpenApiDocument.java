package io.invoicesync.api.internal;

import io.invoicesync.api.security.Scope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The OpenAPI 3.1 document of the query API, generated from its {@link RouteTable}: every route,
 * its scope (as an OAuth2 bearer scope), path and query parameters, body and answers, with the
 * RFC 9457 problem details every error carries. Served at {@code /openapi.json}.
 */
public final class OpenApiDocument {

  private OpenApiDocument() {
  }

  public static Map<String, Object> of(List<RouteTable.Route> routes, String version) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("openapi", "3.1.0");
    doc.put("info", Map.of("title", "invoice-sync query API", "version", version,
        "description", "Where every invoice is: visible, rejected with reasons, in flight or dead-lettered; its trace and audit trail; "
            + "the pipeline's status; imports of the tax platform's files; webhook endpoints. Every route but /health and this "
            + "document needs a bearer token (JWT) with the scope it names; a token sees only its taxpayers' invoices (tax_ids)."));
    Map<String, Map<String, Object>> paths = new TreeMap<>();
    for (RouteTable.Route r : routes) {
      paths.computeIfAbsent(r.path(), p -> new LinkedHashMap<>()).put(r.method().toLowerCase(java.util.Locale.ROOT), operation(r));
    }
    doc.put("paths", paths);
    Map<String, Object> components = new LinkedHashMap<>();
    components.put("securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer", "bearerFormat", "JWT",
        "description", "A JWT from the deployment's identity provider: its 'scope' claim holds the scopes below, 'tax_ids' the taxpayers")));
    components.put("schemas", Map.of("Problem", problem()));
    doc.put("components", components);
    return doc;
  }

  private static Map<String, Object> operation(RouteTable.Route r) {
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("operationId", operationId(r));
    op.put("tags", List.of(r.tag()));
    op.put("summary", r.summary());
    if (r.description() != null) {
      op.put("description", r.description());
    }
    List<Map<String, Object>> params = new java.util.ArrayList<>();
    for (String p : r.pathParams()) {
      params.add(Map.of("name", p, "in", "path", "required", true, "schema", Map.of("type", "string")));
    }
    for (RouteTable.Param p : r.query()) {
      Map<String, Object> schema = new LinkedHashMap<>();
      schema.put("type", p.type());
      if (p.format() != null) {
        schema.put("format", p.format());
      }
      if (!p.values().isEmpty()) {
        schema.put("enum", p.values());
      }
      params.add(Map.of("name", p.name(), "in", "query", "required", false, "description", p.description(), "schema", schema));
    }
    if (!params.isEmpty()) {
      op.put("parameters", params);
    }
    if (r.body() == RouteTable.Body.JSON) {
      op.put("requestBody", Map.of("required", false, "content", Map.of("application/json", Map.of("schema", Map.of("type", "object")))));
    } else if (r.body() == RouteTable.Body.MULTIPART) {
      op.put("requestBody", Map.of("required", true, "content", Map.of("multipart/form-data", Map.of("schema", Map.of("type", "object",
          "required", List.of("file"), "properties", Map.of("file", Map.of("type", "array", "items",
              Map.of("type", "string", "contentMediaType", "application/octet-stream"))))))));
    }
    Map<String, Object> responses = new TreeMap<>();
    Map<String, Object> ok = new LinkedHashMap<>();
    ok.put("description", "success");
    if (r.produces() != null) {
      ok.put("content", Map.of(r.produces(), Map.of("schema", r.produces().startsWith("application/json") ? Map.of("type", "object")
          : Map.of("type", "string"))));
    }
    responses.put(Integer.toString(r.success()), ok);
    if (r.scope() != Scope.PUBLIC) {
      responses.put("401", error("no token, or one that is malformed, expired or wrongly signed (WWW-Authenticate: Bearer)"));
      responses.put("403", error("the token lacks the scope " + r.scope().value()));
      responses.put("429", error("too many requests from this token's subject (Retry-After)"));
      responses.put("503", error("the query store is down or too slow (Retry-After)"));
      op.put("security", List.of(Map.of("bearer", List.of(r.scope().value()))));
    } else {
      op.put("security", List.of());
    }
    if (!r.query().isEmpty() || r.body() != RouteTable.Body.NONE) {
      responses.put("400", error("a parameter or the body is wrong; invalidParams names it"));
    }
    if (!r.pathParams().isEmpty()) {
      responses.put("404", error("no such resource, or one of other taxpayers (the same answer)"));
    }
    op.put("responses", responses);
    op.put("x-scope", r.scope().value());
    return op;
  }

  private static String operationId(RouteTable.Route r) {
    StringBuilder id = new StringBuilder(r.method().toLowerCase(java.util.Locale.ROOT));
    for (String part : r.path().split("[/{}\\-.]+")) {
      if (!part.isEmpty() && !part.equals("api") && !part.equals("v1")) {
        id.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
      }
    }
    return id.toString();
  }

  private static Map<String, Object> error(String description) {
    return Map.of("description", description, "content", Map.of("application/problem+json", Map.of("schema",
        Map.of("$ref", "#/components/schemas/Problem"))));
  }

  private static Map<String, Object> problem() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("type", Map.of("type", "string"));
    props.put("title", Map.of("type", "string"));
    props.put("status", Map.of("type", "integer"));
    props.put("detail", Map.of("type", "string"));
    props.put("instance", Map.of("type", "string"));
    props.put("invalidParams", Map.of("type", "array", "items", Map.of("type", "object", "properties",
        Map.of("name", Map.of("type", "string"), "reason", Map.of("type", "string")))));
    props.put("correlationId", Map.of("type", "string"));
    return Map.of("type", "object", "description", "RFC 9457 problem details", "required", List.of("title", "status", "detail"),
        "properties", props);
  }
}
