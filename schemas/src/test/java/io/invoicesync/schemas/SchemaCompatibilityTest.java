package io.invoicesync.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.internal.SchemaCatalog;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The build-time schema evolution check. Every contract schema compiled from src/main/avro must be
 * the newest version in the catalog (so a change cannot ship without a new catalog entry and id),
 * and must be backward (new reader, old data) and forward (old reader, new data) compatible with
 * every earlier published version.
 */
class SchemaCompatibilityTest {

  static Stream<Schema> contractSchemas() {
    return Stream.of(InvoiceChange.getClassSchema(), InvoiceState.getClassSchema(),
        InvoiceRejected.getClassSchema(), AuditEntry.getClassSchema(), ProjectionEvent.getClassSchema(),
        AuditCheckpoint.getClassSchema());
  }

  @ParameterizedTest
  @MethodSource("contractSchemas")
  void shouldBeTheNewestCatalogVersion(Schema compiled) {
    List<SchemaCatalog.Entry> versions = SchemaCatalog.get().versions(compiled.getName());
    assertThat(versions).as("catalog versions of " + compiled.getName()).isNotEmpty();
    Schema newest = versions.get(versions.size() - 1).schema();
    assertThat(SchemaNormalization.toParsingForm(compiled))
        .as(compiled.getName() + " changed: add it to the catalog as v" + (versions.size() + 1))
        .isEqualTo(SchemaNormalization.toParsingForm(newest));
  }

  @ParameterizedTest
  @MethodSource("contractSchemas")
  void shouldStayBackwardAndForwardCompatibleWithEveryPublishedVersion(Schema compiled) {
    for (SchemaCatalog.Entry old : SchemaCatalog.get().versions(compiled.getName())) {
      assertThat(SchemaCompatibility.checkReaderWriterCompatibility(compiled, old.schema()).getType())
          .as("backward: " + compiled.getName() + " must read v" + old.version())
          .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
      assertThat(SchemaCompatibility.checkReaderWriterCompatibility(old.schema(), compiled).getType())
          .as("forward: v" + old.version() + " readers must read " + compiled.getName())
          .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }
  }

  @ParameterizedTest
  @MethodSource("contractSchemas")
  void shouldNeverUseFloatingPointForMoney(Schema compiled) {
    assertThat(compiled.toString()).doesNotContain("\"double\"").doesNotContain("\"float\"");
  }
}
