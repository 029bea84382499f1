package io.invoicesync.api.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.invoicesync.outcomes.Tenant;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.config.ConfigException;

/**
 * Validates OAuth2 bearer tokens (JWT) with Nimbus JOSE+JWT: the signature against an HS256 secret,
 * a configured RSA/EC public key, or the keys of a JWKS URL (fetched, cached and refreshed by
 * Nimbus); then issuer, audience, expiry and not-before with the configured clock skew. The
 * token's scopes become {@link Scope}s, its tax ids the {@link Tenant}.
 */
public final class JwtAuthenticator {

  /** A tax id in the tenant claim that grants every taxpayer (an operator's or auditor's token). */
  /** The scope that grants every taxpayer (operators, auditors): a grant of its own, not a value of the tax-ids claim. */
  public static final String ALL_TAXPAYERS_SCOPE = "invoices:all";
  /** The old way to grant every taxpayer, accepted only with {@code api.auth.jwt.tax.ids.wildcard=true}. */
  public static final String LEGACY_WILDCARD = "*";

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final String taxIdsClaim;
  private final String scopeClaim;
  private final boolean legacyWildcard;

  /**
   * Refuses settings it cannot check tokens safely with, each error naming the key as {@code run}'s
   * configuration writes it: {@code QueryApiConfig} builds the validator when it is constructed, so
   * these are the configuration's checks of the JWT settings, made once.
   *
   * @param secret an HS256 key (at least 32 bytes), or null
   * @param publicKey a PEM public key (RSA or EC) or the path of a file holding one, or blank
   * @param jwksUrl the issuer's JWKS URL, or blank
   */
  public JwtAuthenticator(String secret, String publicKey, String jwksUrl, String issuer, String audience, int clockSkewSeconds,
      String taxIdsClaim, String scopeClaim, boolean legacyWildcard) {
    int sources = (secret == null || secret.isEmpty() ? 0 : 1) + (publicKey.isBlank() ? 0 : 1) + (jwksUrl.isBlank() ? 0 : 1);
    if (sources != 1) {
      throw new ConfigException("api.auth.mode", "jwt", "needs exactly one key to check signatures with: api.auth.jwt.secret (HS256), "
          + "api.auth.jwt.public.key (RS256/ES256, PEM) or api.auth.jwt.jwks.url; " + sources + " are set");
    }
    if (issuer.isBlank()) {
      throw new ConfigException("api.auth.jwt.issuer", "", "api.auth.mode=jwt needs the issuer tokens must come from (the 'iss' claim)");
    }
    if (audience.isBlank()) {
      throw new ConfigException("api.auth.jwt.audience", "", "api.auth.mode=jwt needs the audience tokens must be issued for (the 'aud' claim)");
    }
    this.taxIdsClaim = taxIdsClaim;
    this.scopeClaim = scopeClaim;
    this.legacyWildcard = legacyWildcard;
    if (secret != null && !secret.isEmpty()) {
      byte[] key = secret.getBytes(StandardCharsets.UTF_8);
      if (key.length < 32) {
        throw new ConfigException("api.auth.jwt.secret", "[hidden]", "an HS256 key must be at least 32 bytes (256 bits); it has " + key.length);
      }
      processor.setJWSKeySelector(singleKey(JWSAlgorithm.HS256, new SecretKeySpec(key, "HmacSHA256")));
    } else if (!publicKey.isBlank()) {
      JWK jwk = parsePublicKey(publicKey);
      try {
        processor.setJWSKeySelector(jwk instanceof RSAKey rsa ? singleKey(JWSAlgorithm.RS256, rsa.toPublicKey())
            : singleKey(esAlgorithm(((ECKey) jwk).getCurve()), ((ECKey) jwk).toPublicKey()));
      } catch (JOSEException e) {
        throw new ConfigException("api.auth.jwt.public.key", "[PEM]", "cannot be used: " + e.getMessage());
      }
    } else {
      JWKSource<SecurityContext> keys;
      try {
        URI uri = URI.create(jwksUrl);
        String host = uri.getHost() == null ? "" : uri.getHost();
        boolean loopback = isLoopbackLiteral(host);
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !loopback) {
          throw new ConfigException("api.auth.jwt.jwks.url", jwksUrl, "must be https: whoever can answer a plain-http fetch of the keys "
              + "could sign any token (http is accepted only on a loopback address)");
        }
        keys = JWKSourceBuilder.create(uri.toURL()).retrying(true).build();
      } catch (MalformedURLException | IllegalArgumentException e) {
        throw new ConfigException("api.auth.jwt.jwks.url", jwksUrl, "is not a URL: " + e.getMessage());
      }
      processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
          JWSAlgorithm.PS256, JWSAlgorithm.ES256, JWSAlgorithm.ES384), keys));
    }
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp"));
    claims.setMaxClockSkew(clockSkewSeconds);
    processor.setJWTClaimsSetVerifier(claims);
  }

  /**
   * Whether {@code host} is a loopback address written as an IP literal ({@code 127.x.y.z},
   * {@code [::1]}) or {@code localhost}: a name such as {@code 127.evil.example} resolves wherever
   * its owner points it, so it is not loopback.
   */
  public static boolean isLoopbackLiteral(String host) {
    if (host.equals("localhost") || host.equals("[::1]") || host.equals("::1")) {
      return true;
    }
    String[] octets = host.split("\\.", -1);
    if (octets.length != 4 || !octets[0].equals("127")) {
      return false;
    }
    for (String o : octets) {
      if (!o.matches("\\d{1,3}") || Integer.parseInt(o) > 255) {
        return false;
      }
    }
    return true;
  }

  /** The caller a {@code Bearer} token stands for. */
  public Caller authenticate(String token) throws AuthenticationException {
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (ParseException e) {
      throw new AuthenticationException("the bearer token is not a JWT");
    } catch (BadJOSEException e) {
      throw new AuthenticationException("the bearer token was rejected: " + e.getMessage());
    } catch (KeySourceException e) {
      throw new KeysUnavailableException(e); // the identity provider's keys cannot be fetched: not the token's fault
    } catch (JOSEException e) {
      throw new AuthenticationException("the bearer token could not be verified");
    }
    Object raw = claims.getClaim(scopeClaim);
    List<String> granted = raw instanceof String s ? List.of(s.trim().split("\\s+")) : strings(raw, scopeClaim);
    Set<String> taxIds = new HashSet<>(strings(claims.getClaim(taxIdsClaim), taxIdsClaim));
    if (taxIds.stream().anyMatch(String::isBlank)) {
      throw new AuthenticationException("the token's '" + taxIdsClaim + "' claim lists a blank taxpayer id");
    }
    if (taxIds.contains(LEGACY_WILDCARD) && !legacyWildcard) {
      // a tenant admin who may set tax ids in the identity provider must not be able to grant every taxpayer
      throw new AuthenticationException("'" + LEGACY_WILDCARD + "' in the token's '" + taxIdsClaim + "' claim does not grant every "
          + "taxpayer: that is the scope '" + ALL_TAXPAYERS_SCOPE + "' (api.auth.jwt.tax.ids.wildcard=true accepts '*' while tokens migrate)");
    }
    boolean all = granted.contains(ALL_TAXPAYERS_SCOPE) || taxIds.contains(LEGACY_WILDCARD);
    if (!all && taxIds.isEmpty()) {
      throw new AuthenticationException("the token's '" + taxIdsClaim + "' claim must list at least one taxpayer id (or the token "
          + "have the scope '" + ALL_TAXPAYERS_SCOPE + "')");
    }
    Tenant tenant = all ? Tenant.ALL : Tenant.of(taxIds);
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (Scope scope : Scope.values()) {
      if (scope != Scope.PUBLIC && granted.contains(scope.value())) {
        scopes.add(scope);
      }
    }
    if (claims.getSubject() == null || claims.getSubject().isBlank()) {
      throw new AuthenticationException("the token has no 'sub' claim");
    }
    // the rate limit's key: the subject, per client where the token names one (one service account, several ERPs)
    Object client = claims.getClaim("azp") != null ? claims.getClaim("azp") : claims.getClaim("client_id");
    Object name = claims.getClaim("preferred_username") != null ? claims.getClaim("preferred_username") : claims.getClaim("name");
    return new Caller(claims.getSubject() + (client == null ? "" : "@" + client), scopes, tenant, name instanceof String n ? n : null);
  }

  /** The JWKS of the identity provider could not be fetched: the API answers 503, and the token may well be good. */
  public static final class KeysUnavailableException extends RuntimeException {
    KeysUnavailableException(Throwable cause) {
      super("the identity provider's keys (api.auth.jwt.jwks.url) cannot be fetched", cause);
    }
  }

  /**
   * One configured key for one algorithm, whatever the token's {@code kid} says (identity providers
   * set one; a configured key has none to match). Any other algorithm finds no key.
   */
  private static JWSKeySelector<SecurityContext> singleKey(JWSAlgorithm alg, Key key) {
    return (header, context) -> alg.equals(header.getAlgorithm()) ? List.of(key) : List.of();
  }

  private static JWSAlgorithm esAlgorithm(Curve curve) {
    if (Curve.P_256.equals(curve)) {
      return JWSAlgorithm.ES256;
    }
    if (Curve.P_384.equals(curve)) {
      return JWSAlgorithm.ES384;
    }
    if (Curve.P_521.equals(curve)) {
      return JWSAlgorithm.ES512;
    }
    throw new ConfigException("api.auth.jwt.public.key", "[PEM]", "is an EC key on curve " + curve + "; P-256, P-384 or P-521 are supported");
  }

  private static List<String> strings(Object claim, String name) throws AuthenticationException {
    if (claim == null) {
      return List.of();
    }
    if (claim instanceof String s) {
      return List.of(s);
    }
    if (claim instanceof Collection<?> c && c.stream().allMatch(String.class::isInstance)) {
      return c.stream().map(String.class::cast).toList();
    }
    throw new AuthenticationException("the token's '" + name + "' claim must be a string or a list of strings");
  }

  /** A PEM "PUBLIC KEY" (X.509 SubjectPublicKeyInfo), RSA or EC, given inline or as a file path. */
  static JWK parsePublicKey(String value) {
    String pem = value.strip();
    if (!pem.startsWith("-----BEGIN")) {
      try {
        pem = Files.readString(Path.of(pem));
      } catch (IOException | InvalidPathException e) {
        throw new ConfigException("api.auth.jwt.public.key", value.length() > 80 ? value.substring(0, 80) + "..." : value,
            "is neither a PEM public key nor a readable file: " + e.getMessage());
      }
    }
    String body = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("api.auth.jwt.public.key", "[PEM]", "is not a PEM 'PUBLIC KEY' block: " + e.getMessage());
    }
    for (String algorithm : List.of("RSA", "EC")) {
      try {
        PublicKey key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
        if (key instanceof RSAPublicKey rsa) {
          return new RSAKey.Builder(rsa).build();
        }
        if (key instanceof ECPublicKey ec) {
          return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
        }
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new ConfigException("api.auth.jwt.public.key", "[PEM]", "is neither an RSA nor an EC public key");
  }
}
