package io.invoicesync.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The hash formula of the per-invoice audit chain on {@code invoices.audit}, part of the contract
 * so auditors' tools and {@code invoice-sync audit verify} recompute exactly what sync-streams
 * wrote. Documented, for any tool, in sync-streams/README.md ("Audit chain"):
 *
 * <pre>
 * v1 = prevHash|invoiceId|event|version|lsn|digest|detail|recordedAt
 * v2 = v1 + "|" + stage|capturedAt|decidedAt|invoiceCode|invoiceNumber|sellerTaxId      (entries with a stage)
 * hash = lowercase hex SHA-256 of the UTF-8 bytes
 * </pre>
 * Absent values are the string {@code null}; times are epoch milliseconds. Entries written before
 * AuditEntry v2 have no stage and keep the v1 formula, so old chains still verify.
 */
public final class AuditChain {

  private AuditChain() {
  }

  /** The hash {@code e} must carry, given its {@code prevHash} and content. */
  public static String hash(AuditEntry e) {
    StringBuilder content = new StringBuilder(256);
    content.append(e.getPrevHash()).append('|').append(e.getInvoiceId()).append('|').append(e.getEvent()).append('|')
        .append(e.getVersion()).append('|').append(e.getSource().getLsn()).append('|').append(e.getDigest()).append('|')
        .append(e.getDetail()).append('|').append(e.getRecordedAt().toEpochMilli());
    if (e.getStage() != null) {
      content.append('|').append(e.getStage()).append('|').append(millis(e.getCapturedAt())).append('|').append(millis(e.getDecidedAt()))
          .append('|').append(e.getInvoiceCode()).append('|').append(e.getInvoiceNumber()).append('|').append(e.getSellerTaxId());
    }
    return sha256(content.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Sets {@code e}'s hash from its content and returns it. */
  public static AuditEntry seal(AuditEntry e) {
    e.setHash(hash(e));
    return e;
  }

  private static String millis(Instant t) {
    return t == null ? "null" : Long.toString(t.toEpochMilli());
  }

  /** Lowercase hex SHA-256. */
  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
