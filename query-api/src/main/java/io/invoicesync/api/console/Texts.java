package io.invoicesync.api.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The console's words in one language ({@code console_zh.properties}, {@code console_en.properties},
 * UTF-8): {@code get("key")}, with {@code {0}}, {@code {1}} … replaced by {@code get("key", args)}.
 * A key missing in Chinese falls back to English; a key missing in both is a bug, shown as the key.
 */
public final class Texts {

  private static final Map<String, Properties> BUNDLES = Map.of("zh", load("zh"), "en", load("en"));

  private final String lang;

  private Texts(String lang) {
    this.lang = lang;
  }

  public static Texts of(String lang) {
    return new Texts("zh".equals(lang) ? "zh" : "en");
  }

  /** Chinese when asked first (a {@code lang} value or an Accept-Language header starting with zh), English otherwise. */
  public static String choose(String asked, String acceptLanguage) {
    String v = asked != null && !asked.isBlank() ? asked : acceptLanguage;
    if (v == null || v.isBlank()) {
      return "en";
    }
    String first = v.split(",")[0].split(";")[0].trim();
    return Locale.forLanguageTag(first).getLanguage().equals("zh") ? "zh" : "en";
  }

  public String lang() {
    return lang;
  }

  /** {@code zh-CN} or {@code en}, for the page's {@code lang} attribute. */
  public String htmlLang() {
    return lang.equals("zh") ? "zh-CN" : "en";
  }

  public boolean chinese() {
    return lang.equals("zh");
  }

  public String get(String key, Object... args) {
    String v = BUNDLES.get(lang).getProperty(key);
    if (v == null) {
      v = BUNDLES.get("en").getProperty(key, key);
    }
    for (int i = 0; i < args.length; i++) {
      v = v.replace("{" + i + "}", String.valueOf(args[i]));
    }
    return v;
  }

  /** Whether this language has a text for {@code key}. */
  public boolean has(String key) {
    return BUNDLES.get(lang).containsKey(key) || BUNDLES.get("en").containsKey(key);
  }

  private static Properties load(String lang) {
    Properties p = new Properties();
    try (InputStream in = Texts.class.getResourceAsStream("console_" + lang + ".properties")) {
      if (in == null) {
        throw new IllegalStateException("console_" + lang + ".properties missing from the classpath");
      }
      p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
