package io.invoicesync.api;

import io.invoicesync.api.security.JwtAuthenticator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Configuration of the query API, every key documented with its default; validated when it is
 * constructed (so {@code run} refuses a bad one before it starts any component), and the one place
 * that checks the authentication mode, the JWT key settings and the TLS keystore.
 */
public final class QueryApiConfig extends AbstractConfig {

  public static final String PORT = "port";
  public static final String JDBC_URL = "jdbc.url";
  public static final String JDBC_USER = "jdbc.user";
  public static final String JDBC_PASSWORD = "jdbc.password";
  public static final String DEFAULT_LIMIT = "search.default.limit";
  public static final String MAX_LIMIT = "search.max.limit";
  public static final String POOL_SIZE = "jdbc.pool.size";
  public static final String SEARCH_POOL_SIZE = "jdbc.search.pool.size";
  public static final String SOURCE_JDBC_URL = "source.jdbc.url";
  public static final String SOURCE_JDBC_USER = "source.jdbc.user";
  public static final String SOURCE_JDBC_PASSWORD = "source.jdbc.password";
  public static final String SOURCE_SCHEMA = "source.schema";
  public static final String SOURCE_SLOT = "source.slot.name";
  public static final String BIND_ADDRESS = "bind.address";
  public static final String AUTH_MODE = "auth.mode";
  public static final String JWT_SECRET = "auth.jwt.secret";
  public static final String JWT_PUBLIC_KEY = "auth.jwt.public.key";
  public static final String JWT_JWKS_URL = "auth.jwt.jwks.url";
  public static final String JWT_ISSUER = "auth.jwt.issuer";
  public static final String JWT_AUDIENCE = "auth.jwt.audience";
  public static final String JWT_CLOCK_SKEW_SECONDS = "auth.jwt.clock.skew.seconds";
  public static final String JWT_CLAIM_TAX_IDS = "auth.jwt.claim.tax.ids";
  public static final String JWT_TAX_IDS_WILDCARD = "auth.jwt.tax.ids.wildcard";
  public static final String JWT_CLAIM_SCOPE = "auth.jwt.claim.scope";
  public static final String TLS_KEYSTORE_PATH = "tls.keystore.path";
  public static final String TLS_KEYSTORE_PASSWORD = "tls.keystore.password";
  public static final String TLS_KEYSTORE_TYPE = "tls.keystore.type";
  public static final String STATEMENT_TIMEOUT_MS = "jdbc.statement.timeout.ms";
  public static final String RATE_LIMIT_PER_MINUTE = "rate.limit.per.minute";
  public static final String REQUEST_MAX_BYTES = "request.max.bytes";
  public static final String CORS_ORIGINS = "cors.origins";
  public static final String IMPORT_MAX_BYTES = "import.max.bytes";
  public static final String IMPORT_MAX_ROWS = "import.max.rows";
  public static final String IMPORT_TOPIC = "import.topic";
  public static final String CONSOLE_ZONE = "console.zone";
  public static final String CONSOLE_OIDC_CLIENT_ID = "console.oidc.client.id";
  public static final String CONSOLE_OIDC_CLIENT_SECRET = "console.oidc.client.secret";
  public static final String CONSOLE_OIDC_ISSUER = "console.oidc.issuer";
  public static final String CONSOLE_OIDC_SCOPE = "console.oidc.scope";
  public static final String CONSOLE_OIDC_REDIRECT_URI = "console.oidc.redirect.uri";

  /** {@link #CONSOLE_ZONE}, checked. */
  public java.time.ZoneId consoleZone() {
    try {
      return java.time.ZoneId.of(getString(CONSOLE_ZONE));
    } catch (java.time.DateTimeException e) {
      throw new org.apache.kafka.common.config.ConfigException(PREFIX + CONSOLE_ZONE, getString(CONSOLE_ZONE), "is not a time zone id, "
          + "e.g. Asia/Shanghai");
    }
  }

  /** The prefix of these keys in {@code run}'s configuration file: the constructor's errors name a key as an operator writes it. */
  static final String PREFIX = "api.";

  /** How the API authenticates its callers ({@code auth.mode}). */
  public enum AuthMode {
    /** No authentication: every invoice to every caller. */
    NONE,
    /** OAuth2 bearer tokens (JWT): a scope per route, and only the invoices of the token's tax ids. */
    JWT;

