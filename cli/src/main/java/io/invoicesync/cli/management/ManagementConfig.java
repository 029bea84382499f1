package io.invoicesync.cli.management;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

/** The management port every {@code run} process serves: health for orchestrators, metrics for Prometheus. Keys under {@code management.}. */
public final class ManagementConfig extends AbstractConfig {

  public static final String PORT = "port";
  public static final String BIND_ADDRESS = "bind.address";
  public static final String INSTANCE = "instance";
  public static final String AUTH_TOKEN = "auth.token";
  public static final String HEALTH_DETAILS = "health.details";

  private static final ConfigDef DEF = new ConfigDef()
      .define(PORT, Type.INT, 8081, Range.between(-1, 65535), Importance.HIGH,
          "Management HTTP port: /health/live, /health/ready, /metrics. 0 = any free port (printed at start); -1 = none.")
      .define(BIND_ADDRESS, Type.STRING, "127.0.0.1", Importance.MEDIUM, "Address the management port listens on: this machine only "
          + "by default; 0.0.0.0 in a container (the shipped image and compose file set it), where the orchestrator probes it.")
      .define(INSTANCE, Type.STRING, "", Importance.MEDIUM,
          "Value of the 'instance' tag on every metric; empty = the host name (a container's id under Docker).")
      .define(AUTH_TOKEN, Type.PASSWORD, null, Importance.MEDIUM, "A bearer token /metrics requires ('Authorization: Bearer "
          + "<token>'; Prometheus: authorization.credentials). Unset = /metrics is open to whoever reaches the port.")
      .define(HEALTH_DETAILS, Type.STRING, "always", ConfigDef.ValidString.in("always", "when-authorized"), Importance.LOW,
          "'when-authorized': /health/ready tells a caller without the token only UP or DOWN (the status code as ever), not each "
              + "component's state, lag and failure; 'always': everyone sees them.");

  public ManagementConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
  }

  /** A copy of the definition. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  /** The token /metrics (and health details, when so configured) require, or null. */
  public String authToken() {
    Password p = getPassword(AUTH_TOKEN);
    return p == null || p.value().isEmpty() ? null : p.value();
  }

  public boolean healthDetailsAlways() {
    return "always".equals(getString(HEALTH_DETAILS));
  }

  public String instance() {
    String i = getString(INSTANCE);
    if (!i.isBlank()) {
      return i;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
