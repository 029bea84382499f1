package io.invoicesync.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** HS256 tokens as the tests' identity provider issues them (issuer https://idp.example.com/, audience invoice-sync, 10 minutes). */
final class TestTokens {

  static final String ISSUER = "https://idp.example.com/";
  static final String AUDIENCE = "invoice-sync";
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestTokens() {
  }

  /** The API settings that accept these tokens signed with {@code key}. */
  static Map<String, String> apiSettings(String key) {
    return Map.of("api.auth.mode", "jwt", "api.auth.jwt.secret", key, "api.auth.jwt.issuer", ISSUER, "api.auth.jwt.audience", AUDIENCE);
  }

  /** A token for {@code taxIds} (none: no tax_ids claim) with the space-separated {@code scope}, subject {@code subject}. */
  static String hs256(String key, String subject, List<String> taxIds, String scope) throws Exception {
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    Map<String, Object> claims = new LinkedHashMap<>(Map.of("iss", ISSUER, "aud", AUDIENCE, "sub", subject,
        "exp", Instant.now().getEpochSecond() + 600, "scope", scope));
    if (!taxIds.isEmpty()) {
      claims.put("tax_ids", taxIds);
    }
    String body = b64.encodeToString(JSON.writeValueAsBytes(claims));
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return header + "." + body + "." + b64.encodeToString(mac.doFinal((header + "." + body).getBytes(StandardCharsets.UTF_8)));
  }
}
