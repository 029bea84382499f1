package io.invoicesync.ingest.internal;

import io.invoicesync.ingest.IngestConfig;
import io.invoicesync.ingest.mapping.Mapping;
import io.invoicesync.schemas.KafkaClients;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The Debezium engine's configuration: every Debezium key ingest relies on, in one place, with the
 * reason for each; {@code debezium.*} overrides last ({@link IngestConfig} refuses those that would
 * break a guarantee).
 */
public final class EngineProperties {

  private EngineProperties() {
  }

  public static Properties of(IngestConfig config) {
    Properties p = new Properties();
    p.put("name", config.getString(IngestConfig.ENGINE_NAME));
    p.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.put("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
    p.put("offset.storage.topic", config.getString(IngestConfig.OFFSETS_TOPIC));
    p.put("offset.storage.partitions", "1");
    p.put("offset.storage.replication.factor", "-1");
    // the offset store's producer, consumer and admin take the worker's top-level settings: the shared security ones
    KafkaClients.security(config.originals()).forEach((k, v) -> p.put(k, String.valueOf(v)));
    p.put("bootstrap.servers", config.getString(IngestConfig.BOOTSTRAP_SERVERS));
    p.put("offset.flush.interval.ms", Long.toString(config.getLong(IngestConfig.OFFSET_FLUSH_INTERVAL_MS)));
    p.put("database.hostname", config.getString(IngestConfig.DATABASE_HOSTNAME));
    p.put("database.port", Integer.toString(config.getInt(IngestConfig.DATABASE_PORT)));
    p.put("database.user", config.getString(IngestConfig.DATABASE_USER));
    p.put("database.password", config.getPassword(IngestConfig.DATABASE_PASSWORD).value());
    p.put("database.dbname", config.getString(IngestConfig.DATABASE_DBNAME));
    p.put("topic.prefix", config.getString(IngestConfig.TOPIC_PREFIX));
    p.put("plugin.name", "pgoutput");
    p.put("slot.name", config.getString(IngestConfig.SLOT_NAME));
    p.put("publication.name", config.getString(IngestConfig.PUBLICATION_NAME));
    p.put("publication.autocreate.mode", "disabled"); // created or validated by IssuingDatabaseCheck
    List<String> tables = new ArrayList<>(List.of(config.qualifiedInvoiceTable(), config.qualifiedLineTable()));
    String heartbeatTable = config.qualifiedHeartbeatTable();
    if (heartbeatTable != null) {
      tables.add(heartbeatTable);
      p.put("heartbeat.action.query", "INSERT INTO " + heartbeatTable + " (id, ts) VALUES (1, now()) "
          + "ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts");
    }
    String signalTable = config.qualifiedSignalTable();
    if (config.kafkaSignals()) {
      p.put("signal.enabled.channels", "kafka");
      p.put("signal.kafka.topic", config.getString(IngestConfig.SIGNALS_TOPIC));
      p.put("signal.kafka.bootstrap.servers", config.getString(IngestConfig.BOOTSTRAP_SERVERS));
      p.put("signal.kafka.groupId", config.getString(IngestConfig.ENGINE_NAME) + "-signals");
      KafkaClients.security(config.originals()).forEach((k, v) -> p.put("signal.consumer." + k, String.valueOf(v)));
      p.put("read.only", "true"); // incremental snapshots without watermark writes to the issuing database
    } else if (signalTable != null) {
      tables.add(signalTable);
      p.put("signal.enabled.channels", "source");
      p.put("signal.data.collection", signalTable);
    }
    p.put("table.include.list", String.join(",", tables).replace(".", "\\."));
    // from the mapping: the columns it reads (and every column of the heartbeat and signal tables), and the invoice's key,
    // which is also what an incremental snapshot (resync) orders and chunks the header table by when it has no primary key
    Mapping mapping = config.mapping();
    List<String> columns = new ArrayList<>();
    mapping.headerColumns().forEach(c -> columns.add(mapping.header() + "." + c));
    mapping.lineColumns().forEach(c -> columns.add(mapping.lines() + "." + c));
    tables.subList(2, tables.size()).forEach(t -> columns.add(t + ".*"));
    p.put("column.include.list", String.join(",", columns.stream().map(c -> c.replace(".", "\\.").replace("\\.*", "\\..*")).toList()));
    p.put("message.key.columns", mapping.header() + ":" + String.join(",", mapping.key()));
    if (!config.getString(IngestConfig.NOTIFICATIONS_TOPIC).isBlank()) {
      // Debezium's sink channel hands notifications to the engine's consumer as records of this topic; NotificationRelay publishes them
      p.put("notification.enabled.channels", "sink");
      p.put("notification.sink.topic.name", config.getString(IngestConfig.NOTIFICATIONS_TOPIC));
    }
    p.put("snapshot.mode", config.getString(IngestConfig.SNAPSHOT_MODE));
    p.put("snapshot.include.collection.list", config.qualifiedInvoiceTable().replace(".", "\\."));
    p.put("provide.transaction.metadata", "true");
    p.put("decimal.handling.mode", "precise");
    p.put("tombstones.on.delete", "false");
    p.put("heartbeat.interval.ms", Integer.toString(config.getInt(IngestConfig.HEARTBEAT_INTERVAL_MS)));
    p.put("slot.drop.on.stop", "false");
    p.put("errors.max.retries", "-1");
    // When the issuing database goes away the connector task fails with a retriable error and is
    // restarted after retriable.restart.connector.wait.ms; attempts of the engine double from 300 ms.
    // Debezium's 10 s for both meant capture resumed up to 10 s after the database was back (chaos
    // issuing-db-outage: 12.6 s). One failed connection attempt every 2 s during an outage costs nothing.
    p.put("retriable.restart.connector.wait.ms", "2000");
    p.put("errors.retry.delay.max.ms", "2000");
    // Debezium hands over a batch when it is full (2,048) or this interval passed, and its reader sleeps
    // this long when the slot has nothing: below ~40,000 changes/s every change waits for it. Its 500 ms
    // default dominated commit-to-visible latency; 50 ms still made capture half of it at 200 invoices/s
    // (p50 50 ms; 10 ms: 12-13 ms). Smaller batches cost near saturation (bench at 1,000/s on two cores,
    // docs/benchmark.md): ingest.debezium.poll.interval.ms=50 where throughput matters more than latency.
    p.put("poll.interval.ms", "10");
    for (Map.Entry<String, Object> e : config.debeziumOverrides().entrySet()) {
      p.put(e.getKey(), String.valueOf(e.getValue()));
    }
    return p;
  }
}
