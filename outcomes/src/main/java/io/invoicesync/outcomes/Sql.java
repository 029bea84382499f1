package io.invoicesync.outcomes;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/** Binding of the arguments of a {@link Where} (a tenant's tax ids among them) to a statement. */
public final class Sql {

  private Sql() {
  }

  /** Binds {@code args} from the first parameter on; a {@code String[]} (a tenant's tax ids) becomes a {@code text[]}. */
  public static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i) instanceof String[] ids) {
        ps.setArray(i + 1, ps.getConnection().createArrayOf("text", ids));
      } else {
        ps.setObject(i + 1, args.get(i));
      }
    }
  }
}
