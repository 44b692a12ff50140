// Errors a caller can act on. `npm start` falls back to the synthetic model on HubUnreachableError only:
// a 401 or a 404 is a configuration mistake the user should see, not something to paper over.

/** The Hub did not answer at all: DNS failure, refused connection, no response within the connect timeout,
 * or the connection kept dropping mid-download after every retry. */
export class HubUnreachableError extends Error {
  override readonly name = "HubUnreachableError";
  constructor(
    readonly hubUrl: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the Hugging Face Hub at ${hubUrl}: ${reason}`, options);
  }
}

/** 401/403: a missing or insufficient HF_TOKEN (private or gated repo). */
export class HubAuthError extends Error {
  override readonly name = "HubAuthError";
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type NotFoundKind = "repo" | "revision" | "file";

/** 404: the repo, the revision or a required file does not exist. */
export class HubNotFoundError extends Error {
  override readonly name = "HubNotFoundError";
  constructor(
    message: string,
    readonly kind: NotFoundKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A downloaded file's size or hash differs from what the Hub listed; the bad file was deleted. */
export class IntegrityError extends Error {
  override readonly name = "IntegrityError";
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${path}: expected ${expected}, got ${actual}; the bad copy was deleted (run again to re-download)`,
    );
  }
}
