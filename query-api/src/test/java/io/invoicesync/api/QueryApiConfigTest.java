package io.invoicesync.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.api.QueryApiConfig.AuthMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks QueryApiConfig makes when it is built: authentication mode, JWT key settings, TLS keystore. */
class QueryApiConfigTest {

  static final String SECRET = "0123456789abcdef0123456789abcdef"; // 32 bytes: the least HS256 allows
  static final String ISSUER = "https://idp.example.com/";
  static final String AUDIENCE = "invoice-sync";

  @TempDir
  Path dir;

  static Map<String, Object> base(String authMode) {
    Map<String, Object> cfg = new HashMap<>();
    cfg.put(QueryApiConfig.JDBC_URL, "jdbc:postgresql://localhost:5432/querystore");
    if (authMode != null) {
      cfg.put(QueryApiConfig.AUTH_MODE, authMode);
    }
    return cfg;
  }

  /** jwt mode with issuer and audience, and no key yet. */
  static Map<String, Object> jwtWithoutKey() {
    Map<String, Object> cfg = base("jwt");
    cfg.put(QueryApiConfig.JWT_ISSUER, ISSUER);
    cfg.put(QueryApiConfig.JWT_AUDIENCE, AUDIENCE);
    return cfg;
  }

  static Map<String, Object> jwt(String key, Object value) {
    Map<String, Object> cfg = jwtWithoutKey();
    cfg.put(key, value);
    return cfg;
  }

