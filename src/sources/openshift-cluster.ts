import fs from 'node:fs';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { OpenShiftError } from '../errors';
import { expandHome } from '../registry/auth/docker-config';

/** Where a pod finds its service account's token (rotated by the kubelet: read it when needed). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
/** The service CA that signs the integrated registry's certificate, mounted into every OpenShift pod. */
export const SERVICE_CA = '/var/run/secrets/kubernetes.io/serviceaccount/service-ca.crt';

export const IMAGE_GROUP = 'image.openshift.io';
export const IMAGE_VERSION = 'v1';

export interface ClusterConnection {
  api: CustomObjectsApi;
  /** The API server, for messages. */
  server: string;
  /** The bearer token the cluster knows us by: the kubeconfig user's, else the service account's. */
  token(): string | undefined;
}

/**
 * Connects with the kubeconfig file when one is configured (`~` expanded, optional context),
 * else as the pod's service account. Failures name the file or say that no cluster is in reach.
 */
export function connectToCluster(options: { kubeconfig?: string; context?: string; source: string }): ClusterConnection {
  const kc = new KubeConfig();
  if (options.kubeconfig !== undefined) {
    const file = expandHome(options.kubeconfig);
    try {
      kc.loadFromFile(file);
    } catch (e) {
      throw new OpenShiftError(`source ${options.source}: cannot load kubeconfig ${file}: ${(e as Error).message}`, { file }, { cause: e });
    }
    if (options.context !== undefined) {
      if (!kc.getContextObject(options.context)) {
        throw new OpenShiftError(`source ${options.source}: kubeconfig ${file} has no context "${options.context}"`, { file });
      }
      kc.setCurrentContext(options.context);
    }
  } else {
    if (!process.env.KUBERNETES_SERVICE_HOST) {
      throw new OpenShiftError(`source ${options.source}: no kubeconfig is configured and this is not a pod (KUBERNETES_SERVICE_HOST is unset)`);
    }
    kc.loadFromCluster();
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new OpenShiftError(`source ${options.source}: the kubeconfig's current context names no cluster`, { file: options.kubeconfig });
  const user = kc.getCurrentUser();
  return {
    api: kc.makeApiClient(CustomObjectsApi),
    server: cluster.server,
    token: () => user?.token ?? readServiceAccountToken(),
  };
}

function readServiceAccountToken(): string | undefined {
  try {
    return fs.readFileSync(SERVICE_ACCOUNT_TOKEN, 'utf8').trim();
  } catch {
    return undefined;
  }
}
