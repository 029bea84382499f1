package io.invoicesync.api.security;

/** The request's credentials are missing or not acceptable; the message says which, never the token itself. */
public final class AuthenticationException extends Exception {

  public AuthenticationException(String message) {
    super(message, null, false, false);
  }
}
