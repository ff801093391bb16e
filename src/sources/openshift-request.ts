import { Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

/** How long one API request may take: a hung API server must fail a namespace or an image, not stall the sweep. */
export const API_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Per-request options for the Kubernetes client: a deadline on every request (the client sets
 * none of its own) and, for patches, the content type that selects the patch strategy.
 */
export function requestOptions(options: { contentType?: string; timeoutMs?: number } = {}): ConfigurationOptions {
  const timeoutMs = options.timeoutMs ?? API_REQUEST_TIMEOUT_MS;
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          if (options.contentType !== undefined) request.setHeaderParam('Content-Type', options.contentType);
          request.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