    /** As written in the configuration. */
    public String value() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final ConfigDef.ValidString AUTH_MODES =
      ConfigDef.ValidString.in(Arrays.stream(AuthMode.values()).map(AuthMode::value).toArray(String[]::new));

  private static final ConfigDef DEF = new ConfigDef()
      .define(PORT, Type.INT, 8080, Range.between(0, 65535), Importance.HIGH, "HTTP port; 0 = any free port.")
      .define(JDBC_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Query store JDBC URL (a read replica is fine).")
      .define(JDBC_USER, Type.STRING, "postgres", Importance.HIGH, "Query store user (read-only suffices).")
      .define(JDBC_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Query store password.")
      .define(POOL_SIZE, Type.INT, 4, Range.between(1, 200), Importance.LOW, "Connections for reads of one invoice (lookup, trace, audit).")
      .define(SEARCH_POOL_SIZE, Type.INT, 4, Range.between(1, 200), Importance.LOW, "Connections for searches, rejections and status "
          + "counts: a separate pool, so that slow searches cannot hold up lookups.")
      .define(DEFAULT_LIMIT, Type.INT, 50, Range.between(1, 10_000), Importance.LOW, "Page size when 'limit' is not given.")
      .define(MAX_LIMIT, Type.INT, 500, Range.between(1, 10_000), Importance.LOW, "Largest page size a client may ask for.")
      .define(CONSOLE_ZONE, Type.STRING, "Asia/Shanghai", Importance.LOW, "The time zone the web console shows times in (the API "
          + "answers in UTC).")
      .define(CONSOLE_OIDC_CLIENT_ID, Type.STRING, "", Importance.MEDIUM, "The console's client id at the identity provider: set, "
          + "the sign-in page offers an OpenID Connect login (authorization code with PKCE) beside the pasted token. Needs auth.mode=jwt; "
          + "the access token the provider issues must pass the API's own checks (issuer, audience, scopes, tax ids). Empty = off.")
      .define(CONSOLE_OIDC_CLIENT_SECRET, Type.PASSWORD, "", Importance.MEDIUM, "The client's secret (a confidential client, sent "
          + "with HTTP Basic to the token endpoint); empty for a public client, which PKCE protects.")
      .define(CONSOLE_OIDC_ISSUER, Type.STRING, "", Importance.LOW, "The provider's issuer URL, its metadata at "
          + "<issuer>/.well-known/openid-configuration (https; http only on a loopback address). Empty = api.auth.jwt.issuer.")
      .define(CONSOLE_OIDC_SCOPE, Type.STRING, "openid", Importance.LOW, "The scopes the login asks for, space-separated, openid "
          + "among them (add those your provider needs to put the API's scopes in the access token).")
      .define(CONSOLE_OIDC_REDIRECT_URI, Type.STRING, "", Importance.LOW, "The redirect URI registered at the provider; empty = "
          + "this host's /console/oidc/callback as the browser reached it (set it behind a proxy that rewrites the host).")
      .define(SOURCE_JDBC_URL, Type.STRING, "", Importance.MEDIUM,
          "Read-only access to the issuing database, so trace can say NOT_CAPTURED ('committed at T, not captured yet; capture is "
              + "N s behind') and status can show the replication slot's lag. Empty = off (the default): trace then says UNKNOWN for "
              + "an invoice the pipeline never saw. A user with SELECT on the invoice table and pg_replication_slots suffices.")
      .define(SOURCE_JDBC_USER, Type.STRING, "postgres", Importance.MEDIUM, "Issuing database user for source access (read-only suffices).")
      .define(SOURCE_JDBC_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM, "Issuing database password for source access.")
      .define(SOURCE_SCHEMA, Type.STRING, "issuing", Importance.LOW, "Schema of the issuing platform's invoice table.")
      .define(SOURCE_SLOT, Type.STRING, "invoice_sync", Importance.LOW, "Ingest's replication slot, whose lag status reports.")
      .define(BIND_ADDRESS, Type.STRING, "0.0.0.0", Importance.MEDIUM, "Address the API listens on (127.0.0.1: this host only).")
      .define(AUTH_MODE, Type.STRING, null, ConfigDef.LambdaValidator.with((name, value) -> {
        if (value != null) {
          AUTH_MODES.ensureValid(name, value); // unset: refused by the constructor, which says what to choose
        }
      }, AUTH_MODES::toString), Importance.HIGH,
          "'jwt': every request but /health needs an OAuth2 bearer token (JWT) with the route's scope, and sees only the invoices of "
              + "the token's tax ids; 'none': no authentication, every invoice to every caller. Must be set: the API does not start "
              + "open by accident (the demo sets none).")
      .define(JWT_SECRET, Type.PASSWORD, null, Importance.HIGH, "HS256 key (at least 32 bytes) tokens are signed with. One of "
          + "secret, public.key, jwks.url.")
      .define(JWT_PUBLIC_KEY, Type.STRING, "", Importance.HIGH, "RSA or EC public key (PEM 'PUBLIC KEY', inline or a file path) "
          + "for RS256/ES256 tokens.")
      .define(JWT_JWKS_URL, Type.STRING, "", Importance.HIGH, "The identity provider's JWKS URL (keys fetched, cached, refreshed on "
          + "rotation); RS256/384/512, PS256, ES256/384.")
      .define(JWT_ISSUER, Type.STRING, "", Importance.HIGH, "Required 'iss' of tokens (jwt mode).")
      .define(JWT_AUDIENCE, Type.STRING, "", Importance.HIGH, "Required 'aud' of tokens (jwt mode).")
      .define(JWT_CLOCK_SKEW_SECONDS, Type.INT, 60, Range.between(0, 600), Importance.LOW, "Tolerance for exp/nbf against this clock.")
      .define(JWT_CLAIM_TAX_IDS, Type.STRING, "tax_ids", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Claim with the taxpayer ids (list) a token may see. Every taxpayer is the scope invoices:all, not a value of this claim.")
      .define(JWT_TAX_IDS_WILDCARD, Type.BOOLEAN, false, Importance.LOW,
          "true = \"*\" among a token's tax ids grants every taxpayer, as before invoices:all; only while tokens migrate: whoever "
              + "may set tax ids in the identity provider (a tenant admin) could then grant it.")
      .define(JWT_CLAIM_SCOPE, Type.STRING, "scope", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Claim with the scopes (space-separated string, or a list as in 'scp'): invoices:read, invoices:trace, operations, audit, "
              + "and invoices:all (every taxpayer; operations needs it).")
      .define(TLS_KEYSTORE_PATH, Type.STRING, "", Importance.HIGH, "Keystore with the API's certificate and key: set = HTTPS only.")
      .define(TLS_KEYSTORE_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Password of the keystore (and its key).")
      .define(TLS_KEYSTORE_TYPE, Type.STRING, "PKCS12", Importance.LOW, "Keystore type.")
      .define(STATEMENT_TIMEOUT_MS, Type.INT, 5_000, Range.between(100, 600_000), Importance.MEDIUM,
          "Longest a query may run before PostgreSQL cancels it (the caller gets 503): slow searches cannot starve the pool.")
      .define(RATE_LIMIT_PER_MINUTE, Type.INT, 600, Range.atLeast(0), Importance.MEDIUM,
          "Requests per minute per token subject (per client address without auth); 0 = no limit. Over it: 429 with Retry-After.")
      .define(REQUEST_MAX_BYTES, Type.INT, 16_384, Range.between(1_024, 1_048_576), Importance.LOW,
          "Largest request (URI, headers and body) the API reads.")
      .define(CORS_ORIGINS, Type.LIST, "", Importance.LOW, "Origins allowed to call the API from a browser; empty = CORS off.")
      .define(IMPORT_MAX_BYTES, Type.LONG, 64L << 20, Range.between(1_024L, 2L << 30), Importance.MEDIUM,
          "Largest upload to POST /api/v1/imports and /api/v1/reconcile/against, all files together, in bytes (default 64 MiB).")
      .define(IMPORT_MAX_ROWS, Type.INT, 200_000, Range.between(1, 10_000_000), Importance.MEDIUM,
          "Most invoices one upload may hold; a larger one is refused before anything is imported (the CLI's import has no limit).")
      .define(IMPORT_TOPIC, Type.STRING, "invoices.imported", new ConfigDef.NonEmptyString(), Importance.LOW,
          "The topic POST /api/v1/imports sends to (sync-streams' topic.imported); needs bootstrap.servers (shared) to import.");

  private final AuthMode authMode;
  private final Optional<JwtAuthenticator> authenticator;
  private final Optional<Path> keystore;
  private final Optional<io.invoicesync.api.console.OidcLogin> consoleLogin;

  /**
   * Validates every key: types, ranges and allowed values; {@value #AUTH_MODE} set; under
   * {@code jwt}, the key settings (exactly one key source, a usable key, issuer and audience: the
   * token validator is built here, once, and refuses them naming the key); a TLS keystore that can
   * be read. A bad value fails here, before anything starts, naming the key.
   */
  public QueryApiConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
    this.authMode = authMode(getString(AUTH_MODE));
    this.authenticator = authMode == AuthMode.JWT ? Optional.of(jwtAuthenticator()) : Optional.empty();
    this.keystore = keystore(getString(TLS_KEYSTORE_PATH));
    consoleZone(); // refused at construction, naming the key
    this.consoleLogin = consoleLogin();
  }

  /** The console's OpenID Connect login ({@value #CONSOLE_OIDC_CLIENT_ID} set), checked: empty when off. */
  public Optional<io.invoicesync.api.console.OidcLogin> consoleOidc() {
    return consoleLogin;
  }

  private Optional<io.invoicesync.api.console.OidcLogin> consoleLogin() {
    String client = getString(CONSOLE_OIDC_CLIENT_ID).strip();
    if (client.isEmpty()) {
      return Optional.empty();
    }
    if (authMode != AuthMode.JWT) {
      throw new ConfigException(PREFIX + CONSOLE_OIDC_CLIENT_ID, client, "a login needs api.auth.mode=jwt: the console keeps the "
          + "access token the provider issues and the API checks it like any other");
    }
    String issuer = getString(CONSOLE_OIDC_ISSUER).isBlank() ? getString(JWT_ISSUER) : getString(CONSOLE_OIDC_ISSUER).strip();
    String redirect = getString(CONSOLE_OIDC_REDIRECT_URI).strip();
    if (!redirect.isEmpty() && !redirect.endsWith(io.invoicesync.api.console.OidcLogin.CALLBACK_PATH)) {
      throw new ConfigException(PREFIX + CONSOLE_OIDC_REDIRECT_URI, redirect, "must end with "
          + io.invoicesync.api.console.OidcLogin.CALLBACK_PATH + ", where the console finishes a login");
    }
    // the issuer's and scope's checks name api.console.oidc.* themselves
    return Optional.of(new io.invoicesync.api.console.OidcLogin(new io.invoicesync.api.console.OidcLogin.Settings(issuer, client,
        getPassword(CONSOLE_OIDC_CLIENT_SECRET).value(), getString(CONSOLE_OIDC_SCOPE).strip(), redirect)));
  }

  private static AuthMode authMode(String value) {
    if (value == null) {
      throw new ConfigException(PREFIX + AUTH_MODE, null, "not set: set it to 'jwt' (bearer tokens, tenant isolation; see README, "
          + "'Securing the API') or explicitly to 'none' to serve every invoice to every caller");
    }
    return AuthMode.valueOf(value.toUpperCase(Locale.ROOT)); // one of AUTH_MODES: the definition's validator passed it
  }

  private JwtAuthenticator jwtAuthenticator() {
    Password secret = getPassword(JWT_SECRET);
    return new JwtAuthenticator(secret == null ? null : secret.value(), getString(JWT_PUBLIC_KEY), getString(JWT_JWKS_URL),
        getString(JWT_ISSUER), getString(JWT_AUDIENCE), getInt(JWT_CLOCK_SKEW_SECONDS), getString(JWT_CLAIM_TAX_IDS),
        getString(JWT_CLAIM_SCOPE), getBoolean(JWT_TAX_IDS_WILDCARD));
  }

  private static Optional<Path> keystore(String path) {
    if (path.isBlank()) {
      return Optional.empty();
    }
    if (!Files.isReadable(Path.of(path))) {
      throw new ConfigException(PREFIX + TLS_KEYSTORE_PATH, path, "is not a readable file");
    }
    return Optional.of(Path.of(path));
  }

  public AuthMode authMode() {
    return authMode;
  }

  /** The token validator of {@link AuthMode#JWT}, built from this configuration; empty under {@link AuthMode#NONE}. */
  public Optional<JwtAuthenticator> authenticator() {
    return authenticator;
  }

  /** The keystore of the API's certificate: present = HTTPS only. */
  public Optional<Path> keystore() {
    return keystore;
  }

  /** A copy of the definition: a caller cannot change what this class validates. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }
}