  @Test
  void shouldRefuseAnUnsetAuthModeNamingTheKeyAndBothChoices() {
    // Given a configuration without api.auth.mode
    Map<String, Object> cfg = base(null);

    // When it is built, then it is refused, saying what to choose
    assertThatThrownBy(() -> new QueryApiConfig(cfg)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.auth.mode").hasMessageContaining("'jwt'").hasMessageContaining("'none'");
  }

  @Test
  void shouldRefuseAnAuthModeOutsideItsAllowedValues() {
    assertThatThrownBy(() -> new QueryApiConfig(base("basic"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("auth.mode").hasMessageContaining("basic").hasMessageContaining("none, jwt");
    assertThatThrownBy(() -> new QueryApiConfig(base("JWT"))).as("values are lower case, as documented")
        .isInstanceOf(ConfigException.class).hasMessageContaining("auth.mode");
  }

  @Test
  void shouldListTheAllowedAuthModesInTheDefinition() {
    assertThat(QueryApiConfig.configDef().configKeys().get(QueryApiConfig.AUTH_MODE).validator).hasToString("[none, jwt]");
  }

  @Test
  void shouldBuildNoTokenValidatorWhenAuthModeIsNone() {
    QueryApiConfig config = new QueryApiConfig(base("none"));

    assertThat(config.authMode()).isEqualTo(AuthMode.NONE);
    assertThat(config.authenticator()).isEmpty();
    assertThat(config.keystore()).isEmpty();
  }

  @Test
  void shouldBuildTheTokenValidatorOnceWhenJwtSettingsAreComplete() {
    QueryApiConfig config = new QueryApiConfig(jwt(QueryApiConfig.JWT_SECRET, SECRET));

    assertThat(config.authMode()).isEqualTo(AuthMode.JWT);
    assertThat(config.authenticator()).isPresent();
    assertThat(config.authenticator().get()).as("the same validator each time").isSameAs(config.authenticator().get());
  }

  @Test
  void shouldOfferTheConsoleLoginOnlyWhenAClientIdIsSetAndTokensAreChecked() {
    assertThat(new QueryApiConfig(jwt(QueryApiConfig.JWT_SECRET, SECRET)).consoleOidc()).as("off by default").isEmpty();
    Map<String, Object> on = jwt(QueryApiConfig.JWT_SECRET, SECRET);
    on.put(QueryApiConfig.CONSOLE_OIDC_CLIENT_ID, "invoice-sync-console");
    assertThat(new QueryApiConfig(on).consoleOidc()).isPresent();
    assertThat(new QueryApiConfig(on).consoleOidc().get().redirectUri("https://sync.example.com"))
        .as("this host's callback unless configured").isEqualTo("https://sync.example.com/console/oidc/callback");

    Map<String, Object> open = base("none");
    open.put(QueryApiConfig.CONSOLE_OIDC_CLIENT_ID, "invoice-sync-console");
    assertThatThrownBy(() -> new QueryApiConfig(open)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.console.oidc.client.id").hasMessageContaining("api.auth.mode=jwt");
  }

  @Test
  void shouldRefuseAConsoleLoginItCouldNotRunSafelyNamingTheKey() {
    Map<String, Object> plain = jwt(QueryApiConfig.JWT_SECRET, SECRET);
    plain.put(QueryApiConfig.CONSOLE_OIDC_CLIENT_ID, "c");
    plain.put(QueryApiConfig.CONSOLE_OIDC_ISSUER, "http://idp.example.com/realms/x");
    assertThatThrownBy(() -> new QueryApiConfig(plain)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.console.oidc.issuer").hasMessageContaining("must be https");
    plain.put(QueryApiConfig.CONSOLE_OIDC_ISSUER, "http://127.0.0.1:8080/realms/x");
    assertThat(new QueryApiConfig(plain).consoleOidc()).as("http on a loopback address").isPresent();

    Map<String, Object> noOpenid = jwt(QueryApiConfig.JWT_SECRET, SECRET);
    noOpenid.put(QueryApiConfig.CONSOLE_OIDC_CLIENT_ID, "c");
    noOpenid.put(QueryApiConfig.CONSOLE_OIDC_SCOPE, "profile invoices:read");
    assertThatThrownBy(() -> new QueryApiConfig(noOpenid)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.console.oidc.scope").hasMessageContaining("openid");

    Map<String, Object> elsewhere = jwt(QueryApiConfig.JWT_SECRET, SECRET);
    elsewhere.put(QueryApiConfig.CONSOLE_OIDC_CLIENT_ID, "c");
    elsewhere.put(QueryApiConfig.CONSOLE_OIDC_REDIRECT_URI, "https://sync.example.com/somewhere");
    assertThatThrownBy(() -> new QueryApiConfig(elsewhere)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.console.oidc.redirect.uri").hasMessageContaining("/console/oidc/callback");
  }

  @Test
  void shouldRefuseJwtWithoutAKeyToCheckSignaturesWith() {
    Map<String, Object> cfg = jwtWithoutKey();

    assertThatThrownBy(() -> new QueryApiConfig(cfg)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.auth.jwt.secret").hasMessageContaining("api.auth.jwt.public.key")
        .hasMessageContaining("api.auth.jwt.jwks.url").hasMessageContaining("0 are set");
  }

  @Test
  void shouldRefuseJwtWithTwoKeys() {
    Map<String, Object> cfg = jwt(QueryApiConfig.JWT_SECRET, SECRET);
    cfg.put(QueryApiConfig.JWT_JWKS_URL, "https://idp.example.com/jwks.json");

    assertThatThrownBy(() -> new QueryApiConfig(cfg)).isInstanceOf(ConfigException.class).hasMessageContaining("2 are set");
  }

  @Test
  void shouldRefuseAnHs256SecretShorterThan32BytesWithoutRepeatingIt() {
    assertThatThrownBy(() -> new QueryApiConfig(jwt(QueryApiConfig.JWT_SECRET, "a-short-secret")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.secret").hasMessageContaining("32 bytes")
        .hasMessageNotContaining("a-short-secret");
  }

  @Test
  void shouldRefuseJwtWithoutIssuer() {
    Map<String, Object> cfg = jwt(QueryApiConfig.JWT_SECRET, SECRET);
    cfg.remove(QueryApiConfig.JWT_ISSUER);

    assertThatThrownBy(() -> new QueryApiConfig(cfg)).isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.issuer");
  }

  @Test
  void shouldRefuseJwtWithoutAudience() {
    Map<String, Object> cfg = jwt(QueryApiConfig.JWT_SECRET, SECRET);
    cfg.put(QueryApiConfig.JWT_AUDIENCE, " ");

    assertThatThrownBy(() -> new QueryApiConfig(cfg)).isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.audience");
  }

  @Test
  void shouldRefuseAPublicKeyThatIsNeitherPemNorAReadableFile() {
    assertThatThrownBy(() -> new QueryApiConfig(jwt(QueryApiConfig.JWT_PUBLIC_KEY, dir.resolve("no-such-key.pem").toString())))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.public.key");
    assertThatThrownBy(() -> new QueryApiConfig(jwt(QueryApiConfig.JWT_PUBLIC_KEY, "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.public.key");
  }

  @Test
  void shouldRefuseAJwksUrlOverPlainHttpExceptOnLoopback() {
    assertThatThrownBy(() -> new QueryApiConfig(jwt(QueryApiConfig.JWT_JWKS_URL, "http://idp.example.com/jwks.json")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.jwks.url").hasMessageContaining("https");

    assertThat(new QueryApiConfig(jwt(QueryApiConfig.JWT_JWKS_URL, "http://127.0.0.1:1/jwks.json")).authenticator()).isPresent();
  }

  @Test
  void shouldRefuseAJwksUrlThatIsNotAUrl() {
    assertThatThrownBy(() -> new QueryApiConfig(jwt(QueryApiConfig.JWT_JWKS_URL, "https://idp example/jwks")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.jwks.url").hasMessageContaining("not a URL");
  }

  @Test
  void shouldRefuseAKeystoreThatIsNotAReadableFile() {
    Map<String, Object> cfg = base("none");
    cfg.put(QueryApiConfig.TLS_KEYSTORE_PATH, dir.resolve("missing.p12").toString());

    assertThatThrownBy(() -> new QueryApiConfig(cfg)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("api.tls.keystore.path").hasMessageContaining("missing.p12").hasMessageContaining("readable");
  }

  @Test
  void shouldServeHttpsFromAReadableKeystore() throws Exception {
    Path keystore = Files.writeString(dir.resolve("api.p12"), "not checked here: Jetty reads it at start");
    Map<String, Object> cfg = base("none");
    cfg.put(QueryApiConfig.TLS_KEYSTORE_PATH, keystore.toString());

    assertThat(new QueryApiConfig(cfg).keystore()).contains(keystore);
  }
}
