/**
 * The projector's decisions and state without I/O: {@link io.invoicesync.projector.internal.ProjectionPolicy}
 * (what happens to a record), {@link io.invoicesync.projector.internal.RetryState} (what waits on the
 * retry topic) and {@link io.invoicesync.projector.internal.Decoded} (a record's state or poison pill).
 * Not an interface: the shell in {@code io.invoicesync.projector} drives them, unit tests too.
 */
package io.invoicesync.projector.internal;
