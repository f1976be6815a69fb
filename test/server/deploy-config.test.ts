// render.yaml, the Dockerfile and the env names of src/config.ts, checked without a platform or a
// Docker engine (none on this machine): the blueprint sets only variables the server reads, sets every
// one a production deploy needs, with valid literal values and no secret; the Dockerfile is multi-stage,
// installs production dependencies only, runs as a non-root user with node itself as PID 1.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ENV_NAMES, PRODUCTION_ENV_NAMES, loadConfig } from '../../src/config.ts';
import { ROOT } from '../helpers/harness.ts';
import { blueprintProblems, builtEntry, dockerIgnored, dockerfileProblems, dockerStages, readPackageJson } from '../helpers/blueprint.ts';

const RENDER_YAML = fs.readFileSync(path.join(ROOT, 'render.yaml'), 'utf8');
const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
const NODE_MAJOR = fs.readFileSync(path.join(ROOT, '.node-version'), 'utf8').trim();

/** render.yaml with one env entry's lines replaced (or removed, with `by` = ''). */
function withEnv(key: string, by: string): string {
  const re = new RegExp(`      - key: ${key}\\n(?:        .*\\n(?:          .*\\n)*)`, 'm');
  if (!re.test(RENDER_YAML)) throw new Error(`render.yaml has no ${key} entry`);
  return RENDER_YAML.replace(re, by);
}

