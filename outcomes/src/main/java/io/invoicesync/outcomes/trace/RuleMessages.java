package io.invoicesync.outcomes.trace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Localized rule messages, per stable rule code ({@code rule-messages_<lang>.properties}, UTF-8).
 * Messages stay English in the rejection itself; a localized one is added beside it on request.
 */
public final class RuleMessages {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Properties> BY_LANGUAGE = new ConcurrentHashMap<>();

  private RuleMessages() {
  }

  /** The language asked for ({@code lang} parameter first, then Accept-Language), or null for English. */
  public static String language(String langParam, String acceptLanguage) {
    String v = langParam != null && !langParam.isBlank() ? langParam : acceptLanguage;
    if (v == null || v.isBlank()) {
      return null;
    }
    String first = v.split(",")[0].split(";")[0].trim();
    String lang = Locale.forLanguageTag(first).getLanguage();
    return lang.isEmpty() || lang.equals("en") || messages(lang).isEmpty() ? null : lang;
  }

  /** Adds {@code localizedMessage} to each violation (maps with code, field, value, expected) that has one in {@code lang}. */
  @SuppressWarnings("unchecked")
  public static void localize(List<?> violations, String lang) {
    if (lang == null || violations == null) {
      return;
    }
    Properties p = messages(lang);
    for (Object o : violations) {
      Map<String, Object> v = (Map<String, Object>) o;
      String template = p.getProperty(String.valueOf(v.get("code")));
      if (template != null) {
        v.put("localizedMessage", template.replace("{field}", str(v.get("field"))).replace("{value}", str(v.get("value")))
            .replace("{expected}", str(v.get("expected"))));
      }
    }
  }

  /** Violations read back from jsonb (which orders keys its own way) in the order of the contract: code, field, value, expected, message. */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> ordered(List<?> violations) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : violations) {
      Map<String, Object> v = (Map<String, Object>) o;
      Map<String, Object> m = new LinkedHashMap<>();
      for (String k : List.of("code", "field", "value", "expected", "message")) {
        m.put(k, v.get(k));
      }
      out.add(m);
    }
    return out;
  }

  /** {@code invoice_rejection.violations} (jsonb, which orders keys its own way) as maps in the contract's key order; {@code id} names the row in the error. */
  public static List<Map<String, Object>> stored(String json, String id) {
    try {
      return ordered(JSON.readValue(json, List.class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("invoice_rejection.violations of " + id + " is not JSON", e);
    }
  }

  private static Properties messages(String lang) {
    if (!lang.matches("[a-z]{2,3}")) {
      return new Properties(); // not a language subtag: nothing to load, nothing cached
    }
    return BY_LANGUAGE.computeIfAbsent(lang, l -> {
      Properties p = new Properties();
      try (InputStream in = RuleMessages.class.getResourceAsStream("/io/invoicesync/outcomes/trace/rule-messages_" + l + ".properties")) {
        if (in != null) {
          p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return p;
    });
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
