import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../src/config/load';

const DEPLOY = path.join(__dirname, '../../deploy');

/** Every document of every deploy/*.yaml, by kind. */
function manifests(): Map<string, any> {
  const byKind = new Map<string, any>();
  for (const file of fs.readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(DEPLOY, file), 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      const object = doc.toJS();
      expect(byKind.has(object.kind)).toBe(false);
      byKind.set(object.kind, object);
    }
  }
  return byKind;
}

describe('deploy/ manifests', () => {
  const objects = manifests();
  const deployment = objects.get('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const configMap = objects.get('ConfigMap');
  const config = parseConfigText(configMap.data['config.yaml'], 'deploy/configmap.yaml', {});

  it('has the six objects, none of them pinned to a namespace', () => {
    expect([...objects.keys()].sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'ServiceAccount']);
    for (const object of objects.values()) expect(object.metadata.namespace).toBeUndefined();
  });

  it('grants the ClusterRole exactly the verbs imagewarden uses, and nothing else', () => {
    const grants = objects
      .get('ClusterRole')
      .rules.flatMap((r: any) => r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g}/${res}:${v}`))))
      .sort();
    expect(grants).toEqual(
      [
        'image.openshift.io/imagestreams:get',
        'image.openshift.io/imagestreams:list',
        'image.openshift.io/imagestreams:watch',
        'image.openshift.io/images:get',
        'image.openshift.io/images:patch',
        'image.openshift.io/imagestreams/layers:get',
      ].sort(),
    );
    for (const rule of objects.get('ClusterRole').rules) expect(Object.keys(rule).sort()).toEqual(['apiGroups', 'resources', 'verbs']);
  });

  it('binds that ClusterRole to the service account the Deployment runs as', () => {
    const binding = objects.get('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: objects.get('ClusterRole').metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: objects.get('ServiceAccount').metadata.name, namespace: expect.any(String) }]);
    expect(pod.serviceAccountName).toBe(objects.get('ServiceAccount').metadata.name);
  });

  it('runs one non-root replica, recreated rather than rolled, as `imagewarden daemon`', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.args[0]).toBe('daemon');
  });

  it('probes /readyz and /healthz on the port the config listens on', () => {
    const [port] = container.ports;
    expect(port).toEqual({ name: 'metrics', containerPort: 9464, protocol: 'TCP' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port.name });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port.name });
    const [host, listenPort] = config.http.listen.split(':');
    expect(Number(listenPort)).toBe(port.containerPort);
    // Probes come from the node, not from the loopback interface.
    expect(host).toBe('0.0.0.0');
  });

  it('mounts every volume it declares, the claim and the ConfigMap by their names', () => {
    const volumes = new Map<string, any>(pod.volumes.map((v: any) => [v.name, v]));
    const mounts = new Map<string, any>(container.volumeMounts.map((m: any) => [m.name, m]));
    expect([...mounts.keys()].sort()).toEqual([...volumes.keys()].sort());
    expect(volumes.get('data').persistentVolumeClaim.claimName).toBe(objects.get('PersistentVolumeClaim').metadata.name);
    expect(mounts.get('data').mountPath).toBe('/var/lib/imagewarden');
    expect(volumes.get('config').configMap.name).toBe(configMap.metadata.name);
    const configArg = container.args[container.args.indexOf('--config') + 1];
    expect(configArg).toBe(path.posix.join(mounts.get('config').mountPath, 'config.yaml'));
    expect(Object.keys(configMap.data)).toEqual([path.posix.basename(configArg)]);
  });

  it('carries a valid config: the database and reports on the claim, an in-cluster enforcing openshift source', () => {
    expect(config.database.startsWith('/var/lib/imagewarden/')).toBe(true);
    expect(config.report.directory.startsWith('/var/lib/imagewarden/')).toBe(true);
    expect(config.sources).toEqual([expect.objectContaining({ type: 'openshift', enforce: true, dryRun: false })]);
    const [source] = config.sources;
    expect(source.type === 'openshift' && source.kubeconfig).toBeFalsy();
    expect(source.type === 'openshift' && source.namespaces).toBeUndefined();
    expect(Object.keys(config.schedules).sort()).toEqual(['feeds', 'match', 'report', 'sweep']);
  });
});
