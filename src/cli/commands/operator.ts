/**
 * `weir operator`: runs the WeirDeployment controller (docs/kubernetes-operator.md) until SIGTERM
 * or SIGINT. It reaches the API server with kubernetes.config.file (or $KUBECONFIG, the in-cluster
 * service account) and watches kubernetes.operator.watched.namespaces (default: its own
 * kubernetes.namespace).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfiguration } from '../../config/index.js';

interface Options {
  D?: string[];
  confDir?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerOperatorCommand(program: Command): void {
  program
    .command('operator')
    .description('run the Kubernetes operator: reconcile WeirDeployment resources (kubernetes.operator.watched.namespaces)')
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (o: Options) => {
      const config = loadConfiguration({ confDir: resolve(o.confDir ?? process.env.WEIR_CONF_DIR ?? 'conf'), dynamic: o.D ?? [] });
      const [{ kubeApi }, { WeirOperator }, { createLogger }] = await Promise.all([
        import('../../providers/kubernetes/kube-api.js'),
        import('../../providers/kubernetes/operator/operator.js'),
        import('../../cluster/standalone/log.js'),
      ]);
      const log = createLogger('Operator', config.get('weir.log.level'));
      const operator = new WeirOperator({ kubeConfig: kubeApi(config).kubeConfig, config, log });
      await operator.start();
      process.stdout.write(`Weir operator started: watching WeirDeployments in ${operator.namespaces.join(', ')}\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          log.info('stopping the operator');
          void operator.close().then(done);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
