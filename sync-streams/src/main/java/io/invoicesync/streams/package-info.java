/**
 * sync-streams: the Kafka Streams application that turns captured changes into validated,
 * deduplicated full invoice states ({@link io.invoicesync.streams.SyncTopology}).
 */
package io.invoicesync.streams;
