/**
 * The options of the high-availability services (Flink's `high-availability.*` keys).
 * Kept beside the main table in options.ts, which spreads them in.
 */
import type { OptionSpec } from './options.js';

export const HA_OPTIONS = {
  'high-availability.type': {
    type: 'enum',
    values: ['none', 'etcd', 'zookeeper', 'kubernetes'],
    default: 'none',
    description:
      'High-availability services: leader election and the job, checkpoint and job result stores (see docs/high-availability.md).',
  },
  'high-availability.storageDir': {
    type: 'string',
    description:
      'Directory (a local path, file:// or s3:// URI) where HA services keep execution plans and the blobs of their jobs (required with HA).',
  },
  'high-availability.cluster-id': {
    type: 'string',
    default: 'default',
    description: 'Id that separates the HA data of clusters sharing one HA service.',
  },
  'high-availability.etcd.endpoints': {
    type: 'list',
    default: ['http://127.0.0.1:2379'],
    description: 'etcd endpoints, separated by ; (with high-availability.type etcd).',
  },
  'high-availability.etcd.path.root': {
    type: 'string',
    default: '/weir',
    description: 'Key prefix under which the clusters keep their HA data in etcd.',
  },
  'high-availability.etcd.lease-ttl': {
    type: 'duration',
    default: '2 s',
    min: 1000,
    description:
      "TTL of the leader's etcd lease (whole seconds; etcd's minimum is 2 s): a leader that stops renewing it loses leadership after this long.",
  },
  'high-availability.zookeeper.quorum': {
    type: 'string',
    default: '127.0.0.1:2181',
    description: 'ZooKeeper connection string host:port,host:port (with high-availability.type zookeeper).',
  },
  'high-availability.zookeeper.path.root': {
    type: 'string',
    default: '/weir',
    description: 'ZooKeeper node under which the clusters keep their HA data.',
  },
  'high-availability.zookeeper.client.session-timeout': {
    type: 'duration',
    default: '2 s',
    min: 500,
    description:
      'ZooKeeper session timeout: a leader whose session expires loses leadership (the server bounds it by 2x and 20x its tickTime).',
  },
  'high-availability.zookeeper.client.connection-timeout': {
    type: 'duration',
    default: '15 s',
    description: 'How long a process waits for its first connection to ZooKeeper before it fails.',
  },
  'high-availability.kubernetes.leader-election.lease-duration': {
    type: 'duration',
    default: '6 s',
    min: 1000,
    description:
      "How long the JobManager leader's Lease stays valid without renewal (high-availability.type kubernetes): a killed or frozen leader is replaced after this long.",
  },
  'high-availability.kubernetes.leader-election.renew-deadline': {
    type: 'duration',
    default: '4 s',
    min: 100,
    description: 'How long the leader may fail to renew its Lease before it gives leadership up (less than the lease duration).',
  },
  'high-availability.kubernetes.leader-election.retry-period': {
    type: 'duration',
    default: '1 s',
    min: 50,
    description: 'How often the leader renews its Lease and standbys try to take it (less than the renew deadline).',
  },
  'high-availability.leader-retrieval.timeout': {
    type: 'duration',
    default: '60 s',
    description: 'How long TaskManagers and clients wait for a leading JobManager before they give up.',
  },
} as const satisfies Record<string, OptionSpec>;
