package io.invoicesync.api.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The key sources and claim shapes of token validation, with real keys (no server but a JWKS endpoint). */
class JwtAuthenticatorTest {

  static final String ISS = "https://idp.example.com/";
  static final String AUD = "invoice-sync";

  static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, Object scope, List<String> taxIds) throws Exception {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("erp-1").issuer(ISS).audience(AUD)
        .expirationTime(Date.from(Instant.now().plusSeconds(60))).claim("scp", scope).claim("tax_ids", taxIds).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  static String pem(java.security.PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  @Test
  void rs256AndEs256TokensAreCheckedAgainstAConfiguredPemKeyAndAListOfScopesIsRead() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).generate();
    JwtAuthenticator byRsa = new JwtAuthenticator(null, pem(rsa.toPublicKey()), "", ISS, AUD, 60, "tax_ids", "scp", false);
    Caller caller = byRsa.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, null, List.of("invoices:read", "audit"),
        List.of("91440300A00000000A")));
    assertThat(caller.scopes()).containsExactlyInAnyOrder(Scope.INVOICES_READ, Scope.AUDIT);
    assertThat(caller.tenant().taxIds()).containsExactly("91440300A00000000A");
    assertThat(caller.tenant().all()).isFalse();

    ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
    JwtAuthenticator byEc = new JwtAuthenticator(null, pem(ec.toPublicKey()), "", ISS, AUD, 60, "tax_ids", "scp", false);
    assertThat(byEc.authenticate(sign(new ECDSASigner(ec), JWSAlgorithm.ES256, null, "invoices:trace invoices:all", List.of())).tenant().all())
        .isTrue();
    // an RSA-signed token does not pass the EC key
    assertThatThrownBy(() -> byEc.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, null, "audit", List.of("x"))))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void keysAreFetchedFromAJwksUrl() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    HttpServer idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] jwks = new JWKSet(rsa.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
    idp.createContext("/jwks.json", x -> {
      x.getResponseHeaders().add("Content-Type", "application/json");
      x.sendResponseHeaders(200, jwks.length);
      x.getResponseBody().write(jwks);
      x.close();
    });
    idp.start();
    try {
      JwtAuthenticator auth = new JwtAuthenticator(null, "", "http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks.json", ISS, AUD, 60,
          "tax_ids", "scp", false);
      Caller caller = auth.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "k1", "invoices:read operations",
          List.of("91440300A00000000A", "91110000B00000000B")));
      assertThat(caller.scopes()).containsExactlyInAnyOrder(Scope.INVOICES_READ, Scope.OPERATIONS);
      assertThat(caller.tenant().taxIds()).hasSize(2);
      RSAKey stranger = new RSAKeyGenerator(2048).keyID("k1").generate();
      assertThatThrownBy(() -> auth.authenticate(sign(new RSASSASigner(stranger), JWSAlgorithm.RS256, "k1", "audit", List.of("x"))))
          .isInstanceOf(AuthenticationException.class);
    } finally {
      idp.stop(0);
    }
  }

  @Test
  void aConfigurationThatCannotCheckTokensSafelyFailsNamingTheKey() {
    assertThatThrownBy(() -> new JwtAuthenticator(null, "", "", ISS, AUD, 60, "tax_ids", "scope", false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.secret").hasMessageContaining("api.auth.jwt.jwks.url");
    assertThatThrownBy(() -> new JwtAuthenticator("short", "", "", ISS, AUD, 60, "tax_ids", "scope", false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.secret").hasMessageContaining("32 bytes")
        .hasMessageNotContaining("short");
    assertThatThrownBy(() -> new JwtAuthenticator("0123456789abcdef0123456789abcdef", "", "", "", AUD, 60, "tax_ids", "scope", false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.issuer");
    assertThatThrownBy(() -> new JwtAuthenticator("0123456789abcdef0123456789abcdef", "", "", ISS, "", 60, "tax_ids", "scope", false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.audience");
    assertThatThrownBy(() -> new JwtAuthenticator(null, "/no/such/key.pem", "", ISS, AUD, 60, "tax_ids", "scope", false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.auth.jwt.public.key");
  }

  @Test
  void aConfiguredKeyAcceptsTheKidAnIdentityProviderSetsAndP384KeysSignEs384() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).generate();
    JwtAuthenticator byRsa = new JwtAuthenticator(null, pem(rsa.toPublicKey()), "", ISS, AUD, 60, "tax_ids", "scp", false);
    assertThat(byRsa.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "idp-key-7", "audit", List.of("a"))).subject())
        .isEqualTo("erp-1");
    ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
    JwtAuthenticator byEc = new JwtAuthenticator(null, pem(p384.toPublicKey()), "", ISS, AUD, 60, "tax_ids", "scp", false);
    assertThat(byEc.authenticate(sign(new ECDSASigner(p384), JWSAlgorithm.ES384, "k", "audit", List.of("a"))).scopes())
        .containsExactly(Scope.AUDIT);
  }

  @Test
  void tokensWithoutSubjectOrWithBlankTaxIdsAreRejected() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).generate();
    JwtAuthenticator auth = new JwtAuthenticator(null, pem(rsa.toPublicKey()), "", ISS, AUD, 60, "tax_ids", "scp", false);
    assertThatThrownBy(() -> auth.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, null, "audit", List.of(""))))
        .isInstanceOf(AuthenticationException.class).hasMessageContaining("tax_ids");
    JWTClaimsSet noSub = new JWTClaimsSet.Builder().issuer(ISS).audience(AUD).expirationTime(Date.from(Instant.now().plusSeconds(60)))
        .claim("tax_ids", List.of("a")).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), noSub);
    jwt.sign(new RSASSASigner(rsa));
    assertThatThrownBy(() -> auth.authenticate(jwt.serialize())).isInstanceOf(AuthenticationException.class).hasMessageContaining("sub");
  }

  @Test
  void keysFetchedOverPlainHttpAreRefusedExceptOnLoopbackAndAnUnreachableIdpIsNotTheTokensFault() throws Exception {
    assertThatThrownBy(() -> new JwtAuthenticator(null, "", "http://idp.example.com/jwks.json", ISS, AUD, 60, "tax_ids", "scp", false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("https");
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    JwtAuthenticator auth = new JwtAuthenticator(null, "", "http://127.0.0.1:" + closed + "/jwks.json", ISS, AUD, 60, "tax_ids", "scp", false);
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    assertThatThrownBy(() -> auth.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "k1", "audit", List.of("a"))))
        .isInstanceOf(JwtAuthenticator.KeysUnavailableException.class);
  }

  @Test
  void everyTaxpayerIsAScopeNotAWildcardATenantAdminCouldPutIntoTheTaxIds() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).generate();
    JwtAuthenticator strict = new JwtAuthenticator(null, pem(rsa.toPublicKey()), "", ISS, AUD, 60, "tax_ids", "scp", false);
    assertThatThrownBy(() -> strict.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, null, "invoices:read", List.of("*"))))
        .isInstanceOf(AuthenticationException.class).hasMessageContaining("'*'").hasMessageContaining("invoices:all")
        .hasMessageContaining("api.auth.jwt.tax.ids.wildcard");
    Caller all = strict.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, null, List.of("invoices:read", "invoices:all"),
        List.of("91440300A00000000A")));
    assertThat(all.tenant().all()).isTrue();
    assertThatThrownBy(() -> strict.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, null, "invoices:read", List.of())))
        .hasMessageContaining("at least one taxpayer id");

    JwtAuthenticator migrating = new JwtAuthenticator(null, pem(rsa.toPublicKey()), "", ISS, AUD, 60, "tax_ids", "scp", true);
    assertThat(migrating.authenticate(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, null, "invoices:read", List.of("*"))).tenant().all())
        .isTrue();
  }

  @Test
  void onlyLoopbackLiteralsMayServeTheKeysOverPlainHttp() {
    assertThat(JwtAuthenticator.isLoopbackLiteral("127.0.0.1")).isTrue();
    assertThat(JwtAuthenticator.isLoopbackLiteral("127.10.0.254")).isTrue();
    assertThat(JwtAuthenticator.isLoopbackLiteral("[::1]")).isTrue();
    assertThat(JwtAuthenticator.isLoopbackLiteral("localhost")).isTrue();
    assertThat(JwtAuthenticator.isLoopbackLiteral("127.evil.example")).isFalse();
    assertThat(JwtAuthenticator.isLoopbackLiteral("127.0.0.1.evil.example")).isFalse();
    assertThat(JwtAuthenticator.isLoopbackLiteral("127.0.0.300")).isFalse();
    assertThatThrownBy(() -> new JwtAuthenticator(null, "", "http://127.evil.example/jwks.json", ISS, AUD, 60, "tax_ids", "scp", false))
        .hasMessageContaining("must be https");
  }
}
