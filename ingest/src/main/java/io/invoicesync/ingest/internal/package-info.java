/**
 * Implementation of ingest, one role a class: start-up checks ({@code IssuingDatabaseCheck}), the
 * engine's configuration ({@code EngineProperties}), transaction assembly ({@code TransactionAssembler},
 * with {@code Read}, {@code StructRow} and the mapping), snapshot line loading ({@code SnapshotLineLoader}), the
 * cluster's epoch ({@code ClusterEpochFollower}), publishing ({@code ChangePublisher},
 * {@code OversizeGuard}) and Debezium's notifications ({@code NotificationRelay}).
 */
package io.invoicesync.ingest.internal;
