package io.invoicesync.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.invoicesync.schemas.internal.SchemaCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The schemas an ERP reads without our Java classes ({@code schemas/avsc}, also in the jar under
 * {@code avsc/}): one self-contained file per topic schema, every named type inlined, so a generic
 * Avro library (fastavro's {@code load_schema}, Avro's own parser) reads each file alone; every
 * version a registry-less record's id can name, in {@code avsc/versions/}, with {@code ids.json}.
 * They are generated from the catalog: {@code ./mvnw -pl schemas test -Dtest=PublishedSchemasTest
 * -Davsc.write=true} rewrites them after a schema change, and this test fails until that is done.
 */
class PublishedSchemasTest {

  private static final Path DIR = Path.of("avsc");

  @BeforeAll
  static void writeWhenAsked() throws IOException {
    if (!Boolean.getBoolean("avsc.write")) {
      return;
    }
    Files.createDirectories(DIR.resolve("versions"));
    for (Schema s : SchemaCompatibilityTest.contractSchemas().toList()) {
      Files.writeString(DIR.resolve(s.getName() + ".avsc"), newest(s.getName()).text(), StandardCharsets.UTF_8);
    }
    for (List<SchemaCatalog.Entry> versions : SchemaCatalog.get().all().values()) {
      for (SchemaCatalog.Entry e : versions) {
        Files.writeString(DIR.resolve("versions").resolve(file(e)), e.text(), StandardCharsets.UTF_8);
      }
    }
    Files.writeString(DIR.resolve("ids.json"), idsJson(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @MethodSource("io.invoicesync.schemas.SchemaCompatibilityTest#contractSchemas")
  void shouldPublishEachTopicSchemaSelfContainedAndCurrent(Schema compiled) throws IOException {
    Path file = DIR.resolve(compiled.getName() + ".avsc");
    assertThat(file).as(file + " is missing: regenerate with -Davsc.write=true").exists();
    String text = Files.readString(file, StandardCharsets.UTF_8);
    Schema alone = new Schema.Parser().parse(text); // a parser that knows no other type: every named type must be inlined
    assertThat(SchemaNormalization.toParsingForm(alone)).as(file + " is not the compiled " + compiled.getName()
        + ": regenerate with -Davsc.write=true").isEqualTo(SchemaNormalization.toParsingForm(compiled));
    assertThat(text).isEqualTo(newest(compiled.getName()).text());
  }

  @Test
  void shouldPublishEveryVersionARecordsIdCanName() throws IOException {
    assertThat(Files.readString(DIR.resolve("ids.json"), StandardCharsets.UTF_8)).as("avsc/ids.json: regenerate with -Davsc.write=true")
        .isEqualTo(idsJson());
    for (List<SchemaCatalog.Entry> versions : SchemaCatalog.get().all().values()) {
      for (SchemaCatalog.Entry e : versions) {
        Path file = DIR.resolve("versions").resolve(file(e));
        assertThat(file).exists();
        Schema alone = new Schema.Parser().parse(Files.readString(file, StandardCharsets.UTF_8));
        assertThat(SchemaNormalization.parsingFingerprint64(alone)).as(file.toString())
            .isEqualTo(SchemaNormalization.parsingFingerprint64(e.schema()));
      }
    }
  }

  @Test
  void shouldPackageThemInTheJar() {
    assertThat(PublishedSchemasTest.class.getResource("/avsc/InvoiceState.avsc")).as("avsc/ in the schemas jar").isNotNull();
    assertThat(PublishedSchemasTest.class.getResource("/avsc/ids.json")).isNotNull();
  }

  @Test
  void shouldDecodeARegistryLessRecordWithThePublishedFileAlone() throws IOException {
    ProjectionEvent event = ProjectionEvent.newBuilder().setInvoiceId("inv-1").setEvent("PROJECTED").setVersion(3).setDecidedAt(java.time.Instant.ofEpochMilli(1)).build();
    byte[] bytes;
    try (var serializer = SerdeFactory.registryLess().valueSerde(ProjectionEvent.class).serializer()) {
      bytes = serializer.serialize(Topics.PROJECTION.name(), event);
    }
    // what avsc/README.md tells an ERP: magic byte 0, a 4-byte big-endian id (ids.json), then Avro binary
    assertThat(bytes[0]).isZero();
    int id = java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt();
    assertThat(id).isEqualTo(newest("ProjectionEvent").id());
    // as a consumer finds it: the id's entry in ids.json names the file
    java.util.regex.Matcher entry = java.util.regex.Pattern.compile("\"" + id + "\" : \\{[^}]*\"file\" : \"([^\"]+)\"")
        .matcher(Files.readString(DIR.resolve("ids.json"), StandardCharsets.UTF_8));
    assertThat(entry.find()).as("id " + id + " in ids.json").isTrue();
    Schema writer = new Schema.Parser().parse(DIR.resolve(entry.group(1)).toFile());
    var reader = new org.apache.avro.generic.GenericDatumReader<org.apache.avro.generic.GenericRecord>(writer);
    var decoded = reader.read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
    assertThat(decoded.get("invoiceId").toString()).isEqualTo("inv-1");
    assertThat(decoded.get("version")).isEqualTo(3);
  }

  private static SchemaCatalog.Entry newest(String name) {
    List<SchemaCatalog.Entry> versions = SchemaCatalog.get().versions(name);
    return versions.get(versions.size() - 1);
  }

  private static String file(SchemaCatalog.Entry e) {
    return e.name() + ".v" + e.version() + ".avsc";
  }

  /**
   * Schema id (the 4 bytes after the magic byte of a registry-less record) to the file of its writer's schema, as ids.json holds it
   * (written here by hand, in the layout of Jackson's pretty printer, so the file and this test need no JSON library).
   */
  private static String idsJson() {
    Map<Long, SchemaCatalog.Entry> byId = new TreeMap<>();
    for (List<SchemaCatalog.Entry> versions : SchemaCatalog.get().all().values()) {
      for (SchemaCatalog.Entry e : versions) {
        byId.put(e.id(), e);
      }
    }
    StringBuilder json = new StringBuilder("{\n");
    int i = 0;
    for (Map.Entry<Long, SchemaCatalog.Entry> e : byId.entrySet()) {
      json.append("  \"").append(e.getKey()).append("\" : {\n")
          .append("    \"name\" : \"").append(e.getValue().name()).append("\",\n")
          .append("    \"version\" : ").append(e.getValue().version()).append(",\n")
          .append("    \"file\" : \"versions/").append(file(e.getValue())).append("\"\n")
          .append("  }").append(++i < byId.size() ? "," : "").append("\n");
    }
    return json.append("}\n").toString();
  }
}
