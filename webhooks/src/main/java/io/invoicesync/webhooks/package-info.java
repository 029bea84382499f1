/**
 * Webhooks: the pipeline's decisions pushed to ERPs that cannot read Kafka, as Standard Webhooks
 * ({@link io.invoicesync.webhooks.Signatures}), at least once and in order per invoice per endpoint,
 * retried on a schedule, with the delivery state in the query store ({@link io.invoicesync.webhooks.Messages}).
 * Endpoints ({@link io.invoicesync.webhooks.Endpoints}) belong to the taxpayers of the token that
 * registered them. The service ({@link io.invoicesync.webhooks.WebhookService}) wires a fan-out consumer
 * and a dispatcher; the decision of what an attempt's result means is pure
 * ({@link io.invoicesync.webhooks.internal.DeliveryPolicy}).
 */
package io.invoicesync.webhooks;
