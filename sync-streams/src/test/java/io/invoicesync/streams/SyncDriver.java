package io.invoicesync.streams;

import io.invoicesync.schemas.AuditCheckpoint;
import io.invoicesync.schemas.AuditEntry;
import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.InvoiceRejected;
import io.invoicesync.schemas.InvoiceState;
import io.invoicesync.schemas.ProjectionEvent;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** The sync topology in a TopologyTestDriver at 2026-11-24T08:00Z, with its input and output topics typed. */
public final class SyncDriver implements AutoCloseable {

  public final TopologyTestDriver driver;
  public final SyncMetrics metrics = new SyncMetrics(new SimpleMeterRegistry());
  public final TestInputTopic<String, InvoiceChange> captured;
  public final TestInputTopic<String, byte[]> capturedRaw;
  public final TestInputTopic<String, InvoiceChange> imported;
  public final TestInputTopic<String, ProjectionEvent> projection;
  public final TestOutputTopic<String, InvoiceState> synced;
  public final TestOutputTopic<String, InvoiceRejected> rejected;
  public final TestOutputTopic<String, AuditEntry> audit;
  public final TestOutputTopic<String, byte[]> dlt;
  public final TestOutputTopic<String, AuditCheckpoint> checkpoints;

  /** @param overrides SyncStreamsConfig keys besides bootstrap.servers */
  public SyncDriver(Map<String, Object> overrides) {
    this(overrides, Instant.parse("2026-11-24T08:00:00Z"));
  }

  /** @param wallClock where the driver's wall clock starts (what the topology sees as "now" when it processes) */
  public SyncDriver(Map<String, Object> overrides, Instant wallClock) {
    Map<String, Object> cfg = new HashMap<>(overrides);
    cfg.put(SyncStreamsConfig.BOOTSTRAP_SERVERS, "unused:9092");
    SyncStreamsConfig config = new SyncStreamsConfig(cfg);
    SerdeFactory serdes = SerdeFactory.registryLess();
    driver = new TopologyTestDriver(SyncTopology.buildTopology(config, metrics), config.streamsProperties(), wallClock);
    captured = driver.createInputTopic(Topics.CAPTURED.name(), Serdes.String().serializer(), serdes.valueSerde(InvoiceChange.class).serializer());
    imported = driver.createInputTopic(Topics.IMPORTED.name(), Serdes.String().serializer(), serdes.valueSerde(InvoiceChange.class).serializer());
    capturedRaw = driver.createInputTopic(Topics.CAPTURED.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
    projection = driver.createInputTopic(Topics.PROJECTION.name(), Serdes.String().serializer(),
        serdes.valueSerde(ProjectionEvent.class).serializer());
    synced = driver.createOutputTopic(Topics.SYNCED.name(), Serdes.String().deserializer(), serdes.valueSerde(InvoiceState.class).deserializer());
    rejected = driver.createOutputTopic(Topics.REJECTED.name(), Serdes.String().deserializer(), serdes.valueSerde(InvoiceRejected.class).deserializer());
    audit = driver.createOutputTopic(Topics.AUDIT.name(), Serdes.String().deserializer(), serdes.valueSerde(AuditEntry.class).deserializer());
    checkpoints = driver.createOutputTopic(Topics.AUDIT_CHECKPOINTS.name(), Serdes.String().deserializer(),
        serdes.valueSerde(AuditCheckpoint.class).deserializer());
    dlt = driver.createOutputTopic(Topics.CAPTURED_DLT.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
  }

  @Override
  public void close() {
    driver.close();
  }
}
