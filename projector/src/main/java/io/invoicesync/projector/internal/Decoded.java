package io.invoicesync.projector.internal;

import io.invoicesync.schemas.InvoiceState;
import java.util.Objects;

/** A record of the synced or retry topic: its state, or why its bytes are no state (a poison pill). */
public sealed interface Decoded permits Decoded.Ok, Decoded.Poison {

  /** The record's state. */
  record Ok(InvoiceState state) implements Decoded {
    public Ok {
      Objects.requireNonNull(state, "state");
    }
  }

  /** Bytes that do not decode (or decode to nothing), and why: never worth another attempt. */
  record Poison(RuntimeException error) implements Decoded {
    public Poison {
      Objects.requireNonNull(error, "error");
    }
  }
}
