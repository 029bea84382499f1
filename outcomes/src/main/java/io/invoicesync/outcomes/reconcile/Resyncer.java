package io.invoicesync.outcomes.reconcile;

import io.invoicesync.schemas.Stage;
import io.invoicesync.outcomes.IssuingTables;
import io.invoicesync.outcomes.Outcome;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Repairs through the source: asks ingest to re-read named invoices from the issuing database with
 * a Debezium incremental snapshot ({@code execute-snapshot} with {@code additional-conditions}, via
 * ingest's signal table), then waits until sync-streams has decided on every re-read (audit entries
 * marked RESYNC: re-validated, and re-emitted even when nothing changed) and the projector has
 * made each one visible or it was rejected. The store's version guard keeps the re-apply idempotent.
 */
public final class Resyncer {

  /** Invoices per signal: Debezium's filter is one SQL condition, kept to a modest size. */
  static final int IDS_PER_SIGNAL = 500;
  private static final Pattern QUALIFIED = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DataSource source;
  private final String signalTable;
  private final IssuingTables tables;
  private final DataSource store;
  private Map<String, Object> kafka;
  private String notificationsTopic;
  private String signalsTopic;
  private String topicPrefix;

  /** Sends signals to Debezium's Kafka signal channel instead of the signal table (ingest's signal.channel=kafka, read-only snapshots). */
  public Resyncer withKafkaSignals(Map<String, Object> kafkaClient, String topic, String prefix) {
    this.kafka = kafkaClient;
    this.signalsTopic = topic;
    this.topicPrefix = prefix;
    return this;
  }

  /** Also waits for Debezium's notification that the incremental snapshot completed, read from ingest's notifications topic. */
  public Resyncer withNotifications(Map<String, Object> kafkaClient, String topic) {
    this.kafka = kafkaClient;
    this.notificationsTopic = topic == null || topic.isBlank() ? null : topic;
    return this;
  }

  /** Where the notifications topic ends now: notifications after this are the ones a signal sent now causes. */
  public Map<TopicPartition, Long> notificationMark() {
    if (notificationsTopic == null) {
      return Map.of();
    }
    try (var c = consumer()) {
      var parts = c.partitionsFor(notificationsTopic, Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      return parts.isEmpty() ? Map.of() : c.endOffsets(parts);
    }
  }

  /**
   * Waits for Debezium's notification that an incremental snapshot completed (aggregate type
   * "Incremental Snapshot", type COMPLETED) after {@code mark}; false when none came in time.
   */
  public boolean awaitSnapshotCompleted(Map<TopicPartition, Long> mark, Duration timeout) {
    if (notificationsTopic == null || mark.isEmpty()) {
      return false;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try (var c = consumer()) {
      c.assign(mark.keySet());
      mark.forEach(c::seek);
      while (System.nanoTime() < deadline) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          try {
            var n = JSON.readTree(r.value());
            if ("Incremental Snapshot".equals(n.path("aggregate_type").asText()) && "COMPLETED".equals(n.path("type").asText())) {
              return true;
            }
          } catch (JsonProcessingException e) {
            // not a notification of ours: skip it
          }
        }
      }
    }
    return false;
  }

  private KafkaConsumer<String, String> consumer() {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put("enable.auto.commit", false);
    p.put("client.id", "invoice-sync-resync");
    return new KafkaConsumer<>(p, new StringDeserializer(),
        new StringDeserializer());
  }

  /** @param signalTable the signal table (schema.table), or null when signals go through Kafka ({@link #withKafkaSignals}) */
  public Resyncer(DataSource source, String signalTable, String invoiceTable, DataSource store) {
    this(source, signalTable, IssuingTables.reference(invoiceTable.substring(0, Math.max(0, invoiceTable.indexOf('.'))),
        invoiceTable.substring(invoiceTable.indexOf('.') + 1), "invoice_line"), store);
  }

  /**
   * With the issuing tables as a mapping reads them: the snapshot re-reads the mapped header table, its
   * condition the mapping's id over that table's columns.
   */
  public Resyncer(DataSource source, String signalTable, IssuingTables tables, DataSource store) {
    if (signalTable != null && !QUALIFIED.matcher(signalTable).matches()) {
      throw new IllegalArgumentException("table '" + signalTable + "' is not a plain schema.table name");
    }
    this.source = source;
    this.signalTable = signalTable;
    this.tables = tables;
    this.store = store;
  }

  /**
   * Ids of source invoices matching an operator's condition on the invoice table ({@code --where}),
   * in a read-only transaction PostgreSQL enforces: a condition that would write (a function that
   * inserts, {@code nextval}, ...) fails and changes nothing.
   */
  public Set<String> idsWhere(String condition) throws SQLException {
    Set<String> ids = new TreeSet<>();
    try (Connection c = source.getConnection()) {
      c.setAutoCommit(false);
      c.setReadOnly(true); // BEGIN READ ONLY
      try (PreparedStatement ps = c.prepareStatement("SELECT " + tables.id() + " FROM " + tables.table() + " WHERE " + condition);
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      } finally {
        c.rollback(); // nothing to keep: it only read
      }
    }
    return ids;
  }

  /** Ids of invoices whose latest state is rejected, optionally with this rule code among the reasons. */
  public Set<String> rejected(String code) throws SQLException {
    Set<String> ids = new TreeSet<>();
    try (Connection c = store.getConnection();
         PreparedStatement ps = c.prepareStatement("SELECT r.invoice_id FROM invoice_rejection r JOIN invoice_outcome o ON o.invoice_id = "
             + "r.invoice_id WHERE o.outcome = ? AND (?::text IS NULL OR ? = ANY (string_to_array(r.codes, ',')))")) {
      ps.setString(1, Outcome.REJECTED.name());
      ps.setString(2, code);
      ps.setString(3, code);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
    }
    return ids;
  }

