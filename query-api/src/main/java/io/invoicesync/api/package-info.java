/** query-api: HTTP/JSON read side over the query store ({@link io.invoicesync.api.QueryApiServer}). */
package io.invoicesync.api;
