package io.invoicesync.schemas.internal;

import io.apicurio.registry.resolver.ParsedSchema;
import io.apicurio.registry.resolver.ParsedSchemaImpl;
import io.apicurio.registry.resolver.SchemaLookupResult;
import io.apicurio.registry.resolver.SchemaParser;
import io.apicurio.registry.resolver.SchemaResolver;
import io.apicurio.registry.resolver.client.RegistryClientFacade;
import io.apicurio.registry.resolver.data.Record;
import io.apicurio.registry.resolver.strategy.ArtifactReference;
import io.apicurio.registry.resolver.strategy.ArtifactReferenceResolverStrategy;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * Apicurio {@link SchemaResolver} that resolves from the built-in {@link SchemaCatalog} instead of
 * a registry server: the serializer gets the catalog id of the record's schema, the deserializer
 * gets the writer schema of an id. Only schemas of the contract resolve; anything else fails with
 * a message naming the schema or id.
 */
public final class EmbeddedSchemaResolver<U> implements SchemaResolver<Schema, U> {

  private final SchemaCatalog catalog = SchemaCatalog.get();
  private SchemaParser<Schema, U> parser;
  /**
   * Lookups are cached: rendering a schema to JSON and fingerprinting it per record (what an
   * uncached lookup does) was the hottest code of the whole pipeline in a JFR profile.
   */
  private final ConcurrentMap<Class<?>, SchemaLookupResult<Schema>> byRecordClass = new ConcurrentHashMap<>();
  private final ConcurrentMap<Long, SchemaLookupResult<Schema>> byId = new ConcurrentHashMap<>();

  @Override
  public void configure(Map<String, ?> configs, SchemaParser<Schema, U> schemaParser) {
    this.parser = schemaParser;
  }

  @Override
  public void setClientFacade(RegistryClientFacade clientFacade) {
    // registry-less: there is no client
  }

  @Override
  public void setArtifactResolverStrategy(ArtifactReferenceResolverStrategy<Schema, U> strategy) {
    // artifacts are named by the catalog, not by topic
  }

  @Override
  public SchemaParser<Schema, U> getSchemaParser() {
    return parser;
  }

  @Override
  public SchemaLookupResult<Schema> resolveSchema(Record<U> data) {
    Object payload = data.payload();
    if (payload instanceof SpecificRecord) {
      // a generated class has one schema: look it up once per class
      return byRecordClass.computeIfAbsent(payload.getClass(), c -> lookup(data));
    }
    return lookup(data);
  }

  private SchemaLookupResult<Schema> lookup(Record<U> data) {
    ParsedSchema<Schema> parsed = parser.getSchemaFromData(data);
    SchemaCatalog.Entry entry = catalog.bySchema(parsed.getParsedSchema());
    return result(entry, parsed);
  }

  @Override
  public SchemaLookupResult<Schema> resolveSchemaByArtifactReference(ArtifactReference reference) {
    Long id = reference.getContentId() != null ? reference.getContentId() : reference.getGlobalId();
    if (id == null) {
      throw new IllegalArgumentException("registry-less mode resolves schemas by id only, got " + reference);
    }
    SchemaLookupResult<Schema> cached = byId.get(id);
    if (cached != null) {
      return cached;
    }
    SchemaCatalog.Entry entry = catalog.byId(id);
    ParsedSchemaImpl<Schema> parsed = new ParsedSchemaImpl<Schema>()
        .setParsedSchema(entry.schema())
        .setRawSchema(entry.text().getBytes(StandardCharsets.UTF_8));
    SchemaLookupResult<Schema> result = result(entry, parsed);
    byId.put(id, result);
    return result;
  }

  private static SchemaLookupResult<Schema> result(SchemaCatalog.Entry entry, ParsedSchema<Schema> parsed) {
    return SchemaLookupResult.<Schema>builder()
        .parsedSchema(parsed)
        .contentId(entry.id())
        .globalId(entry.id())
        .groupId("invoice-sync")
        .artifactId(entry.schema().getFullName())
        .version(Integer.toString(entry.version()))
        .build();
  }

  @Override
  public void reset() {
  }

  @Override
  public void close() {
  }
}
