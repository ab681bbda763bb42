/** The layer table of docs/ARCHITECTURE.md is enforced by lint: an import that breaks it fails `npm run lint`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => /layer table/.test(m.message)).map((m) => `${m.ruleId}: ${m.message}`);
}

test('an import that breaks the layer table is a lint error (static, re-export and dynamic)', async () => {
  const staticImport = await layerErrors(
    'src/api/layer-probe.ts',
    "import { JobMaster } from '../runtime/jobmanager/job-master.js';\nexport const x = JobMaster;\n",
  );
  assert.equal(staticImport.length, 1, 'the API may not import the runtime');
  assert.match(staticImport[0]!, /no-restricted-imports/);
  const reExport = await layerErrors('src/graph/layer-probe.ts', "export { LocalMiniCluster } from '../cluster/local-mini-cluster.js';\n");
  assert.equal(reExport.length, 1, 'the graph may not re-export the cluster layer');
  const dynamic = await layerErrors('src/api/layer-probe.ts', "export const load = () => import('../cluster/local-executor.js');\n");
  assert.equal(dynamic.length, 1, 'a dynamic import() counts too');
  assert.match(dynamic[0]!, /no-restricted-syntax/);
  const deep = await layerErrors(
    'src/runtime/state/lsm/layer-probe.ts',
    "import type { RestClient } from '../../../../rest/client.js';\nexport type X = RestClient;\n",
  );
  assert.equal(deep.length, 1, 'the runtime may not import the REST layer, however deep the file');
  const metrics = await layerErrors(
    'src/metrics/layer-probe.ts',
    "import type { Task } from '../runtime/taskmanager/task.js';\nexport type T = Task;\n",
  );
  assert.equal(metrics.length, 1, 'the metric system may not import the runtime');
  const client = await layerErrors(
    'src/client/layer-probe.ts',
    "export const p = () => import('../providers/process/process-cluster.js');\n",
  );
  assert.equal(client.length, 1, 'the client reaches providers only through the composition root');
  const fsUp = await layerErrors(
    'src/fs/layer-probe.ts',
    "import { JobMaster } from '../runtime/jobmanager/job-master.js';\nexport const j = JobMaster;\n",
  );
  assert.equal(fsUp.length, 1, 'the file systems may not import the runtime');
  const configFs = await layerErrors('src/config/layer-probe.ts', "export const f = () => import('../fs/index.js');\n");
  assert.equal(configFs.length, 1, 'config sits below the file systems');
  const haUp = await layerErrors(
    'src/ha/layer-probe.ts',
    "import { JobMaster } from '../runtime/jobmanager/job-master.js';\nexport const j = JobMaster;\n",
  );
  assert.equal(haUp.length, 1, 'the HA services do not import the runtime (they stand beside it)');
  const runtimeHa = await layerErrors(
    'src/runtime/layer-probe.ts',
    "import { StorageDir } from '../ha/storage-dir.js';\nexport const s = StorageDir;\n",
  );
  assert.equal(runtimeHa.length, 1, 'the runtime does not import the HA services');
});

test('imports that follow the layer table are not flagged', async () => {
  assert.deepEqual(
    await layerErrors(
      'src/runtime/layer-probe.ts',
      "import { buildJobGraph } from '../graph/job-graph.js';\nexport const b = buildJobGraph;\n",
    ),
    [],
  );
  assert.deepEqual(
    await layerErrors(
      'src/runtime/layer-probe.ts',
      "import { MetricRegistry } from '../metrics/registry.js';\nexport const m = MetricRegistry;\n",
    ),
    [],
    'the runtime may use the metric system',
  );
  assert.deepEqual(
    await layerErrors('src/metrics/layer-probe.ts', "import { WeirError } from '../errors.js';\nexport const e = WeirError;\n"),
    [],
  );
  assert.deepEqual(await layerErrors('src/cli/layer-probe.ts', "export const c = () => import('../cluster/local-executor.js');\n"), []);
  assert.deepEqual(
    await layerErrors('src/rest/layer-probe.ts', "import { RestClient } from './client.js';\nexport const r = RestClient;\n"),
    [],
    'rest/client.ts is not the client layer',
  );
  assert.deepEqual(
    await layerErrors('src/bootstrap.ts', "export const l = () => import('./cluster/local-executor.js');\n"),
    [],
    'the composition root may import any layer',
  );
  for (const layer of ['api', 'connectors', 'runtime', 'rest', 'cli']) {
    assert.deepEqual(
      await layerErrors(
        `src/${layer}/layer-probe.ts`,
        "import { getFileSystem } from '../fs/index.js';\nexport const g = getFileSystem;\n",
      ),
      [],
      `${layer} may use the file systems`,
    );
  }
  assert.deepEqual(
    await layerErrors('src/ha/layer-probe.ts', "import { Configuration } from '../config/index.js';\nexport const c = Configuration;\n"),
    [],
    'the HA services read the configuration',
  );
  assert.deepEqual(
    await layerErrors(
      'src/cluster/layer-probe.ts',
      "import { createHaServices } from '../ha/index.js';\nexport const h = createHaServices;\n",
    ),
    [],
    'the cluster layer wires the HA services to the JobManager',
  );
});
