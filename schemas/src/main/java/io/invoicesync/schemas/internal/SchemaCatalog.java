package io.invoicesync.schemas.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Every published version of every contract schema, each with a stable content id. The catalog is
 * read from {@code history/catalog.properties} ({@code id=Name.vN.avsc}); an id, once published, is
 * never reused. Registry-less serdes write these ids; the build's compatibility check makes sure the
 * compiled schemas are the newest entries and stay compatible with every earlier one.
 */
public final class SchemaCatalog {

  /** One published schema version. */
  public record Entry(long id, String name, int version, Schema schema, String text) {
  }

  private static final String BASE = "/io/invoicesync/schemas/history/";
  private static final SchemaCatalog INSTANCE = load();

  private final Map<Long, Entry> byId;
  private final Map<Long, Entry> byFingerprint;
  private final Map<String, List<Entry>> byName;

  private SchemaCatalog(List<Entry> entries) {
    Map<Long, Entry> ids = new HashMap<>();
    Map<Long, Entry> prints = new HashMap<>();
    Map<String, List<Entry>> names = new TreeMap<>();
    for (Entry e : entries) {
      ids.put(e.id(), e);
      prints.put(SchemaNormalization.parsingFingerprint64(e.schema()), e);
      names.computeIfAbsent(e.name(), n -> new ArrayList<>()).add(e);
    }
    names.values().forEach(l -> l.sort((a, b) -> Integer.compare(a.version(), b.version())));
    this.byId = Map.copyOf(ids);
    this.byFingerprint = Map.copyOf(prints);
    names.replaceAll((k, v) -> List.copyOf(v));
    this.byName = Collections.unmodifiableMap(names);
  }

  public static SchemaCatalog get() {
    return INSTANCE;
  }

  public Entry byId(long id) {
    Entry e = byId.get(id);
    if (e == null) {
      throw new IllegalArgumentException("unknown schema id " + id + " (known ids: " + new TreeMap<>(byId).keySet()
          + "); was this record written with a schema registry? configure " + "schema.registry.url to read it");
    }
    return e;
  }

  /** The entry whose parsing form equals {@code schema}'s. */
  public Entry bySchema(Schema schema) {
    Entry e = byFingerprint.get(SchemaNormalization.parsingFingerprint64(schema));
    if (e == null) {
      throw new IllegalArgumentException("schema " + schema.getFullName() + " is not in the schema catalog; "
          + "add it to schemas/src/main/resources" + BASE + "catalog.properties as a new version");
    }
    return e;
  }

  /** Versions of a record (by simple name), oldest first. */
  public List<Entry> versions(String name) {
    return byName.getOrDefault(name, List.of());
  }

  public Map<String, List<Entry>> all() {
    return byName;
  }

  private static SchemaCatalog load() {
    Properties index = new Properties();
    try (InputStream in = SchemaCatalog.class.getResourceAsStream(BASE + "catalog.properties")) {
      if (in == null) {
        throw new IllegalStateException("schema catalog " + BASE + "catalog.properties missing from the classpath");
      }
      index.load(in);
      List<Entry> entries = new ArrayList<>();
      for (String key : index.stringPropertyNames()) {
        long id = Long.parseLong(key.trim());
        String file = index.getProperty(key).trim();
        String[] parts = file.split("\\.");
        if (parts.length != 3 || !parts[1].startsWith("v") || !parts[2].equals("avsc")) {
          throw new IllegalStateException("catalog entry " + key + "=" + file + " is not of the form Name.vN.avsc");
        }
        try (InputStream s = SchemaCatalog.class.getResourceAsStream(BASE + file)) {
          if (s == null) {
            throw new IllegalStateException("catalog entry " + key + " names missing file " + file);
          }
          String text = new String(s.readAllBytes(), StandardCharsets.UTF_8);
          Schema schema = new Schema.Parser().parse(text);
          entries.add(new Entry(id, parts[0], Integer.parseInt(parts[1].substring(1)), schema, text));
        }
      }
      return new SchemaCatalog(entries);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
