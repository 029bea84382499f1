package io.invoicesync.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;

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

  /**
   * The Merkle root of an {@link AuditCheckpoint}: leaves {@code SHA-256(invoiceId + "|" + headHash)}
   * in the order of the invoice ids' UTF-8 bytes (unsigned); each level hashes the concatenated hex
   * of neighbouring pairs, {@code SHA-256(left + right)}, an odd last node moving up unchanged; the
   * root of no chains is {@code SHA-256("")}.
   *
   * @param heads invoice id to the hash of its newest audit entry
   */
  public static String merkleRoot(Map<String, String> heads) {
    List<byte[]> ids = new ArrayList<>();
    Map<byte[], String> byBytes = new IdentityHashMap<>();
    for (Map.Entry<String, String> e : heads.entrySet()) {
      byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
      ids.add(b);
      byBytes.put(b, e.getKey());
    }
    ids.sort(Arrays::compareUnsigned);
    List<String> level = new ArrayList<>(ids.size());
    for (byte[] id : ids) {
      String invoiceId = byBytes.get(id);
      level.add(sha256((invoiceId + "|" + heads.get(invoiceId)).getBytes(StandardCharsets.UTF_8)));
    }
    if (level.isEmpty()) {
      return sha256(new byte[0]);
    }
    while (level.size() > 1) {
      List<String> up = new ArrayList<>((level.size() + 1) / 2);
      for (int i = 0; i < level.size(); i += 2) {
        up.add(i + 1 < level.size() ? sha256((level.get(i) + level.get(i + 1)).getBytes(StandardCharsets.UTF_8)) : level.get(i));
      }
      level = up;
    }
    return level.get(0);
  }

  /** The input partition of an invoice id: Kafka's default partitioner for a String key. */
  public static int partitionOf(String invoiceId, int partitions) {
    return Utils.toPositive(Utils.murmur2(invoiceId.getBytes(StandardCharsets.UTF_8)))
        % partitions;
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
