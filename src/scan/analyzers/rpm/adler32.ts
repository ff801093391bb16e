const MOD = 65521;
// Largest run of bytes whose sums stay exact before reducing (zlib's NMAX).
const RUN = 5552;

/** Adler-32 (RFC 1950) of `data`, the checksum rpm's NDB keeps in each blob's tail. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let start = 0; start < data.length; start += RUN) {
    const end = Math.min(start + RUN, data.length);
    for (let i = start; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}
