/**
 * The container image recipe (deploy/docker/Dockerfile), checked statically since no image can be
 * built here: the entrypoint is the package's `weir` command, every file it copies exists and is
 * not excluded by .dockerignore, the ports it exposes are those its conf/config.yaml sets (and
 * Weir's defaults), it runs as a non-root user, and its tag is the one the chart and the
 * Kubernetes provider default to.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Configuration } from '../../src/config/configuration.js';
import { optionSpec } from '../../src/config/options.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const DOCKERFILE = join(ROOT, 'deploy/docker/Dockerfile');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  engines: { node: string };
  files: string[];
  scripts: Record<string, string>;
};

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), with their stage. */
function instructions(): Instruction[] {
  const joined = readFileSync(DOCKERFILE, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = -1;
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!.trim(), stage });
  }
  return out;
}

const all = instructions();
const lastStage = Math.max(...all.map((i) => i.stage));
const final = all.filter((i) => i.stage === lastStage);
const one = (op: string, list = final): Instruction => {
  const found = list.filter((i) => i.op === op);
  assert.equal(found.length, 1, `one ${op} in the final stage`);
  return found[0]!;
};

/** .dockerignore as prefix patterns (the recipe's file uses only plain paths and `**` prefixes). */
function ignored(path: string): boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return patterns.some((p) => {
    if (p.startsWith('**/')) return path.split('/').includes(p.slice(3));
    if (p.startsWith('*.')) return path.endsWith(p.slice(1));
    return path === p || path.startsWith(`${p}/`);
  });
}

test('the entrypoint is the weir command of package.json bin, linked onto PATH', () => {
  assert.deepEqual(JSON.parse(one('ENTRYPOINT').args), ['weir']);
  const target = pkg.bin.weir;
  assert.ok(target, 'package.json bin has weir');
  const file = join(ROOT, target);
  assert.ok(existsSync(file), `${target} exists`);
  assert.match(readFileSync(file, 'utf8'), /^#!\/usr\/bin\/env node\n/, `${target} starts with a node shebang`);
  assert.ok(pkg.files.includes(target.split('/')[0]!), `${target} is in the packed files`);
  const run = final
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join(' ');
  assert.ok(run.includes(`ln -s /opt/weir/${target} /usr/local/bin/weir`), 'weir is linked into /usr/local/bin');
  assert.ok(run.includes(`chmod 0755 ${target}`), `${target} is made executable`);
});

test('the base image is a Node.js the package supports, in every stage', () => {
  const min = Number(/>=\s*(\d+)/.exec(pkg.engines.node)![1]);
  const froms = all.filter((i) => i.op === 'FROM');
  assert.ok(froms.length >= 2, 'a build and a runtime stage');
  for (const f of froms) {
    const m = /^node:(\d+)-bookworm-slim\b/.exec(f.args);
    assert.ok(m, `FROM ${f.args} is a node:<major>-bookworm-slim image`);
    assert.ok(Number(m[1]) >= min, `node ${m[1]} satisfies engines ${pkg.engines.node}`);
  }
});

test('every file the recipe copies from the context exists and is not excluded by .dockerignore', () => {
  const copies = all.filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
  assert.ok(copies.length > 0);
  const sources = copies.flatMap((c) =>
    c.args
      .split(/\s+/)
      .filter((w) => !w.startsWith('--'))
      .slice(0, -1),
  );
  for (const s of sources) {
    const path = s.replace(/^\.\//, '').replace(/\/$/, '');
    assert.ok(existsSync(join(ROOT, path)), `COPY source ${s} exists`);
    assert.ok(!ignored(path), `COPY source ${s} is not excluded by .dockerignore`);
  }
  // What `npm run build` reads is copied into the build stage.
  for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'bin', 'web', 'scripts']) {
    assert.ok(
      sources.some((s) => s.replace(/^\.\//, '') === needed),
      `the build stage copies ${needed}`,
    );
  }
  for (const script of pkg.scripts.build!.match(/scripts\/[\w.-]+/g) ?? []) {
    assert.ok(statSync(join(ROOT, script)).isFile(), `${script} of npm run build exists`);
  }
});

test('the production dependencies are installed from the lock file, without the build', () => {
  const run = final
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join(' ');
  assert.match(run, /npm ci --omit=dev/);
  assert.match(run, /npm pkg delete scripts\.prepare/, 'prepare (the build) would need the dev dependencies');
});

test('it runs as a non-root user with its configuration in /opt/weir/conf', () => {
  const user = one('USER').args.split(':')[0]!;
  assert.ok(!['root', '0'].includes(user), `USER ${user} is not root`);
  assert.equal(one('WORKDIR').args, '/opt/weir');
  assert.match(one('ENV').args, /WEIR_CONF_DIR=\/opt\/weir\/conf\b/);
  assert.ok(final.some((i) => i.op === 'COPY' && i.args === 'deploy/docker/config.yaml /opt/weir/conf/config.yaml'));
});

test('the exposed ports are those of the image configuration, which are Weir defaults where Weir has fixed ones', () => {
  const exposed = one('EXPOSE')
    .args.split(/\s+/)
    .map(Number)
    .sort((a, b) => a - b);
  const conf = Configuration.fromYamlFile(join(ROOT, 'deploy/docker/config.yaml'));
  const prom = String(conf.get('metrics.reporter.prom.port'));
  const ports = [conf.get('rest.port'), conf.get('jobmanager.rpc.port'), conf.get('taskmanager.data.port'), Number(prom)];
  assert.deepEqual(
    exposed,
    [...ports].sort((a, b) => a - b),
  );
  assert.equal(conf.get('rest.port'), optionSpec('rest.port').default);
  assert.equal(conf.get('jobmanager.rpc.port'), optionSpec('jobmanager.rpc.port').default);
  // The Prometheus port is the first of the default range.
  assert.equal(prom, String(optionSpec('metrics.reporter.prom.port').default).split('-')[0]);
  assert.deepEqual(exposed, [6123, 6124, 8081, 9249]);
});

test("the image's tag is Weir's version, which the chart and kubernetes.container.image default to", () => {
  const chart = parse(readFileSync(join(ROOT, 'deploy/helm/weir-operator/Chart.yaml'), 'utf8')) as { appVersion: string };
  const values = parse(readFileSync(join(ROOT, 'deploy/helm/weir-operator/values.yaml'), 'utf8')) as {
    image: { repository: string; tag: string };
  };
  assert.equal(chart.appVersion, pkg.version, 'Chart.yaml appVersion is package.json version');
  assert.equal(values.image.tag, '', 'the chart defaults the tag to appVersion');
  assert.equal(`${values.image.repository}:${chart.appVersion}`, optionSpec('kubernetes.container.image').default);
  assert.match(readFileSync(DOCKERFILE, 'utf8'), new RegExp(`-t weir:${pkg.version.replace(/\./g, '\\.')} `));
});
