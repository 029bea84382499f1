/** Registry-less schema resolution: the catalog of published schema versions and its Apicurio resolver. */
package io.invoicesync.schemas.internal;
