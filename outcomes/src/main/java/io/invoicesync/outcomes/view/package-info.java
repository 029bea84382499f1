/**
 * One shape per thing on the wire: the records the query API writes and the CLI reads back, both
 * with Jackson. Times are ISO-8601 strings as the API has always shown them, money a
 * {@code BigDecimal} with its scale; unknown properties are ignored on reading.
 */
package io.invoicesync.outcomes.view;
