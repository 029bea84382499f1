package io.invoicesync.api.console;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jwt.JWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationErrorResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import io.invoicesync.api.security.JwtAuthenticator;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.common.config.ConfigException;

/**
 * The console's OpenID Connect login: the authorization-code flow with PKCE (S256), a state and a
 * nonce, against the identity provider whose tokens the API accepts, with the Nimbus OAuth 2.0 SDK.
 * The provider's metadata is discovered from {@code <issuer>/.well-known/openid-configuration} at
 * the first sign-in (the API starts whether or not the provider is up). The login's state, nonce,
 * PKCE verifier and where to go after travel in a short-lived cookie of their own, so any instance
 * of the API can finish a login another began. The ID token is checked (signature by the provider's
 * keys, issuer, audience = this client, expiry, nonce); the access token it came with is what the
 * console then keeps, checked by the same {@link JwtAuthenticator} as every API request, so a login
 * grants exactly what the API would grant that token.
 */
public final class OidcLogin {

  /** The cookie that binds the provider's answer to the browser that asked (path /console/oidc, ten minutes). */
  public static final String STATE_COOKIE = "invoice_sync_oidc";
  /** Where the provider sends the browser back, on this host unless {@code api.console.oidc.redirect.uri} says otherwise. */
  public static final String CALLBACK_PATH = "/console/oidc/callback";
  private static final int TIMEOUT_MS = 10_000;

  /**
   * @param issuer       the provider's issuer URL (https, or http on a loopback address)
   * @param clientId     this console's client id at the provider
   * @param clientSecret its secret (confidential client), or blank for a public client (PKCE only)
   * @param scope        the scopes asked for, {@code openid} among them
   * @param redirectUri  the registered redirect URI, or blank to derive it from the request's host
   */
  public record Settings(String issuer, String clientId, String clientSecret, String scope, String redirectUri) {
  }

  /** A login that did not finish, with what the user reads. */
  public static final class Failed extends Exception {
    Failed(String message) {
      super(message);
    }
  }

  /** Where to send the browser, and the value of {@link #STATE_COOKIE} that lets its answer in. */
  public record Start(URI authorize, String cookie) {
  }

  private final Settings settings;
  private volatile OIDCProviderMetadata metadata;
  private volatile IDTokenValidator idTokens;

  /** Refuses an issuer it would not fetch the provider's metadata from safely, naming {@code api.console.oidc.issuer}. */
  public OidcLogin(Settings settings) {
    this.settings = settings;
    URI issuer;
    try {
      issuer = URI.create(settings.issuer());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("api.console.oidc.issuer", settings.issuer(), "is not a URL: " + e.getMessage());
    }
    String host = issuer.getHost() == null ? "" : issuer.getHost();
    if (!"https".equalsIgnoreCase(issuer.getScheme()) && !("http".equalsIgnoreCase(issuer.getScheme())
        && JwtAuthenticator.isLoopbackLiteral(host))) {
      throw new ConfigException("api.console.oidc.issuer", settings.issuer(), "must be https (http only on a loopback address): the "
          + "provider's metadata says where its keys and token endpoint are");
    }
    if (!settings.scope().matches("(^|.*\\s)openid(\\s.*|$)")) {
      throw new ConfigException("api.console.oidc.scope", settings.scope(), "must include openid");
    }
  }

  /** The redirect URI of a request that reached {@code origin} (scheme://host[:port]): the configured one, else this host's callback. */
  public String redirectUri(String origin) {
    return settings.redirectUri().isBlank() ? origin + CALLBACK_PATH : settings.redirectUri();
  }

  /** A new login: the provider's authorization URL for it, and the cookie that must come back with the answer. */
  public Start start(String redirectUri, String next) throws Failed {
    OIDCProviderMetadata op = metadata();
    State state = new State();
    Nonce nonce = new Nonce();
    CodeVerifier verifier = new CodeVerifier();
    AuthenticationRequest request = new AuthenticationRequest.Builder(new ResponseType(ResponseType.Value.CODE),
        Scope.parse(settings.scope()), new ClientID(settings.clientId()), URI.create(redirectUri))
        .endpointURI(op.getAuthorizationEndpointURI()).state(state).nonce(nonce).codeChallenge(verifier, CodeChallengeMethod.S256)
        .build();
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String cookie = String.join(".", state.getValue(), nonce.getValue(), verifier.getValue(),
        b64.encodeToString(next.getBytes(StandardCharsets.UTF_8)));
    return new Start(request.toURI(), cookie);
  }

