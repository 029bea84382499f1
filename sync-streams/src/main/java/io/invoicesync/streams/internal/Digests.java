package io.invoicesync.streams.internal;

import io.invoicesync.schemas.AuditChain;
import io.invoicesync.schemas.Invoice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/** Content digests of invoices (the audit chain's hash is {@link AuditChain}, part of the contract). */
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

  private static String sha256(byte[] data) {
    return AuditChain.sha256(data);
  }
}
