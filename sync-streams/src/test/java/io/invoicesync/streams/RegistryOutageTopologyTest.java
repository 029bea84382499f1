package io.invoicesync.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.schemas.InvoiceChange;
import io.invoicesync.schemas.SerdeFactory;
import io.invoicesync.schemas.Topics;
import io.invoicesync.testkit.InvoiceFixtures;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A schema registry that cannot be reached is an outage: the task fails and is retried, and the record is not dead-lettered. */
class RegistryOutageTopologyTest {

  @Test
  void aRegistryOutageFailsTheTaskInsteadOfDeadLetteringTheRecord() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    byte[] bytes = SerdeFactory.registryLess().valueSerde(InvoiceChange.class).serializer()
        .serialize(Topics.CAPTURED.name(), InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("inv-1", 2), 1000));
    try (SyncDriver d = new SyncDriver(Map.of(SyncStreamsConfig.SCHEMA_REGISTRY_URL, "http://localhost:" + closedPort + "/apis/registry/v3"))) {
      assertThatThrownBy(() -> d.capturedRaw.pipeInput("inv-1", bytes)).hasStackTraceContaining("schema registry unreachable");
      assertThat(d.dlt.isEmpty()).as("nothing dead-lettered").isTrue();
    }
  }
}
