// Serving the API documents (opt-in, API_DOCS=true; the original has no such paths and answers its 404):
//   GET /api/schema/                 OpenAPI 3.1, YAML (application/vnd.oai.openapi) — drf-spectacular's
//                                    SpectacularAPIView conventions: ?format=json or an Accept of
//                                    application/vnd.oai.openapi+json / application/json gives JSON
//   GET /api/schema/asyncapi/        AsyncAPI 3.0 of the sockets, the same negotiation
//   GET /api/docs/                   Swagger UI (the swagger-ui-dist package, served from here: no CDN)
// The documents are built and written out (YAML and JSON) once per server from the URL tables: the OpenAPI
// document is ~360 KB of YAML whose dump takes 60-240 ms of the event loop, which every anonymous GET would
// otherwise pay again (and every socket of the process with it).
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { dump as yamlDump } from 'js-yaml';

export const SCHEMA_PATH = '/api/schema/';
export const ASYNCAPI_PATH = '/api/schema/asyncapi/';
export const DOCS_PATH = '/api/docs/';

const SWAGGER_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png', 'favicon-16x16.png'];

function swaggerUiDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const DOCS_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>csi-chat API</title>
<link rel="stylesheet" href="assets/swagger-ui.css">
<link rel="icon" type="image/png" href="assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="assets/swagger-ui-bundle.js"></script>
<script src="assets/swagger-ui-standalone-preset.js"></script>
<script src="assets/init.js"></script>
</body>
</html>
`;

// validatorUrl: null — Swagger UI's default shows a badge image fetched from validator.swagger.io with the
// document's URL in it on every host but localhost: an outside request (and a leak of the server's address)
// from a page that must work offline.
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: '${SCHEMA_PATH}?format=json',
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

/** JSON when asked by ?format=json or the Accept header, else YAML (drf-spectacular's default); null for a
 * ?format= no renderer of SpectacularAPIView has (DRF's negotiation then raises Http404). */
export function wantsJson(req: Request): boolean | null {
  const format = typeof req.query.format === 'string' ? req.query.format : undefined;
  if (format) return format === 'json' ? true : format === 'yaml' ? false : null;
  const accept = req.headers.accept ?? '';
  return /application\/(vnd\.oai\.openapi\+json|json)/.test(accept) && !/application\/(vnd\.oai\.openapi|yaml)(?![+\w])/.test(accept);
}

/** A document written out once, in both formats. */
interface RenderedDocument {
  yaml: Buffer;
  json: Buffer;
}

function render(doc: object): RenderedDocument {
  return { yaml: Buffer.from(yamlDump(doc, { noRefs: true, lineWidth: -1 })), json: Buffer.from(JSON.stringify(doc, null, 2)) };
}

function sendDocument(req: Request, res: Response, doc: RenderedDocument, types: { yaml: string; json: string }): void {
  const asJson = wantsJson(req);
  if (asJson === null) {
    // DRF renders the 404 with the view's first renderer, the YAML one: `detail: Not found.`
    res.status(404);
    res.setHeader('Content-Type', types.yaml);
    res.end('detail: Not found.\n');
    return;
  }
  res.status(200);
  res.setHeader('Content-Type', asJson ? types.json : types.yaml);
  res.setHeader('Vary', 'Accept');
  res.end(asJson ? doc.json : doc.yaml);
}

export const OPENAPI_TYPES = { yaml: 'application/vnd.oai.openapi; charset=utf-8', json: 'application/vnd.oai.openapi+json; charset=utf-8' };
export const ASYNCAPI_TYPES = { yaml: 'application/yaml; charset=utf-8', json: 'application/json; charset=utf-8' };

/** Express routes of the documents and the page. */
export function apiDocsRouter(documents: { openapi: object; asyncapi: object }): Router {
  const router = express.Router({ strict: true });
  const openapi = render(documents.openapi);
  const asyncapi = render(documents.asyncapi);
  router.get(SCHEMA_PATH, (req, res) => sendDocument(req, res, openapi, OPENAPI_TYPES));
  router.get(ASYNCAPI_PATH, (req, res) => sendDocument(req, res, asyncapi, ASYNCAPI_TYPES));
  router.get(DOCS_PATH, (_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(DOCS_HTML);
  });
  router.get(`${DOCS_PATH}assets/init.js`, (_req, res) => {
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.end(INIT_JS);
  });
  const dir = swaggerUiDir();
  for (const file of SWAGGER_FILES) {
    router.get(`${DOCS_PATH}assets/${file}`, (_req, res) => res.sendFile(path.join(dir, file)));
  }
  return router;
}
