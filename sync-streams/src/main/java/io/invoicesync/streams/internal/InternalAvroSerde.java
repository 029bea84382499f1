package io.invoicesync.streams.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Plain Avro binary for sync-streams' internal topics and stores, which no one outside reads. */
public final class InternalAvroSerde {

  private InternalAvroSerde() {
  }

  public static <T extends SpecificRecord> Serde<T> of(Class<T> type) {
    SpecificDatumWriter<T> writer = new SpecificDatumWriter<>(type);
    SpecificDatumReader<T> reader = new SpecificDatumReader<>(type);
    return Serdes.serdeFrom((topic, value) -> {
      if (value == null) {
        return null;
      }
      try (ByteArrayOutputStream out = new ByteArrayOutputStream(256)) {
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        writer.write(value, enc);
        enc.flush();
        return out.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return reader.read(null, DecoderFactory.get().binaryDecoder(data, null));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
