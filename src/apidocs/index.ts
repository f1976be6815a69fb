// The API documents of a URL table: OpenAPI 3.1 for REST, AsyncAPI 3.0 for the sockets, with examples
// from the golden transcripts when the checkout has them (fixtures/golden/). Served by serve.ts when
// API_DOCS=true, written to files by `npm run schema`.
import path from 'node:path';
import { dump as yamlDump } from 'js-yaml';
import type { UrlPattern } from '../drf/router.ts';
import type { ApiViewFn } from '../drf/api.ts';
import type { UpgradeHandler } from '../realtime/router.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { buildOpenApi } from './openapi.ts';
import { buildAsyncApi } from './asyncapi.ts';
import { loadGoldenExamples } from './examples.ts';

export interface ApiDocuments {
  openapi: ReturnType<typeof buildOpenApi>;
  asyncapi: ReturnType<typeof buildAsyncApi>;
}

export const GOLDEN_DIR = path.join(PACKAGE_ROOT, 'fixtures', 'golden');

export function buildDocuments(
  urlpatterns: readonly UrlPattern<ApiViewFn>[],
  websocketUrlpatterns: readonly UrlPattern<UpgradeHandler>[],
  goldenDir: string | null = GOLDEN_DIR,
): ApiDocuments {
  const examples = goldenDir ? loadGoldenExamples(goldenDir, urlpatterns) : undefined;
  return { openapi: buildOpenApi(urlpatterns, examples), asyncapi: buildAsyncApi(websocketUrlpatterns, examples?.frames) };
}

/** The files `npm run schema` writes: name → text. */
export function documentFiles(docs: ApiDocuments): Record<string, string> {
  const y = (d: object) => yamlDump(d, { noRefs: true, lineWidth: -1 });
  return {
    'openapi.yaml': y(docs.openapi),
    'openapi.json': JSON.stringify(docs.openapi, null, 2) + '\n',
    'asyncapi.yaml': y(docs.asyncapi),
    'asyncapi.json': JSON.stringify(docs.asyncapi, null, 2) + '\n',
  };
}
