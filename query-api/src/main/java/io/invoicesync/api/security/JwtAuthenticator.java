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
  public static final String ALL_TAXPAYERS = "*";

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final String taxIdsClaim;
  private final String scopeClaim;

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
      String taxIdsClaim, String scopeClaim) {
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
        boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
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
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp", taxIdsClaim));
    claims.setMaxClockSkew(clockSkewSeconds);
    processor.setJWTClaimsSetVerifier(claims);
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
    Set<String> taxIds = new HashSet<>(strings(claims.getClaim(taxIdsClaim), taxIdsClaim));
    if (taxIds.isEmpty() || taxIds.stream().anyMatch(String::isBlank)) {
      throw new AuthenticationException("the token's '" + taxIdsClaim + "' claim must list at least one taxpayer id, none blank");
    }
    Tenant tenant = taxIds.contains(ALL_TAXPAYERS) ? Tenant.ALL : Tenant.of(taxIds);
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    Object raw = claims.getClaim(scopeClaim);
    List<String> granted = raw instanceof String s ? List.of(s.trim().split("\\s+")) : strings(raw, scopeClaim);
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
    return new Caller(claims.getSubject() + (client == null ? "" : "@" + client), scopes, tenant);
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
