/**
 * The shell of a consume-and-write loop shared by the projector and the outcome recorder: the loop
 * ({@link io.invoicesync.runtime.ConsumerLoop}), error classification, outage riding, commits, health.
 */
package io.invoicesync.runtime;