describe('deployment files', () => {
  describe('src/config.ts env names', () => {
    it('ENV_NAMES is exactly what loadConfig() reads (every branch taken)', () => {
      const read = new Set<string>();
      const recording = (values: Record<string, string>) =>
        new Proxy(values, {
          get(target, key) {
            if (typeof key === 'string') read.add(key);
            return typeof key === 'string' ? target[key] : undefined;
          },
        });
      loadConfig(recording({}));
      loadConfig(
        recording({
          CLOUDINARY_CLOUD_NAME: 'c',
          CLOUDINARY_API_KEY: 'k',
          CLOUDINARY_API_SECRET: 's',
          EMAIL_HOST_USER: 'u@example.com',
          FIREBASE_CREDENTIALS: '{}',
        }),
      );
      expect([...read].sort()).to.deep.equal([...ENV_NAMES].sort());
    });

    it('a production deploy must set the database, Redis, the Django secret, the hosts, the proxy, Cloudinary, mail and push', () => {
      expect(PRODUCTION_ENV_NAMES).to.include.members([
        'DATABASE_URL',
        'REDIS_URL',
        'SECRET_KEY',
        'ALLOWED_HOSTS',
        'TRUST_PROXY',
        'CLOUDINARY_API_SECRET',
        'EMAIL_HOST_PASSWORD',
        'FIREBASE_CREDENTIALS',
      ]);
    });
  });

  describe('render.yaml', () => {
    it('is valid: node runtime, build + start scripts that exist, /healthz, auto-deploy off, env names the server reads, no secret', () => {
      expect(blueprintProblems(RENDER_YAML)).to.deep.equal([]);
      const build = readPackageJson().scripts.build;
      expect(build).to.match(/^tsc -p tsconfig\.build\.json && /);
      expect(build).to.contain("cpSync('src/admin/components', 'dist/admin/components'");
      expect(build).to.match(/&& npm run build:admin$/);
      expect(builtEntry()).to.equal('dist/main.js');
    });

    it('names each problem of a malformed blueprint', () => {
      const cases: Array<[string, string, RegExp]> = [
        [
          'unknown variable (typo)',
          withEnv('LOG_LEVEL', '      - key: LOG_LEVLE\n        value: info\n'),
          /^LOG_LEVLE is not a variable the server reads/,
        ],
        ['required variable missing', withEnv('SECRET_KEY', ''), /^SECRET_KEY is required in production but not set$/],
        ['secret committed', withEnv('SECRET_KEY', '      - key: SECRET_KEY\n        value: "abc"\n'), /^SECRET_KEY is a secret: use sync: false/],
        [
          'invalid literal',
          withEnv('TRUST_PROXY', '      - key: TRUST_PROXY\n        value: "maybe"\n'),
          /^invalid value: TRUST_PROXY must be a boolean/,
        ],
        [
          'unquoted boolean',
          withEnv('TRUST_PROXY', '      - key: TRUST_PROXY\n        value: true\n'),
          /^TRUST_PROXY: value must be a quoted string/,
        ],
        [
          'WEB_CONCURRENCY=0',
          withEnv('WEB_CONCURRENCY', '      - key: WEB_CONCURRENCY\n        value: "0"\n'),
          /^invalid value: WEB_CONCURRENCY must be between 1 and 64/,
        ],
        [
          'WEB_CONCURRENCY=abc',
          withEnv('WEB_CONCURRENCY', '      - key: WEB_CONCURRENCY\n        value: "abc"\n'),
          /^invalid value: WEB_CONCURRENCY must be an integer/,
        ],
        [
          'grace above the platform delay',
          withEnv('SHUTDOWN_GRACE_MS', '      - key: SHUTDOWN_GRACE_MS\n        value: "31000"\n'),
          /^SHUTDOWN_GRACE_MS \(31000\) must stay below maxShutdownDelaySeconds/,
        ],
        [
          'two sources',
          withEnv('CREATE_SCHEMA', '      - key: CREATE_SCHEMA\n        value: "false"\n        sync: false\n'),
          /^CREATE_SCHEMA needs exactly one of/,
        ],
        ['no source', withEnv('CREATE_SCHEMA', '      - key: CREATE_SCHEMA\n'), /^CREATE_SCHEMA needs exactly one of .*; has none$/],
        [
          'set twice',
          withEnv('LOG_LEVEL', '      - key: LOG_LEVEL\n        value: info\n      - key: LOG_LEVEL\n        value: debug\n'),
          /^LOG_LEVEL is set twice$/,
        ],
        [
          'unknown database',
          RENDER_YAML.replace('name: csi-postgres\n          property', 'name: other-db\n          property'),
          /^DATABASE_URL: fromDatabase must name a database/,
        ],
        [
          'Redis from a service of another type',
          RENDER_YAML.replace('type: keyvalue\n          name: csi-redis', 'type: pserv\n          name: csi-redis'),
          /^REDIS_URL: fromService must name a service/,
        ],
        [
          'start through npm',
          RENDER_YAML.replace('startCommand: node dist/main.js', 'startCommand: npm start'),
          /^startCommand must be "node dist\/main.js"/,
        ],
        [
          'build script that does not exist',
          RENDER_YAML.replace('npm ci && npm run build', 'npm ci && npm run compile && npm run build'),
          /^buildCommand runs "compile", which package.json does not define$/,
        ],
        [
          'health check elsewhere',
          RENDER_YAML.replace('healthCheckPath: /healthz', 'healthCheckPath: /api/warmup/'),
          /^healthCheckPath must be \/healthz/,
        ],
        ['auto-deploy on', RENDER_YAML.replace('autoDeploy: false', 'autoDeploy: true'), /^autoDeploy must be false/],
        ['envVars not a list', RENDER_YAML.replace(/ {4}envVars:\n/, '    envVars: none\n    x:\n'), /^envVars must be a list$/],
        ['not YAML', RENDER_YAML.replace('services:', 'services: [\n'), /^not valid YAML/],
      ];
      for (const [name, text, re] of cases) {
        const problems = blueprintProblems(text);
        expect(
          problems.some((p) => re.test(p)),
          `${name}: ${JSON.stringify(problems)}`,
        ).to.equal(true);
      }
    });
  });

  describe('Dockerfile', () => {
    it('is multi-stage, installs production dependencies only, runs node dist/main.js as PID 1 as a non-root user, probes /healthz', () => {
      expect(dockerfileProblems(DOCKERFILE, NODE_MAJOR, DOCKERIGNORE)).to.deep.equal([]);
      expect(dockerStages(DOCKERFILE)).to.have.length(2);
      for (const f of ['node_modules', 'dist/main.js', 'data/pgdata', '.env', '.git/HEAD', 'test/server/build.test.ts', 'fixtures/django-seed.sql'])
        expect(dockerIgnored(DOCKERIGNORE, f), `${f} left out of the build context`).to.equal(true);
      for (const f of ['src/main.ts', 'db/schema.sql', 'scripts/build-admin.ts', 'package-lock.json', 'fixtures/golden/files/tiny.png'])
        expect(dockerIgnored(DOCKERIGNORE, f), `${f} in the build context`).to.equal(false);
    });

    it('every COPY source is in the build context (.dockerignore leaves none out)', () => {
      // `fixtures` was ignored whole while the final stage copies fixtures/golden: `docker build` stops
      // there ("not found"), which no check without an engine saw.
      const problems = dockerfileProblems(DOCKERFILE, NODE_MAJOR, `${DOCKERIGNORE}\nscripts\n`);
      expect(
        problems.some((p) => /COPY scripts: \.dockerignore leaves it out/.test(p)),
        JSON.stringify(problems),
      ).to.equal(true);
      expect(dockerIgnored('fixtures\n!fixtures/golden\n', 'fixtures/golden')).to.equal(false);
      expect(dockerIgnored('fixtures\n!fixtures/golden\n', 'fixtures/other')).to.equal(true);
      expect(dockerIgnored('*.log\n', 'npm-debug.log')).to.equal(true);
      expect(dockerIgnored('**/*.map\n', 'dist/a/b.js.map')).to.equal(true);
      expect(dockerIgnored('dist\n', 'distance')).to.equal(false);
    });

    it("no stage runs package.json's postinstall before it has the files it needs", () => {
      // The stages installed with --ignore-scripts and then ran `npm rebuild`, which runs the root's
      // postinstall too (npm run build:admin): the build stopped on the missing scripts/build-admin.ts.
      const rebuild = DOCKERFILE.replace(
        /RUN npm pkg delete scripts\.postinstall && npm ci --omit=dev[^\n]*/,
        'RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm rebuild && npm cache clean --force',
      );
      expect(rebuild).to.not.equal(DOCKERFILE);
      const problems = dockerfileProblems(rebuild, NODE_MAJOR, DOCKERIGNORE);
      expect(
        problems.some((p) => /"npm rebuild" runs package.json's postinstall/.test(p)),
        JSON.stringify(problems),
      ).to.equal(true);
      const plain = DOCKERFILE.replace('RUN npm pkg delete scripts.postinstall && npm ci --no-audit --no-fund', 'RUN npm ci --no-audit --no-fund');
      expect(plain).to.not.equal(DOCKERFILE);
      expect(dockerfileProblems(plain, NODE_MAJOR).some((p) => /"npm ci --no-audit --no-fund" runs package.json's postinstall/.test(p))).to.equal(
        true,
      );
    });

    it('names each problem of a bad Dockerfile', () => {
      const cases: Array<[string, string, RegExp]> = [
        ['single stage', DOCKERFILE.replace(/# --- run:[\s\S]*/, ''), /^multi-stage build expected/],
        ['dev dependencies', DOCKERFILE.replace('npm ci --omit=dev', 'npm ci'), /^the final stage must install with npm ci --omit=dev$/],
        ['root', DOCKERFILE.replace('USER node', 'USER root'), /^the final stage must switch to a non-root USER$/],
        ['no user', DOCKERFILE.replace('USER node\n', ''), /^the final stage must switch to a non-root USER$/],
        ['shell form', DOCKERFILE.replace('CMD ["node", "dist/main.js"]', 'CMD node dist/main.js'), /^CMD must be the exec form/],
        ['through npm', DOCKERFILE.replace('CMD ["node", "dist/main.js"]', 'CMD ["npm", "start"]'), /^CMD must be the exec form/],
        ['entrypoint', DOCKERFILE.replace('CMD ["node", "dist/main.js"]', 'ENTRYPOINT ["sh", "-c"]\nCMD ["node", "dist/main.js"]'), /^no ENTRYPOINT/],
        ['other node', DOCKERFILE.replace(/node:20-bookworm-slim AS build/, 'node:18-bookworm-slim AS build'), /base image must be node:20/],
        ['no db/', DOCKERFILE.replace('COPY db ./db\n# The', '# The'), /^the final stage must copy db\//],
        ['no health check', DOCKERFILE.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), /^HEALTHCHECK must probe \/healthz$/],
      ];
      for (const [name, text, re] of cases) {
        expect(text, `${name}: the replacement changed nothing`).to.not.equal(DOCKERFILE);
        const problems = dockerfileProblems(text, NODE_MAJOR);
        expect(
          problems.some((p) => re.test(p)),
          `${name}: ${JSON.stringify(problems)}`,
        ).to.equal(true);
      }
    });
  });
});
