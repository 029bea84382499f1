package io.invoicesync.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): a secret is {@code whsec_} and the
 * base64 of 24 random bytes; a delivery's {@code webhook-signature} is {@code v1,} and the base64
 * HMAC-SHA256 of {@code {webhook-id}.{webhook-timestamp}.{body}} under the secret's bytes, one per
 * secret that signs (during a rotation, the new and the previous), separated by spaces. A receiver
 * verifies with any Standard Webhooks library; the tests do it with the reference Java one.
 */
public final class Signatures {

  public static final String SECRET_PREFIX = "whsec_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Signatures() {
  }

  /** A new random secret. */
  public static String newSecret() {
    byte[] key = new byte[24];
    RANDOM.nextBytes(key);
    return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /**
   * Checks a secret an operator supplied: {@code whsec_} and base64 of 24 to 64 bytes.
   *
   * @throws IllegalArgumentException naming what is wrong (never the secret)
   */
  public static String checkSecret(String secret) {
    if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
      throw new IllegalArgumentException("a webhook secret starts with '" + SECRET_PREFIX + "' followed by base64");
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a webhook secret is '" + SECRET_PREFIX + "' followed by base64; this one's tail is not base64");
    }
    if (key.length < 24 || key.length > 64) {
      throw new IllegalArgumentException("a webhook secret holds 24 to 64 bytes; this one holds " + key.length);
    }
    return secret;
  }

  /** The {@code webhook-signature} header's value: one {@code v1,...} per secret, in the order given. */
  public static String header(List<String> secrets, String messageId, long timestampSeconds, String body) {
    return secrets.stream().map(s -> sign(s, messageId, timestampSeconds, body)).collect(Collectors.joining(" "));
  }

  /** One {@code v1,} signature of a delivery. */
  public static String sign(String secret, String messageId, long timestampSeconds, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length())), "HmacSHA256"));
      byte[] signature = mac.doFinal((messageId + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(signature);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
