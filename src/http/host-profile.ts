/** Transport settings of one host, registered once and applied to every request to it. */
export interface HostProfile {
  requestsPerSecond?: number;
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  ca?: string;
  /** false = TLS without certificate verification. */
  rejectUnauthorized?: boolean;
}
