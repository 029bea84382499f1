package io.invoicesync.cli;

import static org.awaitility.Awaitility.await;

import io.invoicesync.testkit.TestHttp;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A real OpenID Connect provider without Docker: Keycloak's distribution from Maven Central
 * ({@code org.keycloak:keycloak-quarkus-dist:26.5.6:tar.gz}, unpacked by the cli module's build into
 * {@code target/keycloak}), started in development mode ({@code kc.sh start-dev}: in-memory-ish H2,
 * plain http on 127.0.0.1) in a child JVM (Java 21+), with a realm imported at start: the console's
 * public client (PKCE S256, its redirect URI), the API's audience and scopes in the access token, a
 * taxpayer's tax ids as the {@code tax_ids} claim, and one user.
 */
final class KeycloakProcess implements AutoCloseable {

  static final Path HOME = Path.of("target", "keycloak", "keycloak-26.5.6");
  static final String REALM = "invoice-sync";
  static final String CLIENT = "invoice-sync-console";

  private final Process process;
  private final int port;

  /** Why it cannot run here (to skip saying so), or empty. */
  static Optional<String> unavailable() {
    if (!Files.isRegularFile(HOME.resolve("bin/kc.sh"))) {
      return Optional.of(HOME + " is missing (the cli module's build unpacks org.keycloak:keycloak-quarkus-dist:26.5.6:tar.gz there)");
    }
    if (RegistryProcess.java().isEmpty()) {
      return Optional.of("no Java 21 or newer for Keycloak 26 (set INVOICESYNC_REGISTRY_JAVA, or install one under /usr/lib/jvm)");
    }
    return Optional.empty();
  }

  /**
   * @param redirectUri the console's callback the client may send the browser back to
   * @param user        the user's name; password {@code user + "-password"}
   * @param taxIds      the user's taxpayers, as the access token's {@code tax_ids}
   * @param scopes      the API scopes the access token carries
   */
  KeycloakProcess(Path logDir, String redirectUri, String user, List<String> taxIds, List<String> scopes) throws IOException {
    this.port = freePort();
    // a fresh database each time: a realm already stored (from an earlier run, another redirect URI) is not imported again
    Path h2 = HOME.resolve("data").resolve("h2");
    if (Files.isDirectory(h2)) {
      try (java.util.stream.Stream<Path> old = Files.walk(h2)) {
        old.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    Path imports = HOME.resolve("data").resolve("import");
    Files.createDirectories(imports);
    Files.writeString(imports.resolve(REALM + "-realm.json"), realm(redirectUri, user, taxIds, scopes), StandardCharsets.UTF_8);
    Path javaHome = Path.of(RegistryProcess.java().orElseThrow()).getParent().getParent();
    ProcessBuilder pb = new ProcessBuilder("sh", HOME.resolve("bin/kc.sh").toAbsolutePath().toString(), "start-dev",
        "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + freePort(), "--import-realm", "--cache=local")
        .redirectErrorStream(true);
    Files.createDirectories(logDir);
    pb.redirectOutput(logDir.resolve("keycloak.log").toFile());
    pb.environment().put("JAVA_HOME", javaHome.toString());
    pb.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx384m");
    this.process = pb.start();
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("Keycloak exited with " + process.exitValue() + "; see " + logDir.resolve("keycloak.log"));
      }
      try {
        return TestHttp.get(URI.create(issuer() + "/.well-known/openid-configuration")).statusCode() == 200;
      } catch (IOException notYet) {
        return false;
      }
    });
  }

  /** {@code http://127.0.0.1:PORT/realms/invoice-sync}: the issuer of its tokens. */
  String issuer() {
    return "http://127.0.0.1:" + port + "/realms/" + REALM;
  }

  String jwksUrl() {
    return issuer() + "/protocol/openid-connect/certs";
  }

  private static String realm(String redirectUri, String user, List<String> taxIds, List<String> scopes) {
    StringBuilder scopeDefs = new StringBuilder();
    StringBuilder scopeNames = new StringBuilder("\"basic\"");
    for (String s : scopes) {
      scopeDefs.append(",\n    {\"name\": \"").append(s).append("\", \"protocol\": \"openid-connect\", \"attributes\": {\"include.in.token.scope\": \"true\"}}");
      scopeNames.append(", \"").append(s).append('"');
    }
    String taxIdsJson = taxIds.stream().map(t -> "\\\"" + t + "\\\"").reduce((a, b) -> a + "," + b).orElse("");
    return """
        {
          "realm": "%s", "enabled": true, "sslRequired": "none",
          "clientScopes": [
            {"name": "basic", "protocol": "openid-connect", "attributes": {"include.in.token.scope": "false"},
             "protocolMappers": [{"name": "sub", "protocol": "openid-connect", "protocolMapper": "oidc-sub-mapper",
                                  "config": {"access.token.claim": "true", "introspection.token.claim": "true"}},
                                 {"name": "username", "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-property-mapper",
                                  "config": {"user.attribute": "username", "claim.name": "preferred_username", "jsonType.label": "String",
                                             "access.token.claim": "true", "id.token.claim": "true"}}]}%s
          ],
          "clients": [
            {"clientId": "%s", "enabled": true, "publicClient": true, "standardFlowEnabled": true, "directAccessGrantsEnabled": false,
             "redirectUris": ["%s"], "attributes": {"pkce.code.challenge.method": "S256"},
             "defaultClientScopes": [%s],
             "protocolMappers": [
               {"name": "audience", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                "config": {"included.custom.audience": "%s", "access.token.claim": "true", "id.token.claim": "false"}},
               {"name": "tax ids", "protocol": "openid-connect", "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": {"claim.name": "tax_ids", "claim.value": "[%s]", "jsonType.label": "JSON", "access.token.claim": "true",
                           "id.token.claim": "false"}}
             ]}
          ],
          "users": [
            {"username": "%s", "enabled": true, "email": "%s@example.com", "emailVerified": true, "firstName": "Clerk", "lastName": "A",
             "credentials": [{"type": "password", "value": "%s-password", "temporary": false}]}
          ]
        }
        """.formatted(REALM, scopeDefs, CLIENT, redirectUri, scopeNames, TestTokens.AUDIENCE, taxIdsJson, user, user, user);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    // kc.sh runs the server as its child: stop the whole tree
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
