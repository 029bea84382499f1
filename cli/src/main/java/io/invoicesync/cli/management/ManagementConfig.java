package io.invoicesync.cli.management;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;

/** The management port every {@code run} process serves: health for orchestrators, metrics for Prometheus. Keys under {@code management.}. */
public final class ManagementConfig extends AbstractConfig {

  public static final String PORT = "port";
  public static final String BIND_ADDRESS = "bind.address";
  public static final String INSTANCE = "instance";

  private static final ConfigDef DEF = new ConfigDef()
      .define(PORT, Type.INT, 8081, Range.between(-1, 65535), Importance.HIGH,
          "Management HTTP port: /health/live, /health/ready, /metrics. 0 = any free port (printed at start); -1 = none.")
      .define(BIND_ADDRESS, Type.STRING, "0.0.0.0", Importance.MEDIUM, "Address the management port listens on.")
      .define(INSTANCE, Type.STRING, "", Importance.MEDIUM,
          "Value of the 'instance' tag on every metric; empty = the host name (a container's id under Docker).");

  public ManagementConfig(Map<?, ?> originals) {
    super(DEF, originals, false);
  }

  /** A copy of the definition. */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
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
