package io.invoicesync.streams.internal;

import io.invoicesync.schemas.InvoiceState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary form of a {@link StoreEntry}: version byte, lastLsn, audit head, then the state in the
 * contract's own wire format (so its schema id travels with it and evolves with the catalog).
 */
public final class StoreEntrySerde {

  private static final byte FORMAT_V1 = 1;

  private StoreEntrySerde() {
  }

  public static Serde<StoreEntry> create(Serde<InvoiceState> stateSerde) {
    Serializer<StoreEntry> ser = (topic, e) -> {
      if (e == null) {
        return null;
      }
      try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(); DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeByte(FORMAT_V1);
        out.writeLong(e.lastLsn());
        byte[] head = e.auditHead() == null ? new byte[0] : e.auditHead().getBytes(StandardCharsets.US_ASCII);
        out.writeShort(e.auditHead() == null ? -1 : head.length);
        out.write(head);
        if (e.state() != null) {
          out.write(stateSerde.serializer().serialize(topic, e.state()));
        }
        out.flush();
        return bytes.toByteArray();
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    };
    Deserializer<StoreEntry> de = (topic, data) -> {
      if (data == null) {
        return null;
      }
      ByteBuffer buf = ByteBuffer.wrap(data);
      byte format = buf.get();
      if (format != FORMAT_V1) {
        throw new IllegalStateException("unknown state store entry format " + format);
      }
      long lsn = buf.getLong();
      short headLen = buf.getShort();
      String head = null;
      if (headLen >= 0) {
        byte[] h = new byte[headLen];
        buf.get(h);
        head = new String(h, StandardCharsets.US_ASCII);
      }
      InvoiceState state = null;
      if (buf.hasRemaining()) {
        byte[] rest = new byte[buf.remaining()];
        buf.get(rest);
        state = stateSerde.deserializer().deserialize(topic, rest);
      }
      return new StoreEntry(state, lsn, head);
    };
    return Serdes.serdeFrom(ser, de);
  }
}
