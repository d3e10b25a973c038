/** A REST answer: status and JSON body (undefined for 204). */
export interface FakeReply {
  status: number;
  body?: unknown;
}

/** Discord's error body `{ message, code }`, optionally with the `errors` tree of a 50035. */
export function apiError(status: number, code: number, message: string, errors?: unknown): FakeReply {
  return { status, body: errors === undefined ? { message, code } : { message, code, errors } };
}

/** A 50035 "Invalid Form Body" naming one field, as Discord reports validation errors. */
export function invalidField(field: string, errorCode: string, message: string): FakeReply {
  return apiError(400, 50035, 'Invalid Form Body', { [field]: { _errors: [{ code: errorCode, message }] } });
}

export const Errors = {
  unauthorized: (): FakeReply => apiError(401, 0, '401: Unauthorized'),
  notFound: (): FakeReply => apiError(404, 0, '404: Not Found'),
  unknownChannel: (): FakeReply => apiError(404, 10003, 'Unknown Channel'),
  unknownMessage: (): FakeReply => apiError(404, 10008, 'Unknown Message'),
  unknownMember: (): FakeReply => apiError(404, 10007, 'Unknown Member'),
  unknownGuild: (): FakeReply => apiError(404, 10004, 'Unknown Guild'),
  missingAccess: (): FakeReply => apiError(403, 50001, 'Missing Access'),
  missingPermissions: (): FakeReply => apiError(403, 50013, 'Missing Permissions'),
  emptyMessage: (): FakeReply => apiError(400, 50006, 'Cannot send an empty message'),
  notAuthor: (): FakeReply => apiError(403, 50005, 'Cannot edit a message authored by another user'),
  threadExists: (): FakeReply => apiError(400, 160004, 'A thread has already been created for this message'),
  tooLarge: (): FakeReply => apiError(413, 40005, 'Request entity too large'),
  maxPins: (): FakeReply => apiError(400, 30003, 'Maximum number of pins reached'),
} as const;
