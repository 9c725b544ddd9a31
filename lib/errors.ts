/** Domain errors shared by every door (REST, server actions, CLI); app/_lib/errors.ts maps them to statuses. */

/** The request is valid but clashes with stored state (HTTP 409): a reused id, an item already answered, a lease given away. */
export class ConflictError extends Error {}

/** The request is well formed but cannot be carried out on the stored data (HTTP 400), e.g. an export of a project with no comparisons. */
export class InvalidRequestError extends Error {}
