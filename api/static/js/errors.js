// The errors the browser's modules throw, named as coop/errors.py names their Python twins, so a page
// can tell a person's mistake (BadInput: say what to change) from the node's answer (ApiError).

/** A value the node would refuse: not canonical JSON, or not a well-formed statement. */
export class BadInput extends Error {
  constructor(message) {
    super(message);
    this.name = "BadInput";
  }
}

/** An error answer of the node's API, with its HTTP status and the code of its JSON error shape. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}
