package io.invoicesync.schemas;

import java.io.ByteArrayOutputStream;
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
 *
 * <p>Format v3 (keyed: the entry names the key that signed it, {@code keyId}) hashes and signs a
 * canonical, length-prefixed encoding of every field ({@link #canonical(AuditEntry)}), so no text can
 * move between fields and the source position (epoch, txId, commitTs, snapshot) is covered:
 * <pre>
 * canonical = for each of: "invoice-sync/audit-entry/v3", keyId, prevHash, invoiceId, event, version,
 *             source.lsn, source.txId, source.commitTs, source.snapshot, source.epoch, digest, detail,
 *             recordedAt, stage, capturedAt, decidedAt, invoiceCode, invoiceNumber, sellerTaxId, and source.name when the
 *             source has a name (several issuing sources), followed by source.file.file, .sha256, .sheet, .row and .path
 *             when the invoice was imported from a file: 4-byte big-endian length + its UTF-8 bytes, or FF FF FF FF when absent
 * hash      = lowercase hex SHA-256(canonical)
 * mac       = "hmac-sha256:" + lowercase hex HMAC-SHA256(key, canonical) | "ed25519:" + base64 Ed25519 signature of canonical
 * </pre>
 * Numbers are decimal text, times epoch milliseconds, booleans {@code true}/{@code false}. A
 * checkpoint is signed likewise over "invoice-sync/audit-checkpoint/v3", keyId, partition,
 * partitions, checkpointAt, chains, root. docs/auditor.md has a recipe that recomputes both with
 * Python's standard library and openssl.
 */
public final class AuditChain {

  private AuditChain() {
  }

  /** The entry's format: 3 when keyed, 2 with a stage, else 1. */
  public static int format(AuditEntry e) {
    return e.getKeyId() != null ? 3 : e.getStage() != null ? 2 : 1;
  }

  /** The hash {@code e} must carry, given its {@code prevHash} and content. */
  public static String hash(AuditEntry e) {
    if (e.getKeyId() != null) {
      return sha256(canonical(e));
    }
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

  /** Sets {@code e}'s hash from its content and returns it (unkeyed: format v1 or v2). */
  public static AuditEntry seal(AuditEntry e) {
    e.setHash(hash(e));
    return e;
  }

  /** Format v3: names {@code key}, sets the hash and the MAC over the canonical encoding, and returns {@code e}. */
  public static AuditEntry seal(AuditEntry e, AuditKeys.SigningKey key) {
    e.setKeyId(key.id());
    byte[] canonical = canonical(e);
    e.setHash(sha256(canonical));
    e.setMac(key.sign(canonical));
    return e;
  }

  /** Names {@code key} in the checkpoint and signs its canonical encoding; returns {@code cp}. */
  public static AuditCheckpoint sign(AuditCheckpoint cp, AuditKeys.SigningKey key) {
    cp.setKeyId(key.id());
    cp.setMac(key.sign(canonical(cp)));
    return cp;
  }

  /** The bytes a v3 entry's hash and MAC cover (class comment). */
  public static byte[] canonical(AuditEntry e) {
    SourcePosition s = e.getSource();
    byte[] v3 = Canonical.of("invoice-sync/audit-entry/v3", e.getKeyId(), e.getPrevHash(), e.getInvoiceId(), e.getEvent(), e.getVersion(),
        s.getLsn(), s.getTxId(), epoch(s.getCommitTs()), s.getSnapshot(), s.getEpoch(), e.getDigest(), e.getDetail(),
        epoch(e.getRecordedAt()), e.getStage(), epoch(e.getCapturedAt()), epoch(e.getDecidedAt()), e.getInvoiceCode(),
        e.getInvoiceNumber(), e.getSellerTaxId());
    if (s.getName() == null || s.getName().isEmpty()) {
      return v3; // the single, unnamed source: the encoding as before sources had names, so earlier entries still verify
    }
    FilePosition f = s.getFile();
    // an imported invoice's file, its content hash and the sheet and row or XML path it was read from are covered too
    byte[] name = f == null ? Canonical.of(s.getName())
        : Canonical.of(s.getName(), f.getFile(), f.getSha256(), f.getSheet(), f.getRow(), f.getPath());
    byte[] out = java.util.Arrays.copyOf(v3, v3.length + name.length);
    System.arraycopy(name, 0, out, v3.length, name.length);
    return out;
  }

  /** The bytes a checkpoint's MAC covers. */
  public static byte[] canonical(AuditCheckpoint cp) {
    return Canonical.of("invoice-sync/audit-checkpoint/v3", cp.getKeyId(), cp.getPartition(), cp.getPartitions(),
        epoch(cp.getCheckpointAt()), cp.getChains(), cp.getRoot());
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

  private static Long epoch(Instant t) {
    return t == null ? null : t.toEpochMilli();
  }

  /** Length-prefixed fields: 4-byte big-endian length and UTF-8 bytes each, FF FF FF FF for an absent one. */
  private static final class Canonical {
    static byte[] of(Object... fields) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(512);
      for (Object f : fields) {
        if (f == null) {
          out.writeBytes(new byte[] {-1, -1, -1, -1});
          continue;
        }
        byte[] b = f.toString().getBytes(StandardCharsets.UTF_8);
        out.writeBytes(new byte[] {(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8), (byte) b.length});
        out.writeBytes(b);
      }
      return out.toByteArray();
    }
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
