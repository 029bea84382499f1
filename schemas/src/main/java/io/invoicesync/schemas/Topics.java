package io.invoicesync.schemas;

import java.util.List;
import java.util.Map;

/**
 * The one immutable list of topics (ARCHITECTURE.md, "Topics"). Names here are the defaults;
 * every component takes the actual names from its own configuration, defaulting to these.
 */
public final class Topics {

  /**
   * The largest record any invoice-sync client sends and any of its topics takes (32 MiB; Kafka's
   * default is 1 MB): an invoice with tens of thousands of lines is carried whole. Ingest carries a
   * change of at most {@code ingest.max.change.bytes} (10 MiB by default, a third: so that the states, rejections and
   * store entries derived from it fit here too) and sends a larger one without its lines, to be
   * rejected with the reason.
   */
  public static final int MAX_RECORD_BYTES = 32 * 1024 * 1024;

  private static final String MAX = Integer.toString(MAX_RECORD_BYTES);
  private static final Map<String, String> DELETE_7D = Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(7 * 24L * 3600 * 1000),
      "max.message.bytes", MAX);
  private static final Map<String, String> DELETE_LONG = Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(3650 * 24L * 3600 * 1000),
      "max.message.bytes", MAX);
  private static final Map<String, String> FOREVER = Map.of("cleanup.policy", "delete", "retention.ms", "-1", "retention.bytes", "-1",
      "max.message.bytes", MAX);

  public static final int DEFAULT_PARTITIONS = 6;

  public static final Topic<InvoiceChange> CAPTURED = new Topic<>("invoices.captured", InvoiceChange.class,
      DEFAULT_PARTITIONS, DELETE_7D, "changes captured from the issuing database by ingest");
  public static final Topic<InvoiceChange> IMPORTED = new Topic<>("invoices.imported", InvoiceChange.class,
      DEFAULT_PARTITIONS, DELETE_7D, "invoices read from the tax platform's files by 'invoice-sync import' (source 'import', the file, "
      + "sheet and row in every position); sync-streams reads it beside invoices.captured, co-partitioned with it");
  public static final Topic<InvoiceState> SYNCED = new Topic<>("invoices.synced", InvoiceState.class,
      DEFAULT_PARTITIONS, DELETE_LONG, "validated, deduplicated full invoice states; ordered per invoice");
  public static final Topic<InvoiceRejected> REJECTED = new Topic<>("invoices.rejected", InvoiceRejected.class,
      DEFAULT_PARTITIONS, DELETE_LONG, "changes that failed validation, with every reason");
  public static final Topic<AuditEntry> AUDIT = new Topic<>("invoices.audit", AuditEntry.class,
      DEFAULT_PARTITIONS, FOREVER, "append-only hash-chained audit of every decision");
  public static final Topic<AuditCheckpoint> AUDIT_CHECKPOINTS = new Topic<>("invoices.audit.checkpoints", AuditCheckpoint.class,
      1, FOREVER, "periodic Merkle roots over the audit chain heads, per sync-streams task, so a deleted chain or a truncated audit topic "
      + "is detectable");
  public static final Topic<ProjectionEvent> PROJECTION = new Topic<>("invoices.projection", ProjectionEvent.class,
      DEFAULT_PARTITIONS, DELETE_7D, "what the projector decided per invoice state (projected, retried, dead-lettered); "
      + "co-partitioned with invoices.captured, chained into invoices.audit by sync-streams");
  /**
   * Kept as long as the captured topic (7 days), not shorter: a record parked here while the
   * projector is down must outlive the outage, or it is lost until the next reconciliation repairs it.
   */
  public static final Topic<InvoiceState> SYNCED_RETRY = new Topic<>("invoices.synced.retry", InvoiceState.class,
      DEFAULT_PARTITIONS, DELETE_7D, "projector's record-specific retries and the records parked behind them; co-partitioned with "
      + "invoices.synced");
  public static final Topic<byte[]> SYNCED_DLT = new Topic<>("invoices.synced.dlt", byte[].class,
      1, DELETE_LONG, "projector dead letters: original bytes + provenance headers");
  public static final Topic<byte[]> CAPTURED_DLT = new Topic<>("invoices.captured.dlt", byte[].class,
      1, DELETE_LONG, "sync-streams dead letters: original bytes + provenance headers");

  /** A constant, for annotation defaults ({@code dlt replay --audit-topic}). */
  public static final String REPLAYS_NAME = "invoice-sync.replays";
  public static final Topic<byte[]> REPLAYS = new Topic<>(REPLAYS_NAME, byte[].class,
      1, FOREVER, "every dead-letter replay (JSON): who, when, which records, where to");

  /** sync-streams' own: blue invoices by code|number, for the red-letter checks. Default name for application.id invoice-sync-streams. */
  public static final Topic<byte[]> RED_LEDGER = new Topic<>("invoice-sync-streams-red-ledger", byte[].class,
      DEFAULT_PARTITIONS, DELETE_7D, "sync-streams internal: red-letter ledger input, keyed by blue invoice code|number");
  public static final Topic<byte[]> RED_VERDICTS = new Topic<>("invoice-sync-streams-red-verdicts", byte[].class,
      DEFAULT_PARTITIONS, DELETE_7D, "sync-streams internal: ledger verdicts, keyed by red invoice id; co-partitioned with invoices.captured");

  /** Ingest's own: Debezium's notifications (incremental snapshot progress), as JSON. */
  public static final Topic<byte[]> INGEST_NOTIFICATIONS = new Topic<>("invoice-sync.ingest.notifications", byte[].class,
      1, DELETE_7D, "Debezium notifications of ingest (incremental snapshots started, paused, completed), JSON");
  /** Debezium's Kafka signal channel requires a single partition. */
  public static final Topic<byte[]> INGEST_SIGNALS = new Topic<>("invoice-sync.ingest.signals", byte[].class,
      1, DELETE_7D, "execute-snapshot signals for ingest when ingest.signal.channel=kafka (Debezium's Kafka channel, one partition)");

  /** The topics of the data-flow contract (ARCHITECTURE.md, "Topics"), in data-flow order; run creates them before any component starts. */
  public static final List<Topic<?>> CONTRACT = List.of(CAPTURED, IMPORTED, SYNCED, REJECTED, AUDIT, AUDIT_CHECKPOINTS, PROJECTION,
      SYNCED_RETRY, SYNCED_DLT, CAPTURED_DLT, REPLAYS);

  /** Every topic invoice-sync writes: the contract and the components' own (created by the component that owns them). */
  public static final List<Topic<?>> ALL = List.of(CAPTURED, IMPORTED, SYNCED, REJECTED, AUDIT, AUDIT_CHECKPOINTS, PROJECTION,
      SYNCED_RETRY, SYNCED_DLT, CAPTURED_DLT, REPLAYS, RED_LEDGER, RED_VERDICTS, INGEST_NOTIFICATIONS, INGEST_SIGNALS);

  /**
   * Topics that must have the same partition count as another, because one instance reads both
   * by key: the imported topic, the projection topic and the red-letter verdicts with the captured topic (sync-streams
   * joins them per task), the retry topic with the synced topic (the projector parks per invoice).
   */
  public static final Map<Topic<?>, Topic<?>> CO_PARTITIONED = Map.of(IMPORTED, CAPTURED, PROJECTION, CAPTURED, RED_VERDICTS, CAPTURED,
      SYNCED_RETRY, SYNCED);

  private Topics() {
  }
}
