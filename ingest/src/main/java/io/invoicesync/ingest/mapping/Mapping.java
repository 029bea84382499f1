package io.invoicesync.ingest.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * How an issuing database's own tables become the contract's {@code Invoice}: the header table and
 * the columns that identify an invoice, the lines table with its join to the header and its order,
 * and for every field the mapping fills, where its value comes from ({@link Expr}). Read from a YAML
 * file ({@code ingest.mapping.file}) validated against {@code mapping.schema.json}; our reference
 * schema's mapping is {@link #reference()}. docs/mapping.md explains the format.
 *
 * @param origin where it was read from, for messages
 * @param join            line column -> header column
 * @param emptyTextIsNull an empty or blank text column counts as NULL (platforms that never store NULL write '')
 * @param changedAt       the header's column of when a row last changed (a timestamp), or null: reconcile tells a
 *                        change still in flight from a lost one by it
 */
public record Mapping(String origin, TableName header, List<String> key, TableName lines, Map<String, String> join, List<String> order,
                      Map<Target, Expr> invoice, Map<Target, Expr> line, boolean emptyTextIsNull, String changedAt) {

  /** A table, schema-qualified. */
  public record TableName(String schema, String name) {
    public static TableName parse(String qualified) {
      int dot = qualified.indexOf('.');
      return new TableName(qualified.substring(0, dot), qualified.substring(dot + 1));
    }

    @Override
    public String toString() {
      return schema + "." + name;
    }

    /** The table in SQL, quoted so that the names are taken exactly as the mapping writes them. */
    public String quoted() {
      return quote(schema) + "." + quote(name);
    }
  }

  /** A column in SQL, quoted so that its case is kept (the schema admits plain identifiers only: nothing to escape). */
  public static String quote(String identifier) {
    return "\"" + identifier + "\"";
  }

  /** A mapping file that cannot be used: every problem, each naming where in the file it is. */
  public static final class Invalid extends Exception {
    private final List<String> problems;

    Invalid(String origin, List<String> problems) {
      super(origin + ": " + String.join("; ", problems));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  public Mapping {
    key = List.copyOf(key);
    join = Collections.unmodifiableMap(new LinkedHashMap<>(join)); // in the file's order: the SQL joins in it
    order = List.copyOf(order);
    invoice = ordered(invoice);
    line = ordered(line);
  }

  /** The fields in the contract's order, so that the columns read and the SQL built from them are the same on every run. */
  private static Map<Target, Expr> ordered(Map<Target, Expr> fields) {
    EnumMap<Target, Expr> m = new EnumMap<>(Target.class);
    m.putAll(fields);
    return Collections.unmodifiableMap(m);
  }

  /** The resource of our reference schema's mapping, which users copy for their own tables. */
  public static final String REFERENCE = "/io/invoicesync/ingest/mapping/reference.yaml";

  private static final String SCHEMA = "/io/invoicesync/ingest/mapping/mapping.schema.json";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Schema VALIDATOR = loadSchema();

  private static Schema loadSchema() {
    try (InputStream in = Objects.requireNonNull(Mapping.class.getResourceAsStream(SCHEMA), SCHEMA)) {
      return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in, InputFormat.JSON);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Our reference schema's mapping (issuing.invoice, issuing.invoice_line). */
  public static Mapping reference() {
    try (InputStream in = Objects.requireNonNull(Mapping.class.getResourceAsStream(REFERENCE), REFERENCE)) {
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "reference mapping");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Invalid e) {
      throw new IllegalStateException("the shipped reference mapping is invalid: " + e.getMessage(), e);
    }
  }

  /** A mapping file; {@link Invalid} names every problem with its place in the file. */
  public static Mapping load(Path file) throws IOException, Invalid {
    return parse(Files.readString(file), file.toString());
  }

  /** A mapping from YAML (or JSON) text; {@code origin} names it in messages. */
  public static Mapping parse(String text, String origin) throws Invalid {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new Invalid(origin, List.of("not YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")")));
    } catch (IOException e) {
      throw new Invalid(origin, List.of("not YAML: " + e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw new Invalid(origin, List.of("not a mapping: the file must be a YAML object with version, header, lines, invoice and line"));
    }
    List<Error> errors = VALIDATOR.validate(root);
    if (!errors.isEmpty()) {
      throw new Invalid(origin, describe(errors));
    }
    List<String> problems = new ArrayList<>();
    Map<Target, Expr> invoice = fields(root.get("invoice"), false);
    Map<Target, Expr> line = fields(root.get("line"), true);
    List<String> key = strings(root.get("header").get("key"));
    Map<String, String> join = new LinkedHashMap<>();
    root.get("lines").get("join").fields().forEachRemaining(e -> join.put(e.getKey(), e.getValue().asText()));
    List<String> order = root.get("lines").has("order") ? strings(root.get("lines").get("order")) : List.of();
    Stream.concat(invoice.entrySet().stream(), line.entrySet().stream()).forEach(e -> checkOptions(e.getKey(), e.getValue(), problems));
    if (!problems.isEmpty()) {
      throw new Invalid(origin, problems);
    }
    // a line is attributed to its invoice by the id computed from its join columns: the id may read only columns the lines join on
    List<String> notJoined = invoice.get(Target.ID).columns().stream().filter(c -> !join.containsValue(c)).toList();
    if (!notJoined.isEmpty()) {
      throw new Invalid(origin, List.of("invoice.id: reads " + notJoined + ", which lines.join does not name: a line could not be attributed to "
          + "its invoice (compute the id from the columns the lines join on)"));
    }
    return new Mapping(origin, TableName.parse(root.get("header").get("table").asText()), key,
        TableName.parse(root.get("lines").get("table").asText()), join, order, invoice, line,
        !root.has("emptyTextIsNull") || root.get("emptyTextIsNull").asBoolean(),
        root.get("header").has("changedAt") ? root.get("header").get("changedAt").asText() : null);
  }

  /** The options a value form may have; an unknown one is named when a field's value matches no form. */
  private static final java.util.Set<String> OPTIONS = java.util.Set.of("column", "map", "default", "format", "scale", "percent", "constant",
      "concat", "separator");
  private static final java.util.regex.Pattern UNKNOWN = java.util.regex.Pattern.compile("property '([^']+)' is not defined");

  /** The schema's errors as sentences, one per place in the file ({@code invoice.issueDate}). */
  private static List<String> describe(List<Error> errors) {
    Map<String, List<String>> byPlace = new LinkedHashMap<>();
    for (Error e : errors) {
      String place = e.getInstanceLocation().toString().replaceFirst("^[$/]\\.?/?", "").replace('/', '.');
      byPlace.computeIfAbsent(place.isEmpty() ? "(top level)" : place, k -> new ArrayList<>()).add(message(e));
    }
    List<String> out = new ArrayList<>();
    byPlace.forEach((place, messages) -> out.add(place + ": " + String.join("; ", compact(messages))));
    return out;
  }

  /**
   * A value that matches none of the forms makes the validator explain every form's failure; said
   * once instead, with the options it does not know.
   */
  private static List<String> compact(List<String> messages) {
    if (messages.stream().noneMatch(m -> m.contains("one and only one schema"))) {
      return messages.stream().distinct().toList();
    }
    List<String> unknown = new ArrayList<>();
    for (String m : messages) {
      java.util.regex.Matcher u = UNKNOWN.matcher(m);
      if (u.find() && !OPTIONS.contains(u.group(1)) && !unknown.contains(u.group(1))) {
        unknown.add(u.group(1));
      }
    }
    List<String> out = new ArrayList<>();
    out.add("not a value: give a column's name, {column, map, default, format, scale, percent}, {constant} or {concat, separator}"
        + (unknown.isEmpty() ? "" : " (unknown option " + String.join(", ", unknown.stream().map(n -> "'" + n + "'").toList()) + ")"));
    messages.stream().filter(m -> !m.contains("one and only one schema") && !UNKNOWN.matcher(m).find() && !m.startsWith("required property")
        && !m.endsWith("string expected")).distinct().forEach(out::add);
    return out;
  }

  /** The validator's message without the place it starts with (the place is said once, before it). */
  private static String message(Error e) {
    String m = e.getMessage();
    return (m.startsWith("$") || m.startsWith("/")) && m.contains(": ") ? m.substring(m.indexOf(": ") + 2) : m;
  }

  private static Map<Target, Expr> fields(JsonNode block, boolean line) {
    Map<Target, Expr> out = new EnumMap<>(Target.class);
    Iterator<Map.Entry<String, JsonNode>> it = block.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(Target.of(e.getKey(), line).orElseThrow(), expr(e.getValue())); // the schema admits only the fields Target names
    }
    return out;
  }

  private static Expr expr(JsonNode n) {
    if (n.isTextual()) {
      return Expr.Column.of(n.asText());
    }
    if (n.has("constant")) {
      return new Expr.Constant(n.get("constant").asText());
    }
    if (n.has("concat")) {
      List<Expr> parts = new ArrayList<>();
      n.get("concat").forEach(p -> parts.add(expr(p)));
      return new Expr.Concat(parts, n.has("separator") ? n.get("separator").asText() : "");
    }
    Map<String, String> map = new LinkedHashMap<>();
    if (n.has("map")) {
      n.get("map").fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    }
    return new Expr.Column(n.get("column").asText(), map, n.has("default") ? n.get("default").asText() : null,
        n.has("format") ? n.get("format").asText() : null, n.has("scale") ? n.get("scale").asInt() : 0,
        n.has("percent") && n.get("percent").asBoolean());
  }

  /** Options that make no sense for the field they are given to. */
  private static void checkOptions(Target t, Expr e, List<String> problems) {
    if (!(e instanceof Expr.Column c)) {
      return;
    }
    if (c.format() != null) {
      if (t.kind != Target.Kind.DATE && t.kind != Target.Kind.TIMESTAMP) {
        problems.add(t.path() + ": 'format' is for a date or timestamp; " + t.key + " is " + t.kind.name().toLowerCase());
      } else {
        try {
          java.time.format.DateTimeFormatter.ofPattern(c.format());
        } catch (IllegalArgumentException ex) {
          problems.add(t.path() + ": format '" + c.format() + "' is not a date pattern: " + ex.getMessage());
        }
      }
    }
    if ((c.scale() > 0 || c.percent()) && !t.kind.decimal()) {
      problems.add(t.path() + ": '" + (c.scale() > 0 ? "scale" : "percent") + "' is for an amount or a rate; " + t.key + " is "
          + t.kind.name().toLowerCase());
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The same mapping on other tables (the reference mapping on the tables {@code ingest.source.*} names). */
  public Mapping withTables(TableName header, TableName lines) {
    return new Mapping(origin, header, key, lines, join, order, invoice, line, emptyTextIsNull, changedAt);
  }

  /** Every header column the mapping reads: the key, the join's header side and the invoice's fields. */
  public List<String> headerColumns() {
    return Stream.of(key.stream(), join.values().stream(), Expr.columnsOf(invoice.values().stream()).stream())
        .flatMap(s -> s).distinct().toList();
  }

  /** Every line column the mapping reads: the join's line side, the order and the line's fields. */
  public List<String> lineColumns() {
    return Stream.of(join.keySet().stream(), order.stream(), Expr.columnsOf(line.values().stream()).stream())
        .flatMap(s -> s).distinct().toList();
  }
}
