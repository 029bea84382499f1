/**
 * Trace: where one invoice is and why ({@link TraceService}), from the query store, the outcome
 * tables ({@link OutcomeTables}) and the issuing database ({@link SourceProbe}); the verdict is pure
 * ({@link TraceVerdict}). Also the pipeline as a whole: freshness, lag and counts ({@link PipelineStatus}).
 */
package io.invoicesync.outcomes.trace;
