package io.invoicesync.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.invoicesync.schemas.internal.SchemaCatalog;
import io.invoicesync.testkit.InvoiceFixtures;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class SerdeFactoryTest {

  private final SerdeFactory factory = SerdeFactory.registryLess();

  @Test
  void shouldRoundTripAnInvoiceChangeWithDecimalsAndLines() {
    // Given
    InvoiceChange change = InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("inv-1", 3), 1000);
    Serde<InvoiceChange> serde = factory.valueSerde(InvoiceChange.class);

    // When
    byte[] bytes = serde.serializer().serialize(Topics.CAPTURED.name(), change);
    InvoiceChange back = serde.deserializer().deserialize(Topics.CAPTURED.name(), bytes);

    // Then
    assertThat(back).isEqualTo(change);
    assertThat(back.getAfter().getLines()).hasSize(3);
    assertThat(back.getAfter().getGrandTotal()).isEqualByComparingTo(change.getAfter().getGrandTotal());
  }

  @Test
  void shouldWriteConfluentWireFormatWithTheCatalogIdAsFourByteId() {
    InvoiceState state = InvoiceState.newBuilder()
        .setInvoice(InvoiceFixtures.digitalInvoice("inv-2", 1)).setVersion(1)
        .setSource(InvoiceFixtures.position(5)).setDigest("d").setSyncedAt(java.time.Instant.EPOCH).build();

    byte[] bytes = factory.valueSerde(InvoiceState.class).serializer().serialize(Topics.SYNCED.name(), state);

    ByteBuffer buf = ByteBuffer.wrap(bytes);
    assertThat(buf.get()).as("magic byte").isEqualTo((byte) 0);
    long expectedId = SchemaCatalog.get().bySchema(InvoiceState.getClassSchema()).id();
    assertThat(buf.getInt()).as("4-byte schema id").isEqualTo((int) expectedId);
  }

  @Test
  void shouldNameTheUnknownIdWhenBytesCarryAnIdOutsideTheCatalog() {
    byte[] bytes = {0, 0, 0, 0x7f, 0x7f, 1, 2, 3};

    assertThatThrownBy(() -> factory.valueSerde(InvoiceChange.class).deserializer().deserialize("t", bytes))
        .hasStackTraceContaining("unknown schema id " + 0x7f7f);
  }

  @Test
  void aRegistryThatCannotBeReachedIsAnOutageNotABadRecord() throws Exception {
    InvoiceChange change = InvoiceFixtures.created(InvoiceFixtures.digitalInvoice("inv-3", 1), 1000);
    byte[] bytes = factory.valueSerde(InvoiceChange.class).serializer().serialize(Topics.CAPTURED.name(), change);
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    SerdeFactory down = SerdeFactory.registry("http://localhost:" + closedPort + "/apis/registry/v3");

    Throwable error = org.assertj.core.api.Assertions.catchThrowable(() ->
        down.valueSerde(InvoiceChange.class).deserializer().deserialize(Topics.CAPTURED.name(), bytes));

    assertThat(error).as("Apicurio's client fails on the refused connection").isNotNull();
    assertThat(SerdeFactory.unreachable(error)).as("classified as the registry's outage: " + error).isTrue();
    // and bytes that cannot be decoded are a bad record, not an outage
    Throwable bad = org.assertj.core.api.Assertions.catchThrowable(() ->
        factory.valueSerde(InvoiceChange.class).deserializer().deserialize("t", new byte[] {0, 0, 0, 0x7f, 0x7f, 1, 2, 3}));
    assertThat(SerdeFactory.unreachable(bad)).isFalse();
  }

  @Test
  void passesApicuriosOwnSettingsToItsSerdesAndNothingElse() {
    SerdeFactory f = SerdeFactory.of("https://registry:8443/apis/registry/v3", Map.of("apicurio.registry.auth.username", "u",
        "apicurio.registry.tls.truststore.location", "/ts.p12", "apicurio.registry.url", "http://elsewhere", "bootstrap.servers", "k:9092",
        "jdbc.password", new org.apache.kafka.common.config.types.Password("x")));
    assertThat(f.registryOptions()).containsOnlyKeys("apicurio.registry.auth.username", "apicurio.registry.tls.truststore.location");
    assertThat(f.registryUrl()).isEqualTo("https://registry:8443/apis/registry/v3");
  }

  @Test
  void shouldRequireAUrlInRegistryMode() {
    assertThatThrownBy(() -> SerdeFactory.registry(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(SerdeFactory.REGISTRY_URL_CONFIG);
    assertThat(SerdeFactory.of(null).usesRegistry()).isFalse();
    assertThat(SerdeFactory.of("http://registry:8080/apis/registry/v3").usesRegistry()).isTrue();
  }
}
