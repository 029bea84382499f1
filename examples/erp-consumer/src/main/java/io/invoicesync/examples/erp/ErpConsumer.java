package io.invoicesync.examples.erp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What an ERP team writes to keep its own invoice table in step with {@code invoices.synced}, with
 * nothing of invoice-sync on its classpath: a plain Kafka consumer ({@code isolation.level=
 * read_committed}, offsets committed by hand after the database commit), Avro decoded with the
 * published, self-contained {@code .avsc} files (schemas/avsc: {@code ids.json} maps the 4-byte
 * schema id of a registry-less record to its writer's schema), and an idempotent apply: a state is
 * written only when its {@code version} is newer than the one the table holds, so a redelivery after
 * a crash, or the whole topic read again, changes nothing.
 *
 * <pre>
 * java -cp 'target/*:target/lib/*' io.invoicesync.examples.erp.ErpConsumer \
 *     --bootstrap localhost:9092 --jdbc jdbc:postgresql://localhost:5432/erp --user erp [--password P] \
 *     [--avsc ../../schemas/avsc] [--group erp-example] [--topic invoices.synced] [--until-idle 10]
 * </pre>
 */
public final class ErpConsumer implements AutoCloseable {

  /** The ERP's own table: the invoice as it needs it, and the version it holds. */
  static final String TABLE = """
      CREATE TABLE IF NOT EXISTS erp_invoice (
          invoice_id      text PRIMARY KEY,
          version         integer NOT NULL,
          invoice_number  text NOT NULL,
          invoice_code    text,
          seller_tax_id   text NOT NULL,
          buyer_tax_id    text,
          issue_date      date NOT NULL,
          grand_total     numeric(18,2) NOT NULL,
          status          text NOT NULL,
          applied_at      timestamptz NOT NULL DEFAULT now())""";

  /** Newer versions win; an older or equal one (a redelivery) is a no-op. */
  static final String APPLY = """
      INSERT INTO erp_invoice (invoice_id, version, invoice_number, invoice_code, seller_tax_id, buyer_tax_id, issue_date, grand_total, status)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (invoice_id) DO UPDATE SET version = EXCLUDED.version, invoice_number = EXCLUDED.invoice_number,
          invoice_code = EXCLUDED.invoice_code, seller_tax_id = EXCLUDED.seller_tax_id, buyer_tax_id = EXCLUDED.buyer_tax_id,
          issue_date = EXCLUDED.issue_date, grand_total = EXCLUDED.grand_total, status = EXCLUDED.status, applied_at = now()
      WHERE erp_invoice.version < EXCLUDED.version""";

  /** What one poll did: records read, states applied, states skipped as not newer. */
  public record Batch(int read, int applied, int skipped) {
  }

  private final KafkaConsumer<String, byte[]> consumer;
  private final Connection db;
  private final SchemaFiles schemas;
  private final AtomicBoolean running = new AtomicBoolean(true);

  public ErpConsumer(String bootstrap, String group, String topic, Connection db, Path avscDir) throws IOException, SQLException {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", group);
    p.put("isolation.level", "read_committed"); // sync-streams writes in transactions: never apply a state it aborted
    p.put("enable.auto.commit", "false"); // committed after the database commit: at least once, made exactly-once by the version check
    p.put("auto.offset.reset", "earliest");
    this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    this.consumer.subscribe(List.of(topic));
    this.db = db;
    this.db.setAutoCommit(false);
    try (Statement s = db.createStatement()) {
      s.execute(TABLE);
    }
    db.commit();
    this.schemas = new SchemaFiles(avscDir);
  }

  /** Polls once and applies what came, in one database transaction, then commits the offsets. */
  public Batch pollOnce(Duration timeout) throws SQLException, IOException {
    ConsumerRecords<String, byte[]> records = consumer.poll(timeout);
    int applied = 0;
    try (PreparedStatement ps = db.prepareStatement(APPLY)) {
      for (ConsumerRecord<String, byte[]> r : records) {
        if (r.value() == null) {
          continue; // a tombstone: invoice-sync does not write them on invoices.synced; ignore rather than fail
        }
        GenericRecord state = schemas.decode(r.value());
        GenericRecord invoice = (GenericRecord) state.get("invoice");
        GenericRecord seller = (GenericRecord) invoice.get("seller");
        GenericRecord buyer = (GenericRecord) invoice.get("buyer");
        ps.setString(1, str(invoice.get("id")));
        ps.setInt(2, (Integer) state.get("version"));
        ps.setString(3, str(invoice.get("invoiceNumber")));
        ps.setString(4, str(invoice.get("invoiceCode")));
        ps.setString(5, str(seller.get("taxId")));
        ps.setString(6, buyer == null ? null : str(buyer.get("taxId")));
        ps.setObject(7, invoice.get("issueDate")); // Avro's date logical type: a java.time.LocalDate
        ps.setBigDecimal(8, (BigDecimal) invoice.get("grandTotal"));
        ps.setString(9, str(invoice.get("status")));
        applied += ps.executeUpdate();
      }
    }
    db.commit();
    if (!records.isEmpty()) {
      consumer.commitSync();
    }
    return new Batch(records.count(), applied, records.count() - applied);
  }

  /** Runs until {@link #stop} or until {@code idle} passes without a record (null: forever). */
  public void run(Duration idle) throws SQLException, IOException {
    long lastRecord = System.nanoTime();
    while (running.get()) {
      Batch b = pollOnce(Duration.ofMillis(500));
      if (b.read() > 0) {
        lastRecord = System.nanoTime();
        System.out.printf("read %d, applied %d, skipped %d (not newer)%n", b.read(), b.applied(), b.skipped());
      } else if (idle != null && System.nanoTime() - lastRecord > idle.toNanos()) {
        return;
      }
    }
  }

  public void stop() {
    running.set(false);
    consumer.wakeup();
  }

  @Override
  public void close() throws SQLException {
    consumer.close();
    db.close();
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  /**
   * The published schemas: {@code ids.json} (schema id to file) and the files themselves; a record is
   * decoded with its writer's schema (the id in bytes 1–4) and read as the newest {@code InvoiceState}.
   */
  static final class SchemaFiles {
    private final Path dir;
    private final JsonNode ids;
    private final Schema reader;
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private final GenericData data = new GenericData();

    SchemaFiles(Path dir) throws IOException {
      this.dir = dir;
      this.ids = new ObjectMapper().readTree(dir.resolve("ids.json").toFile());
      this.reader = new Schema.Parser().parse(dir.resolve("InvoiceState.avsc").toFile());
      data.addLogicalTypeConversion(new Conversions.DecimalConversion()); // money as BigDecimal
      data.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.DateConversion());
      data.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMillisConversion());
      data.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMicrosConversion());
      data.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.LocalTimestampMillisConversion());
    }

    GenericRecord decode(byte[] value) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(value);
      if (b.get() != 0) {
        throw new IOException("not the Confluent wire format (magic byte " + value[0] + ")");
      }
      int id = b.getInt();
      GenericDatumReader<GenericRecord> r = readers.get(id);
      if (r == null) {
        JsonNode entry = ids.get(Integer.toString(id));
        if (entry == null) {
          throw new IOException("schema id " + id + " is not in " + dir.resolve("ids.json") + ": was the record written with a schema "
              + "registry? Then resolve the id there (docs/erp.md)");
        }
        Schema writer = new Schema.Parser().parse(dir.resolve(entry.get("file").asText()).toFile());
        r = new GenericDatumReader<>(writer, reader, data);
        readers.put(id, r);
      }
      return r.read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>(Map.of("--group", "erp-example", "--topic", "invoices.synced", "--avsc", "schemas/avsc",
        "--password", ""));
    String usage = "usage: ErpConsumer --bootstrap HOST:PORT --jdbc URL --user U [--password P] [--avsc DIR] [--group G] [--topic T] "
        + "[--until-idle SECONDS]\n  e.g. ErpConsumer --bootstrap localhost:9092 --jdbc jdbc:postgresql://localhost:5432/erp --user erp "
        + "--avsc schemas/avsc --until-idle 10";
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.println(usage);
      return;
    }
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i], args[i + 1]);
    }
    for (String required : List.of("--bootstrap", "--jdbc", "--user")) {
      if (!a.containsKey(required)) {
        System.err.println("missing " + required + "; " + usage);
        System.exit(2);
      }
    }
    Connection db = DriverManager.getConnection(a.get("--jdbc"), a.get("--user"), a.get("--password"));
    try (ErpConsumer c = new ErpConsumer(a.get("--bootstrap"), a.get("--group"), a.get("--topic"), db, Path.of(a.get("--avsc")))) {
      Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
      c.run(a.containsKey("--until-idle") ? Duration.ofSeconds(Long.parseLong(a.get("--until-idle"))) : null);
    } catch (org.apache.kafka.common.errors.WakeupException stopped) {
      // Ctrl-C
    }
  }
}
