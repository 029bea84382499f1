/** Processors, state store format and digests of the sync-streams topology. */
package io.invoicesync.streams.internal;
