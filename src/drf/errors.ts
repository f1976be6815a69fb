// DRF's exception → response rules and Django's DEBUG=False error pages, in one place.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'detail' in body ? String((body as { detail: unknown }).detail) : `HTTP ${status}`);
  }
}

export const detail = (status: number, text: string) => new ApiError(status, { detail: text });

/** get_object_or_404(Model, ...) — DRF 3.15 passes Django's message through. */
export const noMatch = (model: string) => detail(404, `No ${model} matches the given query.`);
export const notFound = (text = 'Not found.') => detail(404, text);
export const permissionDenied = (text = 'You do not have permission to perform this action.') => detail(403, text);
/** NotAuthenticated / AuthenticationFailed become 403: SessionAuthentication is listed first. */
export const notAuthenticated = () => detail(403, 'Authentication credentials were not provided.');
export const authenticationFailed = (text: string) => detail(403, text);
export const methodNotAllowed = (method: string) => detail(405, `Method "${method}" not allowed.`);
export const parseError = (text: string) => detail(400, `JSON parse error - ${text}`);
export const multipartParseError = (text: string) => detail(400, `Multipart form parse error - ${text}`);
export const unsupportedMediaType = (mediaType: string) => detail(415, `Unsupported media type "${mediaType}" in request.`);
/** serializer.errors / ValidationError bodies, passed through as they are. */
export const validationError = (body: unknown) => new ApiError(400, body);
/** Views of the original that answer their own JSON (e.g. {"message": ...} or {"error": ...}). */
export const jsonError = (status: number, body: unknown) => new ApiError(status, body);

/** Shown instead of a Django HTML 500 where the original crashed on bad input: a clear 4xx. */
export const badRequest = (text: string) => detail(400, text);

function errorPage(title: string, description: string): string {
  return `\n<!doctype html>\n<html lang="en">\n<head>\n  <title>${title}</title>\n</head>\n<body>\n  <h1>${title}</h1><p>${description}</p>\n</body>\n</html>\n`;
}

export const NOT_FOUND_HTML = errorPage('Not Found', 'The requested resource was not found on this server.');
export const SERVER_ERROR_HTML = errorPage('Server Error (500)', '');
export const BAD_REQUEST_HTML = errorPage('Bad Request (400)', '');

/** Thrown where Django would render its HTML 404 page (unresolvable URL). */
export class HtmlNotFound extends Error {}
/** Thrown where the original crashed with Django's HTML 500 page and csi-chat keeps that answer. */
export class HtmlServerError extends Error {}
