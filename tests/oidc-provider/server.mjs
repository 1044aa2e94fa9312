// A real OpenID Provider (node-oidc-provider, pinned in package-lock.json)
// for tokenlane's tests. Started and stopped by tests/oidc/op.py; never a
// production configuration (devInteractions, fixed client secrets).
//
//   node server.mjs --jwks FILE [--alg RS256|ES256|ES384|EdDSA] [--port N]
//
// - Listens on 127.0.0.1 only, on port N (default 0: the OS chooses), and
//   prints one line `listening http://127.0.0.1:PORT` on stdout once it
//   accepts connections; the issuer is that URL. `--port` lets a test restart
//   the provider on the same issuer (key rotation).
// - Signs ID tokens and JWT access tokens with the private keys of the JWKS
//   file (the test writes it, so it controls rotation) using `--alg`.
// - Resource servers (RFC 8707 resource indicators, scopes `read write`):
//     https://api.example/jwt     RFC 9068 JWT access tokens
//     https://api.example/opaque  opaque access tokens (introspection)
//     https://other.example/api   opaque, another API (audience tests)
//     https://mcp.example/mcp     RFC 9068 JWT access tokens for an MCP server
// - Clients (secrets are test fixtures):
//     cc-client / cc-secret   client_credentials, client_secret_basic
//     app-client / app-secret authorization_code + refresh_token
//                             (offline_access), redirect http://127.0.0.1/cb
//     rs-client / rs-secret   the resource server: introspection only
// - Features: devInteractions (login/consent forms), clientCredentials,
//   introspection, revocation, resourceIndicators, dPoP.
// It exits on SIGTERM/SIGINT, or when its stdin closes (the test died).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    jwks: { type: 'string' },
    alg: { type: 'string', default: 'RS256' },
    port: { type: 'string', default: '0' },
  },
});
if (!args.jwks) {
  console.error('usage: node server.mjs --jwks FILE [--alg ALG] [--port N]');
  process.exit(2);
}
const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'];
if (!ALGS.includes(args.alg)) {
  console.error(`--alg must be one of ${ALGS.join(', ')}`);
  process.exit(2);
}
const alg = args.alg;
const jwks = JSON.parse(readFileSync(args.jwks, 'utf8'));

const RESOURCES = {
  'https://api.example/jwt': 'jwt',
  'https://api.example/opaque': 'opaque',
  'https://other.example/api': 'opaque',
  'https://mcp.example/mcp': 'jwt',
};
const SCOPE = 'read write';

const server = createServer();
server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    jwks,
    clients: [
      {
        client_id: 'cc-client',
        client_secret: 'cc-secret',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'app-client',
        client_secret: 'app-secret',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: alg,
      },
      {
        client_id: 'rs-client',
        client_secret: 'rs-secret',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    clientDefaults: { id_token_signed_response_alg: alg },
    enabledJWA: {
      idTokenSigningAlgValues: [alg],
      dPoPSigningAlgValues: ['ES256', 'PS256', 'RS256', 'EdDSA'],
    },
    scopes: ['openid', 'offline_access', 'read', 'write'],
    cookies: { keys: ['tokenlane-test-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A single requested resource is the token's audience.
        defaultResource: (ctx, client, oneOf) => oneOf,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator) => {
          const format = RESOURCES[resourceIndicator];
          if (!format) throw new Provider.errors.InvalidTarget();
          return format === 'jwt'
            ? { scope: SCOPE, accessTokenFormat: 'jwt', jwt: { sign: { alg } } }
            : { scope: SCOPE, accessTokenFormat: 'opaque' };
        },
      },
    },
    // Refresh tokens are issued for offline_access whatever the prompt.
    issueRefreshToken: (ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && code.scopes.has('offline_access'),
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
