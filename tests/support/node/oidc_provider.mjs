// A real OpenID provider for opspor's log-in tests: panva's oidc-provider (certified OpenID
// Connect implementation) on 127.0.0.1, port chosen by the system.
//
//   node oidc_provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris"}],
//               "accounts": {"<login>": {<claims>}}, "acr": {"<login>": "<acr>" or null}, "default_acr": "<acr>"}
// A client is a "native" application, so its loopback redirect URIs may have any port (RFC 8252
// 7.3): the test server's port is not known when the provider starts. Log-in is the provider's
// development interaction (any login name, any password, then "Continue"); the account's claims
// are those of CONFIG.json's entry for the login name; the ID token's `acr` (the level of assurance
// of the log-in, as a MitID broker gives it) is CONFIG.json's "acr" of the login name, else its
// "default_acr", else none. Each start makes a new RSA signing key
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
    // the levels the provider may give (without any, it leaves acr out of every ID token)
    acrValues: [...new Set([config.default_acr, ...Object.values(config.acr || {})].filter(Boolean))],
    cookies: { keys: ['opspor-test-cookie-key'] },
    claims: {
      acr: null, // always in the ID token when the log-in has one
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
  // the log-in's level of assurance: the development interaction finishes a log-in with the
  // account only; the provider puts the result's `acr` into the session and the ID token
  const finished = provider.interactionFinished.bind(provider);
  provider.interactionFinished = async (req, res, result, options) => {
    const own = config.acr || {};
    const acr = result.login && (result.login.accountId in own ? own[result.login.accountId] : config.default_acr);
    return finished(req, res, acr ? { ...result, login: { ...result.login, acr } } : result, options);
  };
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
