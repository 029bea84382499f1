package io.invoicesync.streams.internal;

import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.Invoice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/** Content digests of invoices and the hash chain of audit entries. */
public final class Digests {

  private static final SpecificDatumWriter<Invoice> WRITER = new SpecificDatumWriter<>(Invoice.class);

  private Digests() {
  }

  /** SHA-256 of the invoice's Avro binary encoding, which is canonical for a given schema. */
  public static String invoiceDigest(Invoice invoice) {
    try (ByteArrayOutputStream out = new ByteArrayOutputStream(512)) {
      BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
      WRITER.write(invoice, enc);
      enc.flush();
      return sha256(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Hash of an audit entry: over its predecessor's hash and everything it states. */
  public static String auditHash(AuditEntry e) {
    String content = String.join("|", String.valueOf(e.getPrevHash()), e.getInvoiceId(), e.getEvent(), String.valueOf(e.getVersion()),
        Long.toString(e.getSource().getLsn()), e.getDigest(), String.valueOf(e.getDetail()), Long.toString(e.getRecordedAt().toEpochMilli()));
    return sha256(content.getBytes(StandardCharsets.UTF_8));
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