  /** What a login cookie held. */
  record Pending(String state, String nonce, String verifier, String next) {
    static Pending parse(String cookie) throws Failed {
      String[] parts = cookie == null ? new String[0] : cookie.split("\\.", -1);
      if (parts.length != 4) {
        throw new Failed("this sign-in was not started here, or took longer than ten minutes: sign in again");
      }
      try {
        return new Pending(parts[0], parts[1], parts[2], new String(Base64.getUrlDecoder().decode(parts[3]), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new Failed("this sign-in's cookie is damaged: sign in again");
      }
    }
  }

  /** Where the user was going when the login in {@code cookie} began ({@code /console} when the cookie is gone). */
  public static String next(String cookie) {
    try {
      return Pending.parse(cookie).next();
    } catch (Failed e) {
      return "/console";
    }
  }

  /**
   * Finishes a login: the provider's answer ({@code callback}, the full URL it sent the browser to)
   * must carry the state of {@code cookie}; its code is exchanged (with the PKCE verifier) for tokens
   * at the token endpoint; the ID token is validated. Answers the access token.
   */
  public String finish(URI callback, String cookie, String redirectUri) throws Failed {
    Pending pending = Pending.parse(cookie);
    AuthenticationResponse response;
    try {
      response = AuthenticationResponseParser.parse(callback);
    } catch (ParseException e) {
      throw new Failed("the identity provider's answer cannot be read: " + e.getMessage());
    }
    if (response.getState() == null || !response.getState().getValue().equals(pending.state())) {
      throw new Failed("the identity provider's answer is not for this sign-in (its state differs): sign in again");
    }
    if (!response.indicatesSuccess()) {
      ErrorObject error = ((AuthenticationErrorResponse) response).getErrorObject();
      throw new Failed("the identity provider refused: " + error.getCode()
          + (error.getDescription() == null ? "" : " (" + error.getDescription() + ")"));
    }
    AuthorizationCode code = response.toSuccessResponse().getAuthorizationCode();
    if (code == null) {
      throw new Failed("the identity provider's answer has no authorization code");
    }
    OIDCProviderMetadata op = metadata();
    AuthorizationCodeGrant grant = new AuthorizationCodeGrant(code, URI.create(redirectUri), new CodeVerifier(pending.verifier()));
    ClientID client = new ClientID(settings.clientId());
    TokenRequest request = settings.clientSecret().isBlank() ? new TokenRequest(op.getTokenEndpointURI(), client, grant)
        : new TokenRequest(op.getTokenEndpointURI(), new ClientSecretBasic(client, new Secret(settings.clientSecret())), grant);
    TokenResponse tokens;
    try {
      HTTPRequest http = request.toHTTPRequest();
      http.setConnectTimeout(TIMEOUT_MS);
      http.setReadTimeout(TIMEOUT_MS);
      tokens = OIDCTokenResponseParser.parse(http.send());
    } catch (IOException | ParseException e) {
      throw new Failed("the identity provider's token endpoint did not answer: " + e.getMessage());
    }
    if (!tokens.indicatesSuccess()) {
      ErrorObject error = ((TokenErrorResponse) tokens).getErrorObject();
      throw new Failed("the identity provider did not issue tokens: " + error.getCode()
          + (error.getDescription() == null ? "" : " (" + error.getDescription() + ")"));
    }
    OIDCTokenResponse ok = (OIDCTokenResponse) tokens.toSuccessResponse();
    JWT idToken = ok.getOIDCTokens().getIDToken();
    if (idToken == null) {
      throw new Failed("the identity provider issued no ID token (is 'openid' among api.console.oidc.scope?)");
    }
    try {
      idTokens(op).validate(idToken, new Nonce(pending.nonce()));
    } catch (BadJOSEException | JOSEException e) {
      throw new Failed("the ID token is not valid: " + e.getMessage());
    }
    return ok.getOIDCTokens().getAccessToken().getValue();
  }

  private OIDCProviderMetadata metadata() throws Failed {
    OIDCProviderMetadata m = metadata;
    if (m == null) {
      try {
        m = OIDCProviderMetadata.resolve(new Issuer(settings.issuer()), TIMEOUT_MS, TIMEOUT_MS);
      } catch (GeneralException | IOException e) {
        throw new Failed("the identity provider at " + settings.issuer() + " cannot be reached or described itself wrongly: "
            + e.getMessage());
      }
      metadata = m;
    }
    return m;
  }

  private IDTokenValidator idTokens(OIDCProviderMetadata op) throws Failed {
    IDTokenValidator v = idTokens;
    if (v == null) {
      List<JWSAlgorithm> algs = op.getIDTokenJWSAlgs() == null ? List.of() : op.getIDTokenJWSAlgs();
      JWSAlgorithm alg = algs.contains(JWSAlgorithm.RS256) || algs.isEmpty() ? JWSAlgorithm.RS256 : algs.get(0);
      if (op.getJWKSetURI() == null) {
        throw new Failed("the identity provider publishes no jwks_uri to check its ID tokens with");
      }
      try {
        v = new IDTokenValidator(op.getIssuer(), new ClientID(settings.clientId()), alg, op.getJWKSetURI().toURL());
      } catch (MalformedURLException | IllegalArgumentException e) {
        throw new Failed("the identity provider's jwks_uri is not a URL: " + e.getMessage());
      }
      idTokens = v;
    }
    return v;
  }
}
