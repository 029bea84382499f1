/** Implementation of ingest: start-up checks, transaction assembly, snapshot line loading. */
package io.invoicesync.ingest.internal;
