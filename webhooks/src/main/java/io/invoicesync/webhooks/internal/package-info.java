/** The webhooks' moving parts: the fan-out from topics to messages, the dispatcher, and the delivery policy (pure). */
package io.invoicesync.webhooks.internal;
