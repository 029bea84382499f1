package io.invoicesync.cli.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Reads a deployment's configuration as operators expect it, in this order:
 * <ol>
 *   <li>the properties file ({@code --config});</li>
 *   <li>environment variables {@code INVOICESYNC_<KEY>} override it, the key upper-cased with every
 *       character that is not a letter or digit as {@code _}, as Debezium Server maps its own
 *       ({@code INVOICESYNC_PROJECTOR_JDBC_PASSWORD} → {@code projector.jdbc.password});</li>
 *   <li>Kafka's config providers ({@code config.providers}, e.g. {@code ${env:PGPASSWORD}},
 *       {@code ${file:/run/secrets/db.properties:password}}) resolve variables in any value;</li>
 *   <li>every key must be known ({@link ConfigCatalog}): a misspelt one fails, named as the user
 *       wrote it (the environment variable too) with the closest known key.</li>
 * </ol>
 */
public final class ConfigLoader {

  /** Prefix of the environment variables that override keys. */
  public static final String ENV_PREFIX = "INVOICESYNC_";

  private ConfigLoader() {
  }

  /** The file, overridden by {@code env}, variables resolved, every key checked. */
  public static Map<String, String> load(Path file, Map<String, String> env) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      throw new ConfigException("configuration file " + file + " does not exist");
    }
    Map<String, String> values = new TreeMap<>();
    Map<String, String> origin = new HashMap<>();
    p.stringPropertyNames().forEach(k -> {
      values.put(k, p.getProperty(k).trim());
      origin.put(k, file.toString());
    });
    return resolve(values, origin, env);
  }

  private static Map<String, String> resolve(Map<String, String> values, Map<String, String> origin, Map<String, String> env) {
    Map<String, String> envNames = new HashMap<>();
    ConfigCatalog.knownKeys().forEach(k -> envNames.put(envName(k), k));
    new TreeMap<>(env).forEach((name, value) -> {
      if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) {
        return;
      }
      String key = envNames.getOrDefault(name, name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'));
      values.put(key, value.trim());
      origin.put(key, "environment variable " + name);
    });
    for (String key : values.keySet()) {
      if (!ConfigCatalog.accepts(key)) {
        throw new ConfigException(unknown(key, origin.get(key)));
      }
    }
    return resolveVariables(values);
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  private static String unknown(String key, String from) {
    StringBuilder m = new StringBuilder("unknown configuration key '").append(key).append("'");
    if (from != null) {
      m.append(" (").append(from).append(")");
    }
    if (key.equals("apicurio.registry.url")) {
      return m.append(": the registry's address has its own key, set 'schema.registry.url' instead").toString();
    }
    var pass = ConfigCatalog.passThroughOf(key);
    if (pass.isPresent()) {
      m.append(": keys under '").append(pass.get().prefix()).append("' go to ").append(pass.get().target())
          .append(", which does not know '").append(key.substring(pass.get().prefix().length())).append("'");
    }
    ConfigCatalog.closest(key).ifPresentOrElse(
        c -> m.append("; did you mean '").append(c).append("'").append(from != null && from.startsWith("environment") ? " (" + envName(c) + ")" : "")
            .append("?"),
        () -> m.append("; 'invoice-sync config-template' lists every key"));
    return m.toString();
  }

  /** Kafka's own resolution of ${provider:path:key}, with the providers the configuration itself declares. */
  private static Map<String, String> resolveVariables(Map<String, String> values) {
    if (!values.containsKey(AbstractConfig.CONFIG_PROVIDERS_CONFIG)) {
      return values;
    }
    Map<String, Object> providers = new HashMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(AbstractConfig.CONFIG_PROVIDERS_CONFIG)) {
        providers.put(k, v);
      }
    });
    Map<String, String> resolved = new LinkedHashMap<>();
    new AbstractConfig(new ConfigDef(), values, providers, false).originalsStrings().forEach(resolved::put);
    return resolved;
  }
}
