package io.invoicesync.testkit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A receiver's check of a Standard Webhooks {@code v1a} (Ed25519) signature, with the JDK's own
 * Ed25519 — not the Bouncy Castle code that signs — and the public key alone ({@code whpk_} and the
 * base64 of its 32 bytes), as docs/erp.md shows an ERP doing it.
 */
public final class StandardWebhooksV1a {

  /** The X.509 SubjectPublicKeyInfo prefix of an Ed25519 key: the raw 32 bytes follow it. */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private StandardWebhooksV1a() {
  }

  /** Whether one of the {@code v1a,} signatures in the {@code webhook-signature} header verifies {@code id.ts.body}. */
  public static boolean verifies(String publicKey, String id, String ts, String body, String header) throws GeneralSecurityException {
    byte[] raw = Base64.getDecoder().decode(publicKey.substring("whpk_".length()));
    byte[] spki = new byte[SPKI_PREFIX.length + raw.length];
    System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
    System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, raw.length);
    PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    for (String part : header.split(" ")) {
      if (part.startsWith("v1a,")) {
        Signature v = Signature.getInstance("Ed25519"); // one per candidate: verify() consumes what update() gave it
        v.initVerify(key);
        v.update((id + "." + ts + "." + body).getBytes(StandardCharsets.UTF_8));
        if (v.verify(Base64.getDecoder().decode(part.substring(4)))) {
          return true;
        }
      }
    }
    return false;
  }
}
