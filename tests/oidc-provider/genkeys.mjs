// Prints a private JWKS with one fresh signing key per KID, made by node's
// crypto (independent of tokenlane), for tests that start server.mjs from a
// language without a JWK library at hand (remote/tests/oidc_provider.rs).
//
//   node genkeys.mjs ALG KID...      ALG: RS256 PS256 ES256 ES384 EdDSA
import { generateKeyPairSync } from 'node:crypto';

const [alg, ...kids] = process.argv.slice(2);
const params = {
  RS256: ['rsa', { modulusLength: 2048 }],
  PS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
  ES384: ['ec', { namedCurve: 'P-384' }],
  EdDSA: ['ed25519', {}],
}[alg];
if (!params || kids.length === 0) {
  console.error('usage: node genkeys.mjs RS256|PS256|ES256|ES384|EdDSA KID...');
  process.exit(2);
}
const keys = kids.map((kid) => {
  const { privateKey } = generateKeyPairSync(...params);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
});
console.log(JSON.stringify({ keys }));
