/** Domain errors shared by every door (REST, server actions, CLI); app/_lib/errors.ts maps them to statuses. */

/** The request is valid but clashes with stored state (HTTP 409): a reused id, an item already answered, a lease given away. */
export class ConflictError extends Error {}
