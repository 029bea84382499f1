package io.invoicesync.schemas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;

/**
 * The keys of the keyed audit chain (format v3, {@link AuditChain}): sync-streams signs with an
 * HMAC-SHA256 secret or an Ed25519 private key (Bouncy Castle's: ~40 us a signature here, the JDK 17
 * provider's ~600 us) that Kafka never holds; {@code audit verify} checks
 * with the same secret or the Ed25519 public key. Every MAC names its algorithm
 * ({@code hmac-sha256:} or {@code ed25519:}) and is checked only with a key of that kind, so a
 * public key can never be used as an HMAC secret.
 */
public final class AuditKeys {

  /** Shorter HMAC secrets are refused: a guessable key is no key. */
  public static final int MIN_SECRET_BYTES = 16;
  static final String HMAC = "hmac-sha256:";
  static final String ED25519 = "ed25519:";

  private AuditKeys() {
  }

  /**
   * A key sync-streams signs with.
   *
   * @param id     the id written into every entry it signs ({@code keyId})
   * @param signer the MAC of some data, with its algorithm's prefix
   */
  public record SigningKey(String id, Function<byte[], String> signer) {

    /** The MAC of {@code data}, with its algorithm's prefix. */
    public String sign(byte[] data) {
      return signer.apply(data);
    }
  }

  /** The id a key file stands for when none is given: its name without the extension ({@code audit-k1.key} is {@code audit-k1}). */
  public static String defaultId(Path file) {
    String name = file.getFileName().toString();
    return name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
  }

  /** An HMAC-SHA256 signing key from the secret's bytes. */
  public static SigningKey hmac(String id, byte[] secret) {
    requireId(id);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the audit signing key has " + secret.length + " bytes; at least " + MIN_SECRET_BYTES
          + " are needed (openssl rand -out audit.key 32)");
    }
    byte[] copy = secret.clone();
    return new SigningKey(id, data -> HMAC + HexFormat.of().formatHex(hmacSha256(copy, data)));
  }

  /** An Ed25519 signing key from a PKCS#8 PEM ({@code openssl genpkey -algorithm ed25519 -out audit-private.pem}). */
  public static SigningKey ed25519(String id, String pem) {
    requireId(id);
    Ed25519PrivateKeyParameters key;
    try {
      if (!(PrivateKeyFactory.createKey(pem("PRIVATE KEY", pem)) instanceof Ed25519PrivateKeyParameters k)) {
        throw new IllegalArgumentException("another kind of key");
      }
      key = k;
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the audit signing private key is not an Ed25519 private key in PKCS#8 PEM "
          + "(openssl genpkey -algorithm ed25519): " + e.getMessage());
    }
    return new SigningKey(id, data -> {
      Ed25519Signer s = new Ed25519Signer();
      s.init(true, key);
      s.update(data, 0, data.length);
      return ED25519 + Base64.getEncoder().encodeToString(s.generateSignature());
    });
  }

  /** What a MAC check found. */
  public enum Check {
    /** The MAC is the key's over the data. */
    VALID,
    /** The key is known and the MAC is not its (forged, altered, or another algorithm than the key's). */
    INVALID,
    /** No key with the entry's id was given. */
    NO_KEY
  }

  /** The keys an auditor verifies with, by id. */
  public static final class Verifier {
    private final Map<String, Object> keys = new LinkedHashMap<>();

    /** No keys: every keyed entry is {@link Check#NO_KEY}. */
    public static Verifier none() {
      return new Verifier();
    }

    /**
     * Adds a key from a file: an Ed25519 public key in PEM ({@code BEGIN PUBLIC KEY}), or else the
     * file's bytes as the HMAC secret. A private key is refused: an auditor needs the public one.
     */
    public Verifier add(String id, Path file) throws IOException {
      requireId(id);
      byte[] bytes = Files.readAllBytes(file);
      String text = new String(bytes, StandardCharsets.US_ASCII);
      if (text.contains("-----BEGIN PUBLIC KEY-----")) {
        try {
          if (!(PublicKeyFactory.createKey(pem("PUBLIC KEY", text)) instanceof Ed25519PublicKeyParameters k)) {
            throw new IllegalArgumentException("another kind of key");
          }
          keys.put(id, k);
        } catch (IOException | RuntimeException e) {
          throw new IllegalArgumentException(file + " is not an Ed25519 public key in PEM: " + e.getMessage());
        }
      } else if (text.contains("PRIVATE KEY-----")) {
        throw new IllegalArgumentException(file + " holds a private key: verify with the public key "
            + "(openssl pkey -in " + file.getFileName() + " -pubout -out audit-public.pem)");
      } else if (bytes.length < MIN_SECRET_BYTES) {
        throw new IllegalArgumentException(file + " has " + bytes.length + " bytes: too short for an HMAC secret (at least "
            + MIN_SECRET_BYTES + ")");
      } else {
        keys.put(id, new SecretKeySpec(bytes, "HmacSHA256"));
      }
      return this;
    }

    public Set<String> ids() {
      return keys.keySet();
    }

    public boolean isEmpty() {
      return keys.isEmpty();
    }

    /** Whether {@code mac} is the MAC of {@code data} under the key {@code keyId}. */
    public Check check(String keyId, byte[] data, String mac) {
      Object key = keys.get(keyId);
      if (key == null) {
        return Check.NO_KEY;
      }
      if (mac == null) {
        return Check.INVALID;
      }
      if (key instanceof SecretKeySpec secret) {
        if (!mac.startsWith(HMAC)) {
          return Check.INVALID;
        }
        byte[] expected = hmacSha256(secret.getEncoded(), data);
        byte[] given;
        try {
          given = HexFormat.of().parseHex(mac.substring(HMAC.length()));
        } catch (IllegalArgumentException e) {
          return Check.INVALID;
        }
        return MessageDigest.isEqual(expected, given) ? Check.VALID : Check.INVALID;
      }
      if (!mac.startsWith(ED25519)) {
        return Check.INVALID;
      }
      try {
        Ed25519Signer s = new Ed25519Signer();
        s.init(false, (Ed25519PublicKeyParameters) key);
        s.update(data, 0, data.length);
        return s.verifySignature(Base64.getDecoder().decode(mac.substring(ED25519.length()))) ? Check.VALID : Check.INVALID;
      } catch (IllegalArgumentException e) {
        return Check.INVALID;
      }
    }
  }

  private static void requireId(String id) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("an audit key needs an id (audit.signing.key.id, or ID=FILE for --key)");
    }
  }

  private static byte[] pem(String type, String pem) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int a = pem.indexOf(begin);
    int b = pem.indexOf(end);
    if (a < 0 || b < a) {
      throw new IllegalArgumentException("no " + begin + " block");
    }
    return Base64.getMimeDecoder().decode(pem.substring(a + begin.length(), b));
  }

  private static byte[] hmacSha256(byte[] secret, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }
}
