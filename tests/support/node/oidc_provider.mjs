// A real OpenID provider for opspor's log-in tests: panva's oidc-provider (certified OpenID
// Connect implementation) on 127.0.0.1, port chosen by the system.
//
//   node oidc_provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris"}],
//               "accounts": {"<login>": {<claims>}}}
// A client is a "native" application, so its loopback redirect URIs may have any port (RFC 8252
// 7.3): the test server's port is not known when the provider starts. Log-in is the provider's
// development interaction (any login name, any password, then "Continue"); the account's claims
// are those of CONFIG.json's entry for the login name. Each start makes a new RSA signing key
// with the same key id, so two providers sign with different keys under one name (the refused
// signature test). Prints one JSON line {"issuer": ...} on stdout when it listens.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'opspor-test-key', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      application_type: 'native',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      ...c,
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ['opspor-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email'],
      ssn: ['dk.cpr'],
      roles: ['roles', 'organisation'],
    },
    async findAccount(ctx, id) {
      const claims = config.accounts[id] || {};
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