  /** Sends the signals; returns when they were sent (the re-reads' decisions are looked for from then on). */
  public Instant signal(Set<String> ids) throws SQLException {
    Instant sent = Instant.now();
    List<String> all = new ArrayList<>(ids);
    Map<String, Map<String, Object>> signals = new java.util.LinkedHashMap<>();
    for (int i = 0; i < all.size(); i += IDS_PER_SIGNAL) {
      signals.put("resync-" + UUID.randomUUID(), snapshotOf(all.subList(i, Math.min(all.size(), i + IDS_PER_SIGNAL))));
    }
    send(signals);
    return sent;
  }

  /**
   * Asks for an incremental snapshot of the whole invoice table (or of the rows {@code condition}, on
   * the table's own columns, selects), under the signal id {@code id}: a history load
   * ({@code history-...}), which ingest tells from a resync by that id.
   */
  public void signalWhole(String id, String condition) throws SQLException {
    Map<String, Object> data = new java.util.LinkedHashMap<>();
    data.put("data-collections", List.of(tables.dataCollection()));
    data.put("type", "incremental");
    if (condition != null && !condition.isBlank()) {
      data.put("additional-conditions", List.of(Map.of("data-collection", tables.dataCollection(), "filter", condition)));
    }
    send(Map.of(id, data));
  }

  /** Rows of the invoice table {@code condition} selects (all when null), counted in a read-only transaction. */
  public long count(String condition) throws SQLException {
    try (Connection c = source.getConnection()) {
      c.setAutoCommit(false);
      c.setReadOnly(true);
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + tables.table()
          + (condition == null || condition.isBlank() ? "" : " WHERE " + condition)); ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      } finally {
        c.rollback();
      }
    }
  }

  /**
   * Execute-snapshot signals (id -> data), in order, through one connection to the signal table or one producer to
   * Debezium's Kafka signal channel (which takes the id from the value).
   */
  private void send(Map<String, Map<String, Object>> signals) throws SQLException {
    if (signalsTopic != null) {
      signalThroughKafka(signals);
      return;
    }
    if (signalTable == null) {
      throw new IllegalStateException("no signal table and no signal topic: ingest takes no signals");
    }
    try (Connection c = source.getConnection()) {
      c.setReadOnly(false);
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + signalTable + " (id, type, data) VALUES (?, 'execute-snapshot', ?)")) {
        for (Map.Entry<String, Map<String, Object>> signal : signals.entrySet()) {
          ps.setString(1, signal.getKey());
          ps.setString(2, JSON.writeValueAsString(signal.getValue()));
          ps.executeUpdate();
        }
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The data of an execute-snapshot signal: an incremental snapshot of the invoice table, these invoices only. */
  private Map<String, Object> snapshotOf(List<String> chunk) {
    return Map.of("data-collections", List.of(tables.dataCollection()), "type", "incremental",
        "additional-conditions", List.of(Map.of("data-collection", tables.dataCollection(), "filter", filter(chunk))));
  }

  private String filter(List<String> chunk) {
    StringBuilder filter = new StringBuilder(tables.id() + " IN (");
    for (int k = 0; k < chunk.size(); k++) {
      filter.append(k == 0 ? "" : ",").append('\'').append(chunk.get(k).replace("'", "''")).append('\'');
    }
    return filter.append(')').toString();
  }

  private void signalThroughKafka(Map<String, Map<String, Object>> signals) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.put("acks", "all");
    try (var producer = new KafkaProducer<String, String>(p, new StringSerializer(), new StringSerializer())) {
      for (Map.Entry<String, Map<String, Object>> signal : signals.entrySet()) {
        String value = JSON.writeValueAsString(Map.of("id", signal.getKey(), "type", "execute-snapshot", "data", signal.getValue()));
        producer.send(new ProducerRecord<>(signalsTopic, topicPrefix, value)).get();
      }
    } catch (JsonProcessingException | ExecutionException e) {
      throw new IllegalStateException("cannot send the signal to " + signalsTopic + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }



  /**
   * Waits until every id has a RESYNC decision recorded since {@code since} and is no longer in
   * flight; returns the ids still waiting when {@code timeout} passed (empty: all done).
   */
  public Set<String> await(Set<String> ids, Instant since, Duration timeout, IntConsumer progress)
      throws SQLException, InterruptedException {
    Set<String> waiting = new TreeSet<>(ids);
    long deadline = System.nanoTime() + timeout.toNanos();
    long backoff = 100;
    while (!waiting.isEmpty()) {
      try (Connection c = store.getConnection();
           PreparedStatement ps = c.prepareStatement("SELECT e.invoice_id FROM invoice_event e JOIN invoice_outcome o ON o.invoice_id = e.invoice_id "
               + "WHERE e.invoice_id = ANY (?) AND e.recorded_at >= ? AND e.stage = ? AND (e.detail = 'RESYNC' "
               + "OR e.detail LIKE '%(RESYNC)') AND o.outcome <> ?")) {
        ps.setArray(1, c.createArrayOf("text", waiting.toArray()));
        ps.setObject(2, OffsetDateTime.ofInstant(since.minusSeconds(2), ZoneOffset.UTC)); // tolerance for the two clocks
        ps.setString(3, Stage.SYNC_STREAMS.id());
        ps.setString(4, Outcome.IN_FLIGHT.name());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            waiting.remove(rs.getString(1));
          }
        }
      }
      progress.accept(ids.size() - waiting.size());
      if (waiting.isEmpty() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(backoff); // bounded poll of the store, doubling to 1 s
      backoff = Math.min(1000, backoff * 2);
    }
    return waiting;
  }
}
