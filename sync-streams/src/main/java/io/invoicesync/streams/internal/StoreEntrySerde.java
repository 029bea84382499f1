package io.invoicesync.streams.internal;

import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary form of a {@link StoreEntry}: format byte, last LSN, its epoch (format 2), its source and the other sources'
 * positions (format 3), audit head, parked changes, then the
 * state. Records are written in the contract's own wire format, so their schema ids travel with
 * them and evolve with the catalog.
 */
public final class StoreEntrySerde {

  private static final byte FORMAT_V1 = 1;
  /** Adds the epoch of the last position after its LSN; format 1 entries (written before) read as epoch 0. */
  private static final byte FORMAT_V2 = 2;
  /**
   * Adds, after the epoch, the last position's source name and the newest position of each other source (several
   * issuing sources); entries of formats 1 and 2 read as the single, unnamed source's.
   */
  private static final byte FORMAT_V3 = 3;

  private StoreEntrySerde() {
  }

  public static Serde<StoreEntry> create(Serde<InvoiceState> stateSerde, Serde<InvoiceChange> changeSerde) {
    Serializer<StoreEntry> ser = (topic, e) -> {
      if (e == null) {
        return null;
      }
      try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(); DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeByte(FORMAT_V3);
        out.writeLong(e.last().lsn());
        out.writeLong(e.last().epoch());
        writeName(out, e.last().source());
        out.writeShort(e.others().size());
        for (StoreEntry.Position p : e.others().values()) {
          writeName(out, p.source());
          out.writeLong(p.epoch());
          out.writeLong(p.lsn());
        }
        byte[] head = e.auditHead() == null ? new byte[0] : e.auditHead().getBytes(StandardCharsets.US_ASCII);
        out.writeShort(e.auditHead() == null ? -1 : head.length);
        out.write(head);
        out.writeInt(e.parked().size());
        for (InvoiceChange c : e.parked()) {
          byte[] b = changeSerde.serializer().serialize(topic, c);
          out.writeInt(b.length);
          out.write(b);
        }
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
      if (format != FORMAT_V1 && format != FORMAT_V2 && format != FORMAT_V3) {
        throw new IllegalStateException("unknown state store entry format " + format);
      }
      long lsn = buf.getLong();
      long epoch = format >= FORMAT_V2 ? buf.getLong() : 0;
      String source = "";
      java.util.Map<String, StoreEntry.Position> others = new java.util.HashMap<>();
      if (format >= FORMAT_V3) {
        source = readName(buf);
        int n = buf.getShort();
        for (int i = 0; i < n; i++) {
          String name = readName(buf);
          others.put(name, new StoreEntry.Position(name, buf.getLong(), buf.getLong()));
        }
      }
      short headLen = buf.getShort();
      String head = null;
      if (headLen >= 0) {
        byte[] h = new byte[headLen];
        buf.get(h);
        head = new String(h, StandardCharsets.US_ASCII);
      }
      int parkedCount = buf.getInt();
      List<InvoiceChange> parked = new ArrayList<>(parkedCount);
      for (int i = 0; i < parkedCount; i++) {
        byte[] b = new byte[buf.getInt()];
        buf.get(b);
        parked.add(changeSerde.deserializer().deserialize(topic, b));
      }
      InvoiceState state = null;
      if (buf.hasRemaining()) {
        byte[] rest = new byte[buf.remaining()];
        buf.get(rest);
        state = stateSerde.deserializer().deserialize(topic, rest);
      }
      return new StoreEntry(state, new StoreEntry.Position(source, epoch, lsn), head, parked, others);
    };
    return Serdes.serdeFrom(ser, de);
  }

  private static void writeName(DataOutputStream out, String name) throws IOException {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    out.writeShort(b.length);
    out.write(b);
  }

  private static String readName(ByteBuffer buf) {
    byte[] b = new byte[buf.getShort()];
    buf.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
