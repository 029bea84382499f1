package io.invoicesync.cli;

import java.util.Map;

/** Test access to the package-private template renderer. */
public final class ConfigTemplateAccess {

  private ConfigTemplateAccess() {
  }

  public static String render(Map<String, String> values) {
    return ConfigTemplateCommand.render(values);
  }
}
