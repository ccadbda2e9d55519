// The npm verifiers of tests/ob3 (jose, ajv, @digitalbazaar/vc-bitstring-status-list), called
// by check.py: one JSON request on standard input, one JSON answer on standard output. A
// verifier's refusal is an answer ({ ok: false, error }), not a crash; exit code 2 is a bug here.
//
//   { op: 'jose',      jwt, jwks_url }            jose's jwtVerify against the remote JWKS
//   { op: 'thumbprint', jwk }                     RFC 7638 SHA-256 thumbprint (jose)
//   { op: 'ajv',       schema_path, document }    Ajv2019 + ajv-formats against the 1EdTech schema
//   { op: 'status',    credential, jwks_url }     vc-bitstring-status-list's checkStatus and decodeList
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { checkStatus, decodeList } from '@digitalbazaar/vc-bitstring-status-list';

const describe = (err) => `${err.code ? `${err.code}: ` : ''}${err.message}`;

/** jose: the compact JWS's signature against the keys the server publishes, EdDSA only. */
async function joseVerify({ jwt, jwks_url: jwksUrl }) {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  try {
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { algorithms: ['EdDSA'] });
    return { ok: true, payload, header: protectedHeader };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

async function thumbprint({ jwk }) {
  return { ok: true, thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
}

/** Ajv in draft 2019-09 mode with the standard formats (date-time is asserted, not annotated).
 * strict: false because the 1EdTech schema itself trips Ajv's schema lints (2-tuple `items`
 * without minItems/maxItems under @context); that relaxes linting of the schema only. */
async function ajvValidate({ schema_path: schemaPath, document }) {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (validate(document)) return { ok: true };
  return { ok: false, error: ajv.errorsText(validate.errors, { separator: '\n' }) };
}

/** Digital Bazaar's Bitstring Status List implementation reads the credential's status entry.
 * Its own proof check only knows Data Integrity suites, so the status list credential (a
 * VC-JWT) is verified with jose inside the document loader instead: the loader fetches the
 * statusListCredential URL, verifies the JWS against the server's JWKS and hands the
 * library the signed payload; the library then checks purpose, type, issuer match (on) and
 * reads the bit. decodeList is also run on its own, for the list's length. */
async function status({ credential, jwks_url: jwksUrl }) {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const fetched = [];
  const documentLoader = async (url) => {
    const res = await fetch(url, { headers: { accept: 'application/vc+jwt' } });
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
    const jwt = (await res.text()).trim();
    const { payload } = await jwtVerify(jwt, jwks, { algorithms: ['EdDSA'] });
    fetched.push({ url, content_type: res.headers.get('content-type'), header: decodeProtectedHeader(jwt) });
    return { contextUrl: null, documentUrl: url, document: payload };
  };
  const result = await checkStatus({
    credential,
    documentLoader,
    verifyBitstringStatusListCredential: false, // verified with jose in documentLoader
    verifyMatchingIssuers: true,
  });
  if (!result.verified) return { ok: false, error: describe(result.error || new Error('not verified')), fetched };
  const [entry] = result.results;
  const { document: list } = await documentLoader(entry.credentialStatus.statusListCredential);
  const decoded = await decodeList({ encodedList: list.credentialSubject.encodedList });
  return {
    ok: true,
    status: entry.status,
    index: Number.parseInt(entry.credentialStatus.statusListIndex, 10),
    decoded_length: decoded.length,
    decoded_status: decoded.getStatus(Number.parseInt(entry.credentialStatus.statusListIndex, 10)),
    fetched,
  };
}

const ops = { jose: joseVerify, thumbprint, ajv: ajvValidate, status };

try {
  const request = JSON.parse(readFileSync(0, 'utf8'));
  const op = ops[request.op];
  if (!op) throw new Error(`unknown op ${request.op}`);
  process.stdout.write(`${JSON.stringify(await op(request))}\n`);
} catch (err) {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(2);
}
