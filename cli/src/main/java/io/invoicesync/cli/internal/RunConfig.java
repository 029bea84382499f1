package io.invoicesync.cli.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A {@code run} configuration file, read the way {@code run} reads it, for the operator commands
 * that reuse it ({@code trace}, {@code audit}): where the query store, the issuing database and
 * Kafka are.
 */
public final class RunConfig {

  private final Map<String, String> values;

  private RunConfig(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** The file as {@code run} reads it: environment overrides ({@code INVOICESYNC_*}), config providers, every key checked. */
  public static RunConfig load(Path file) throws IOException {
    return new RunConfig(io.invoicesync.cli.config.ConfigLoader.load(file, System.getenv()));
  }

  public static RunConfig of(Map<String, String> values) {
    return new RunConfig(values);
  }

  /** The keys under {@code prefix} (e.g. {@code "reconcile."}), prefix removed, for a component's typed configuration. */
  public Map<String, Object> component(String prefix) {
    Map<String, Object> out = new HashMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k.substring(prefix.length()), v);
      }
    });
    return out;
  }

  public Map<String, String> values() {
    return values;
  }

  public String get(String key) {
    String v = values.get(key);
    return v == null || v.isBlank() ? null : v;
  }

  private String first(String... keys) {
    for (String k : keys) {
      if (get(k) != null) {
        return get(k);
      }
    }
    return null;
  }

  /** The query store: {@code api.jdbc.*}, else {@code projector.jdbc.*}. */
  public DataSource store() {
    String url = first("api.jdbc.url", "projector.jdbc.url");
    if (url == null) {
      throw new IllegalArgumentException("the configuration names no query store: set api.jdbc.url or projector.jdbc.url");
    }
    String prefix = get("api.jdbc.url") != null ? "api.jdbc." : "projector.jdbc.";
    return dataSource(url, values.getOrDefault(prefix + "user", "postgres"), values.getOrDefault(prefix + "password", ""));
  }

  /** The query store as the projector writes it: {@code projector.jdbc.*}, else {@code api.jdbc.*}. */
  public DataSource storeForWriter() {
    String url = first("projector.jdbc.url", "api.jdbc.url");
    if (url == null) {
      throw new IllegalArgumentException("the configuration names no query store: set projector.jdbc.url or api.jdbc.url");
    }
    String prefix = get("projector.jdbc.url") != null ? "projector.jdbc." : "api.jdbc.";
    return dataSource(url, values.getOrDefault(prefix + "user", "postgres"), values.getOrDefault(prefix + "password", ""));
  }

  /** The issuing database, read-only: {@code api.source.jdbc.*}, else built from {@code ingest.database.*}; null when neither is set. */
  public DataSource source() {
    if (get("api.source.jdbc.url") != null) {
      return dataSource(get("api.source.jdbc.url"), values.getOrDefault("api.source.jdbc.user", "postgres"),
          values.getOrDefault("api.source.jdbc.password", ""));
    }
    if (get("ingest.database.hostname") == null && get("ingest.database.port") == null) {
      return null;
    }
    String url = "jdbc:postgresql://" + values.getOrDefault("ingest.database.hostname", "localhost") + ":"
        + values.getOrDefault("ingest.database.port", "5432") + "/" + values.getOrDefault("ingest.database.dbname", "issuing");
    return dataSource(url, values.getOrDefault("ingest.database.user", "postgres"), values.getOrDefault("ingest.database.password", ""));
  }

  /** The issuing database as ingest connects to it ({@code ingest.database.*}), writable: resync inserts its signals there. */
  public DataSource sourceForSignals() {
    String url = "jdbc:postgresql://" + values.getOrDefault("ingest.database.hostname", "localhost") + ":"
        + values.getOrDefault("ingest.database.port", "5432") + "/" + values.getOrDefault("ingest.database.dbname", "issuing");
    PGSimpleDataSource ds = (PGSimpleDataSource) dataSource(url, values.getOrDefault("ingest.database.user", "postgres"),
        values.getOrDefault("ingest.database.password", ""));
    ds.setReadOnly(false);
    return ds;
  }

  /** Ingest's signal table, qualified ({@code ingest.source.signal.table}, default invoice_sync_signal). */
  public String signalTable() {
    String t = values.getOrDefault("ingest.source.signal.table", "invoice_sync_signal");
    return t.isBlank() ? null : sourceSchema() + "." + t;
  }

  /** The issuing platform's invoice table, unqualified ({@code ingest.source.invoice.table}, default invoice). */
  public String sourceInvoiceTable() {
    return values.getOrDefault("ingest.source.invoice.table", "invoice");
  }

  /** The issuing platform's invoice line table, unqualified ({@code ingest.source.line.table}, default invoice_line). */
  public String sourceLineTable() {
    return values.getOrDefault("ingest.source.line.table", "invoice_line");
  }

  public String sourceSchema() {
    return first("api.source.schema", "ingest.source.schema") == null ? "issuing" : first("api.source.schema", "ingest.source.schema");
  }

  public String slotName() {
    return first("api.source.slot.name", "ingest.slot.name") == null ? "invoice_sync" : first("api.source.slot.name", "ingest.slot.name");
  }

  public String bootstrapServers() {
    String b = get("bootstrap.servers");
    if (b == null) {
      throw new IllegalArgumentException("the configuration has no bootstrap.servers");
    }
    return b;
  }

  /**
   * What every Kafka client of an operator command needs: bootstrap.servers and the shared
   * security settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) as written.
   */
  public Map<String, Object> kafkaClientConfig() {
    Map<String, Object> out = new HashMap<>();
    out.put("bootstrap.servers", bootstrapServers());
    out.putAll(io.invoicesync.schemas.KafkaClients.security(values));
    return out;
  }

  /** A read-only data source; {@code user} and {@code password} fill in only what the URL itself does not say ({@code ?user=}). */
  public static DataSource dataSource(String url, String user, String password) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(url);
    if (ds.getUser() == null && user != null && !user.isBlank()) {
      ds.setUser(user);
    }
    if (ds.getPassword() == null && password != null && !password.isEmpty()) {
      ds.setPassword(password);
    }
    ds.setReadOnly(true);
    ds.setConnectTimeout(5);
    ds.setLogServerErrorDetail(false); // no row values in exception messages (PII)
    return ds;
  }
}
