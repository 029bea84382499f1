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
 *
 * <p>Or asymmetric ({@code v1a}): the endpoint's secret is an Ed25519 signing key, {@code whsk_} and
 * the base64 of its 64 bytes (seed, then public key, as libsodium keeps it); the receiver holds only
 * the public key, {@code whpk_} and the base64 of its 32 bytes, which the API shows at any time; the
 * signature is {@code v1a,} and the base64 Ed25519 signature of the same content. Signed with Bouncy
 * Castle (~30 µs; the JDK's own Ed25519 takes ~0.6 ms here); the tests verify with the JDK's.
 */
public final class Signatures {

  public static final String SECRET_PREFIX = "whsec_";
  /** An Ed25519 signing key's prefix ({@code v1a}). */
  public static final String SIGNING_KEY_PREFIX = "whsk_";
  /** An Ed25519 public key's prefix: what a {@code v1a} receiver verifies with. */
  public static final String PUBLIC_KEY_PREFIX = "whpk_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Signatures() {
  }

  /** A new random secret. */
  public static String newSecret() {
    byte[] key = new byte[24];
    RANDOM.nextBytes(key);
    return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** A new Ed25519 signing key ({@code v1a}). */
  public static String newSigningKey() {
    org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters key = new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(RANDOM);
    byte[] both = new byte[64];
    System.arraycopy(key.getEncoded(), 0, both, 0, 32);
    System.arraycopy(key.generatePublicKey().getEncoded(), 0, both, 32, 32);
    return SIGNING_KEY_PREFIX + Base64.getEncoder().encodeToString(both);
  }

  /** A new secret of the same kind as {@code current} (a rotation keeps the scheme the receiver verifies). */
  public static String newSecretLike(String current) {
    return current != null && current.startsWith(SIGNING_KEY_PREFIX) ? newSigningKey() : newSecret();
  }

  /** {@code v1a} for an Ed25519 signing key, {@code v1} for a shared secret. */
  public static String scheme(String secret) {
    return secret != null && secret.startsWith(SIGNING_KEY_PREFIX) ? "v1a" : "v1";
  }

  /** The public key ({@code whpk_...}) of an Ed25519 signing key; null for a shared secret. */
  public static String publicKey(String secret) {
    if (secret == null || !secret.startsWith(SIGNING_KEY_PREFIX)) {
      return null;
    }
    return PUBLIC_KEY_PREFIX + Base64.getEncoder().encodeToString(signingKey(secret).generatePublicKey().getEncoded());
  }

  private static org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters signingKey(String secret) {
    byte[] raw = Base64.getDecoder().decode(secret.substring(SIGNING_KEY_PREFIX.length()));
    return new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(raw, 0); // the seed: the first 32 bytes
  }

  /**
   * Checks a secret an operator supplied: {@code whsec_} and base64 of 24 to 64 bytes, or an Ed25519 signing key {@code whsk_}
   * and base64 of 64 bytes (seed and public key) or 32 (the seed).
   *
   * @throws IllegalArgumentException naming what is wrong (never the secret)
   */
  public static String checkSecret(String secret) {
    if (secret != null && secret.startsWith(SIGNING_KEY_PREFIX)) {
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(secret.substring(SIGNING_KEY_PREFIX.length()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("an Ed25519 signing key is '" + SIGNING_KEY_PREFIX + "' followed by base64; this one's tail is "
            + "not base64");
      }
      if (raw.length != 64 && raw.length != 32) {
        throw new IllegalArgumentException("an Ed25519 signing key holds 64 bytes (seed and public key) or 32 (the seed); this one holds "
            + raw.length);
      }
      if (raw.length == 64 && !java.util.Arrays.equals(signingKey(secret).generatePublicKey().getEncoded(),
          java.util.Arrays.copyOfRange(raw, 32, 64))) {
        throw new IllegalArgumentException("this Ed25519 signing key's last 32 bytes are not the public key of its first 32");
      }
      return secret;
    }
    if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
      throw new IllegalArgumentException("a webhook secret starts with '" + SECRET_PREFIX + "' (HMAC, v1) or '" + SIGNING_KEY_PREFIX
          + "' (Ed25519, v1a) followed by base64");
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

  /** One signature of a delivery: {@code v1,} (HMAC-SHA256) or, with an Ed25519 signing key, {@code v1a,}. */
  public static String sign(String secret, String messageId, long timestampSeconds, String body) {
    byte[] content = (messageId + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8);
    if (secret.startsWith(SIGNING_KEY_PREFIX)) {
      org.bouncycastle.crypto.signers.Ed25519Signer signer = new org.bouncycastle.crypto.signers.Ed25519Signer();
      signer.init(true, signingKey(secret));
      signer.update(content, 0, content.length);
      return "v1a," + Base64.getEncoder().encodeToString(signer.generateSignature());
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length())), "HmacSHA256"));
      byte[] signature = mac.doFinal(content);
      return "v1," + Base64.getEncoder().encodeToString(signature);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
