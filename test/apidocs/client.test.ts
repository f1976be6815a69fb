// A client generated from the OpenAPI document with a maintained generator (openapi-typescript) and
// used through openapi-fetch: a few calls the app makes must type-check against it, and wrong ones must
// not (each `@ts-expect-error` fails the compile when the error it expects is gone).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildDocuments } from '../../src/apidocs/index.ts';
import { urlpatterns, websocketUrlpatterns } from '../../src/urls.ts';
import { ROOT } from '../helpers/harness.ts';

const CLIENT = `import createClient from 'openapi-fetch';
import type { paths } from './schema.ts';

const api = createClient<paths>({ baseUrl: 'http://localhost:8000', headers: { Authorization: 'Token x' } });

export async function calls(): Promise<void> {
  const login = await api.POST('/api/user/login/', { body: { email: 'a@akgec.ac.in', password: 'p' } });
  if (login.data) {
    const token: string = login.data.token;
    const missing: Array<'photo' | 'branch' | 'dob' | 'linkedin_url' | 'github_url' | 'bio'> = login.data.missing_fields;
    void token;
    void missing;
  }
  if (login.error) {
    const detail: string = login.error.detail;
    void detail;
  }

  const history = await api.GET('/api/chat/groups/{room_id}/messages/', { params: { path: { room_id: '1' }, query: { before: 363, limit: 50 } } });
  if (history.data && 'results' in history.data) {
    for (const m of history.data.results) {
      const text: string | null = m.content;
      const sender: string = m.sender.first_name;
      void text;
      void sender;
    }
  }

  const rooms = await api.GET('/api/chat/groups/');
  if (rooms.data) {
    const unread: number = rooms.data[0].unread_count;
    void unread;
  }

  await api.POST('/api/chat/group/{room_id}/transfer-ownership/', { params: { path: { room_id: 1 } }, body: { new_owner_id: 4 } });

  // @ts-expect-error the path does not exist
  await api.GET('/api/chat/no-such-route/');
  // @ts-expect-error login takes no GET
  await api.GET('/api/user/login/');
  // @ts-expect-error limit is an integer
  await api.GET('/api/chat/groups/{room_id}/messages/', { params: { path: { room_id: '1' }, query: { limit: 'many' } } });
  const profile = await api.GET('/api/user/profile/detail/');
  // @ts-expect-error the profile has no such field
  void profile.data?.password;
}
`;

describe('a TypeScript client generated from the OpenAPI document', function () {
  this.timeout(120_000);

  it('openapi-typescript generates it, and calls type-check with openapi-fetch (wrong calls do not)', async () => {
    const { openapi } = buildDocuments(urlpatterns, websocketUrlpatterns);
    const dts = astToString(await openapiTS(structuredClone(openapi) as never));
    expect(dts).to.include('"/api/chat/groups/{room_id}/messages/"');

    const dir = path.join(ROOT, 'data/test/apidocs-client');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'schema.ts'), dts);
    fs.writeFileSync(path.join(dir, 'client.ts'), CLIENT);
    const program = ts.createProgram([path.join(dir, 'client.ts')], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where =
        d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
    expect(diagnostics).to.deep.equal([]);
  });
});
