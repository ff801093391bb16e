import { PatchStrategy, type CustomObjectsApi } from '@kubernetes/client-node';
import { openShiftErrorFrom } from '../sources/openshift-api-error';
import { IMAGE_GROUP, IMAGE_VERSION } from '../sources/openshift-cluster';
import { requestOptions } from '../sources/openshift-request';
import type { AnnotationChanges } from './annotations';

/** The fields of a cluster-scoped `image.openshift.io/v1` Image the enforcer reads. */
export interface ImageObject {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
}

/** The merge patch (RFC 7386) that sets or removes annotations, guarded by the resourceVersion it was computed from. */
export interface ImagePatch {
  metadata: { resourceVersion?: string; annotations: AnnotationChanges };
}

const target = (name: string) => ({ group: IMAGE_GROUP, version: IMAGE_VERSION, plural: 'images', name });

export async function getImage(api: CustomObjectsApi, name: string, timeoutMs?: number): Promise<ImageObject> {
  try {
    return (await api.getClusterCustomObject(target(name), requestOptions({ timeoutMs }))) as ImageObject;
  } catch (e) {
    throw openShiftErrorFrom(e, `reading Image ${name}`, { image: name });
  }
}

/** PATCH /apis/image.openshift.io/v1/images/{name} as application/merge-patch+json. */
export async function patchImage(api: CustomObjectsApi, name: string, patch: ImagePatch, timeoutMs?: number): Promise<ImageObject> {
  try {
    return (await api.patchClusterCustomObject({ ...target(name), body: patch }, requestOptions({ contentType: PatchStrategy.MergePatch, timeoutMs }))) as ImageObject;
  } catch (e) {
    throw openShiftErrorFrom(e, `patching Image ${name}`, { image: name });
  }
}
