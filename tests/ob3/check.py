"""Open Badges 3.0 credentials of a running server, checked by independent verifiers.

Run by tests/ob3/run.sh (which installs the verifiers and starts the server with the demo
data); the environment names the server and the tools:
  ACADEMY_URL, ACADEMY_DEMO_PASSWORD   the server and the demo accounts' password
  OB3_SCHEMA                           1EdTech's ob_v3p0_achievementcredential_schema.json
  OB3_NODE_HELPER                      tests/ob3/verifiers.mjs (jose, ajv, vc-bitstring-status-list)

The Python verifiers run here: openbadgeslib (signature through our did:web, the credential
model, revocation through the signed status list), jsonschema (Draft 2019-09), Pillow (the
baked PNG's iTXt chunk). Every check prints one PASS or FAIL line; the last line is
"ob3: N passed, N failed" and the exit code is 1 when anything failed.

Demo data used: Begoña (begona@mareapeptides.example, SME Marea Peptides of the partner
Bioval Cluster) holds two certificates; the first is revoked here by the admin, the second
must stay valid. Uxía (another learner) and BioNorte's coordinator must not see them; Bioval's
coordinator and the admin must.
"""

import base64
import contextlib
import copy
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import traceback
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email.message import Message
from urllib.parse import urljoin, urlsplit, urlunsplit

BASE = os.environ["ACADEMY_URL"].rstrip("/")
PASSWORD = os.environ["ACADEMY_DEMO_PASSWORD"]
SCHEMA_PATH = os.environ["OB3_SCHEMA"]
NODE_HELPER = os.environ["OB3_NODE_HELPER"]

HOLDER = "begona@mareapeptides.example"
OTHER_LEARNER = "uxia@xenogen.example"
ADMIN = "admin@iberobio.example"
HOLDER_COORDINATOR = "coord.bioval@iberobio.example"
OTHER_COORDINATOR = "coord.bionorte@iberobio.example"

ORIGIN = urlsplit(BASE)
# did:web of the public URL: the port's colon is percent-encoded.
EXPECTED_DID = "did:web:" + ORIGIN.netloc.replace(":", "%3A")
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
SCHEMA_ID = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"

# ---------------------------------------------------------------------------------------------
# Reporting


class Failed(Exception):
    """A check's failure, with what was seen."""


class Fatal(Exception):
    """Nothing after this can be checked."""


passed = 0
failed = 0


def check(name, fn, *args, fatal=False, **kwargs):
    """Run one check: PASS when fn returns, FAIL (with the reason) when it raises. Returns fn's
    value, or None on failure (raises Fatal instead when later checks need the value)."""
    global passed, failed
    try:
        value = fn(*args, **kwargs)
    except Exception as exc:  # a verifier's exception is the check's verdict
        failed += 1
        detail = str(exc) if isinstance(exc, Failed) else "".join(
            traceback.format_exception_only(type(exc), exc)).strip()
        print(f"FAIL  {name}\n      {detail.replace(chr(10), chr(10) + '      ')}", flush=True)
        if fatal:
            raise Fatal(name) from exc
        return None
    passed += 1
    print(f"PASS  {name}", flush=True)
    return value


def expect(condition, message):
    if not condition:
        raise Failed(message)


def expect_equal(actual, expected, what):
    if actual != expected:
        raise Failed(f"{what}: expected {expected!r}, got {actual!r}")


# ---------------------------------------------------------------------------------------------
# HTTP (urllib: no client library between us and the server)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def media_type(self):
        msg = Message()
        msg["content-type"] = self.headers.get("content-type", "")
        return msg.get_content_type() if self.headers.get("content-type") else ""

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return f"{self.status} {self.headers.get('content-type')} {self.body[:300]!r}"


def http(method, url, token=None, body=None, content_type=None, accept=None):
    url = urljoin(BASE + "/", url)
    headers = {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if content_type:
        headers["content-type"] = content_type
    if accept:
        headers["accept"] = accept
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("content-type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return Response(res.status, {k.lower(): v for k, v in res.headers.items()}, res.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def get_ok(url, token=None, media_type=None):
    res = http("GET", url, token)
    expect(res.status == 200, f"GET {url}: {res!r}")
    if media_type:
        expect_equal(res.media_type, media_type, f"Content-Type of GET {url}")
    return res


def login(email):
    res = http("POST", "/api/auth/login", body={"email": email, "password": PASSWORD},
               accept="application/json")
    expect(res.status == 200, f"sign-in of {email}: {res!r}")
    return res.json()["access_token"]


# ---------------------------------------------------------------------------------------------
# JWT pieces (read by hand: the verifiers below do the checking)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(token):
    parts = token.split(".")
    expect(len(parts) == 3, f"a compact JWS has three parts, this has {len(parts)}")
    return json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1]))


def tamper_payload(token):
    """The JWT with one byte of its payload changed (a letter of the credential's name, so the
    payload stays valid JSON and only the signature can tell)."""
    head, payload, sig = token.split(".")
    raw = b64url_decode(payload)
    expect_equal(b64url_encode(raw), payload, "the payload is unpadded base64url (RFC 7515)")
    m = re.search(rb'"name"\s*:\s*"[^"]', raw)
    expect(m is not None, "the payload has a name")
    i = m.end() - 1
    changed = bytearray(raw)
    changed[i] = ord("X") if raw[i] != ord("X") else ord("Y")
    return f"{head}.{b64url_encode(bytes(changed))}.{sig}"


def tamper_signature(token):
    """The JWT with one byte of its signature changed (byte 10: every bit of it counts)."""
    head, payload, sig = token.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[10] ^= 0x01
    return f"{head}.{payload}.{b64url_encode(bytes(raw))}"


def node(request):
    """One request to verifiers.mjs (the npm verifiers)."""
    proc = subprocess.run(["node", NODE_HELPER], input=json.dumps(request).encode(),
                          capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise Failed(f"verifiers.mjs {request['op']} crashed: {proc.stderr.decode()[-2000:]}")
    return json.loads(proc.stdout)


# ---------------------------------------------------------------------------------------------
# openbadgeslib


from openbadgeslib.ob3.credential import IdentityObject  # noqa: E402
from openbadgeslib.ob3.status import decode_encoded_list, set_indices  # noqa: E402
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier  # noqa: E402
from openbadgeslib.util import download_file  # noqa: E402

fetched_by_openbadgeslib = []


def loopback_download(url):
    """openbadgeslib's download function for this test: did:web always means https, and our
    test server speaks plain http on loopback, so https://<our host:port>/... is fetched as
    http://<our host:port>/... (openbadgeslib's own download_file, with its insecure and
    private-address guards lifted for this one origin). Any other origin is refused."""
    parts = urlsplit(url)
    if parts.netloc != ORIGIN.netloc or parts.scheme not in ("https", "http"):
        raise ValueError(f"the test refuses to fetch {url} (not the server under test)")
    fetched_by_openbadgeslib.append(url)
    plain = urlunsplit(("http",) + tuple(parts)[1:])
    with contextlib.redirect_stdout(io.StringIO()):  # its "does not use TLS" warning
        return download_file(plain, allow_insecure=True, allow_private=True)


def openbadgeslib_verify(token, check_status=True):
    """OB3Verifier anchored on the credential's did:web: the DID document is fetched, the key
    the JWT's kid names is selected, the signature and the credential's structure and claims
    are checked and, with check_status, the signed status list is fetched and verified."""
    verifier = OB3Verifier.for_issuer_did(EXPECTED_DID, download=loopback_download)
    return verifier.verify(token, check_status=check_status, verify_status_list=True,
                           download=loopback_download)


def openbadgeslib_refuses(token, needle):
    try:
        openbadgeslib_verify(token)
    except OB3VerificationError as exc:
        expect(needle.lower() in str(exc).lower(),
               f"openbadgeslib refused it, but for another reason: {exc}")
        return str(exc)
    raise Failed("openbadgeslib accepted it")


# ---------------------------------------------------------------------------------------------
# The checks


def check_discovery():
    jwks = get_ok("/.well-known/jwks.json", media_type="application/json").json()
    keys = jwks.get("keys")
    expect(isinstance(keys, list) and keys, f"JWKS has keys: {jwks!r}")
    for key in keys:
        for field, value in (("kty", "OKP"), ("crv", "Ed25519"), ("alg", "EdDSA"), ("use", "sig")):
            expect_equal(key.get(field), value, f"JWKS key {field}")
        expect(len(b64url_decode(key["x"])) == 32, "x is a 32-byte Ed25519 public key")
        expect(key.get("kid", "").startswith(EXPECTED_DID + "#"), f"kid is <did>#...: {key.get('kid')!r}")
        expect(not ({"d", "p", "q"} & set(key)), "no private key material in the JWKS")
    doc = get_ok("/.well-known/did.json").json()
    expect_equal(doc.get("id"), EXPECTED_DID, "DID document id")
    methods = doc.get("verificationMethod") or []
    expect(methods, "DID document has verificationMethod entries")
    for m in methods:
        expect_equal(m.get("type"), "JsonWebKey2020", "verificationMethod type")
        expect(m.get("id") in doc.get("assertionMethod", []), f"{m.get('id')} listed in assertionMethod")
    by_kid = {k["kid"]: k for k in keys}
    for m in methods:
        jwk = m.get("publicKeyJwk", {})
        expect(m["id"] in by_kid, f"verificationMethod {m['id']} is in the JWKS")
        expect_equal(jwk.get("x"), by_kid[m["id"]]["x"], f"publicKeyJwk x of {m['id']}")
    return jwks, doc


def check_kid_thumbprints(jwks):
    for key in jwks["keys"]:
        jwk = {k: key[k] for k in ("kty", "crv", "x")}
        answer = node({"op": "thumbprint", "jwk": jwk})
        expect_equal(key["kid"].split("#", 1)[1], answer["thumbprint"],
                     "kid fragment = RFC 7638 thumbprint (jose.calculateJwkThumbprint)")


def holder_certificates(token):
    items = get_ok("/api/certificates", token).json()["items"]
    valid = [c for c in items if not c.get("revoked")]
    expect(len(valid) >= 2, f"the holder has two unrevoked certificates: {items!r}")
    return valid[0], valid[1]


def links(cert):
    """The certificate's credential links from the list (falls back to the documented paths
    when a link is missing, which check_links reports)."""
    code = cert["code"]
    return {
        "jwt": cert.get("credential_url") or f"/api/certificates/{code}/credential",
        "json": cert.get("credential_json_url") or f"/api/certificates/{code}/credential.json",
        "png": cert.get("badge_url") or f"/api/certificates/{code}/badge.png",
    }


def check_links(cert):
    code = cert["code"]
    for field, suffix in (("credential_url", "/credential"), ("credential_json_url", "/credential.json"),
                          ("badge_url", "/badge.png")):
        value = cert.get(field)
        expect(isinstance(value, str), f"{field} in the certificate list: {cert!r}")
        expect(urlsplit(urljoin(BASE + "/", value)).path == f"/api/certificates/{code}{suffix}",
               f"{field} = {value!r}")


def fetch_jwt(cert, token):
    res = get_ok(links(cert)["jwt"], token, media_type="application/vc+jwt")
    jwt = res.text().strip()
    expect(re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", jwt),
           f"a compact JWS: {jwt[:80]!r}")
    return jwt


def check_jwt_contents(jwt, cert, jwks):
    """The contract, read without any verifier: header, claims, the credential's members."""
    header, p = jwt_parts(jwt)
    expect_equal(header.get("alg"), "EdDSA", "header alg")
    expect_equal(header.get("typ"), "JWT", "header typ")
    expect(header.get("kid") in {k["kid"] for k in jwks["keys"]}, f"header kid {header.get('kid')!r} is in the JWKS")
    expect_equal(p.get("iss"), EXPECTED_DID, "iss")
    expect_equal(p.get("@context"), [VC2_CONTEXT, OB3_CONTEXT], "@context")
    expect_equal(p.get("id"), f"{BASE}/verify/{cert['code']}", "id")
    expect_equal(p.get("jti"), p.get("id"), "jti = id")
    expect_equal(p.get("type"), ["VerifiableCredential", "OpenBadgeCredential"], "type")
    expect(isinstance(p.get("name"), str) and p["name"], "name")
    issuer = p.get("issuer", {})
    expect_equal(issuer.get("id"), EXPECTED_DID, "issuer.id")
    expect_equal(issuer.get("type"), ["Profile"], "issuer.type")
    expect_equal(issuer.get("name"), "IberoBio Academy", "issuer.name")
    expect_equal(issuer.get("url"), BASE, "issuer.url")
    valid_from = p.get("validFrom", "")
    expect(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", valid_from), f"validFrom in UTC: {valid_from!r}")
    when = datetime.fromisoformat(valid_from.replace("Z", "+00:00"))
    completed = datetime.fromisoformat(cert["completed_at"].replace("Z", "+00:00"))
    expect_equal(when, completed, "validFrom = the certificate's completed_at")
    expect_equal(p.get("nbf"), int(when.timestamp()), "nbf = validFrom in seconds")
    subject = p.get("credentialSubject", {})
    expect_equal(subject.get("type"), ["AchievementSubject"], "credentialSubject.type")
    ach = subject.get("achievement", {})
    expect_equal(ach.get("type"), ["Achievement"], "achievement.type")
    expect_equal(ach.get("achievementType"), "Course", "achievementType")
    for field in ("id", "name", "description", "inLanguage"):
        expect(isinstance(ach.get(field), str) and ach[field], f"achievement.{field}: {ach.get(field)!r}")
    expect(ach.get("criteria", {}).get("narrative"), "achievement.criteria.narrative")
    expect_equal(ach.get("image", {}).get("type"), "Image", "achievement.image.type")
    source = subject.get("source", {})
    expect_equal(source.get("type"), ["Profile"], "source.type")
    expect_equal(source.get("name"), cert["issuer"], "source.name = the issuing partner")
    status = p.get("credentialStatus", {})
    expect_equal(status.get("type"), "BitstringStatusListEntry", "credentialStatus.type")
    expect_equal(status.get("statusPurpose"), "revocation", "statusPurpose")
    expect(re.fullmatch(r"\d+", str(status.get("statusListIndex"))) and isinstance(status.get("statusListIndex"), str),
           f"statusListIndex is a string of digits: {status.get('statusListIndex')!r}")
    expect(status.get("statusListCredential", "").startswith(f"{BASE}/api/credentials/status/"),
           f"statusListCredential: {status.get('statusListCredential')!r}")
    expect_equal(p.get("credentialSchema"), [{"id": SCHEMA_ID, "type": "1EdTechJsonSchemaValidator2019"}],
                 "credentialSchema")
    return header, p


def check_identity(payload, email):
    """The recipient's salted hash, recomputed with hashlib and with openbadgeslib's own
    IdentityObject.create (which hashes email + salt)."""
    ids = payload["credentialSubject"].get("identifier")
    expect(isinstance(ids, list) and len(ids) == 1, f"one identifier: {ids!r}")
    ident = ids[0]
    expect_equal(ident.get("type"), "IdentityObject", "identifier type")
    expect_equal(ident.get("identityType"), "emailAddress", "identityType")
    expect_equal(ident.get("hashed"), True, "hashed")
    salt = ident.get("salt")
    expect(isinstance(salt, str) and salt, "a salt")
    mine = "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest()
    expect_equal(ident.get("identityHash"), mine, "identityHash (hashlib)")
    expect_equal(ident["identityHash"], IdentityObject.create(email.lower(), salt).identity_hash,
                 "identityHash (openbadgeslib IdentityObject.create)")


def check_openbadgeslib_valid(jwt, payload, cert):
    fetched_by_openbadgeslib.clear()
    credential = openbadgeslib_verify(jwt)
    expect_equal(credential.issuer.id, EXPECTED_DID, "openbadgeslib: issuer")
    expect_equal(credential.id, payload["id"], "openbadgeslib: id")
    expect_equal(credential.achievement.name, payload["credentialSubject"]["achievement"]["name"],
                 "openbadgeslib: achievement name")
    expect_equal(len(credential.credential_status), 1, "openbadgeslib: one status entry")
    did_doc = f"https://{ORIGIN.netloc}/.well-known/did.json"
    expect(did_doc in fetched_by_openbadgeslib, f"openbadgeslib resolved {did_doc}: {fetched_by_openbadgeslib}")
    status_url = payload["credentialStatus"]["statusListCredential"]
    expect(status_url in fetched_by_openbadgeslib, f"openbadgeslib fetched {status_url}: {fetched_by_openbadgeslib}")


def check_jsonschema(payload):
    from jsonschema import Draft201909Validator

    with open(SCHEMA_PATH) as f:
        schema = json.load(f)
    Draft201909Validator.check_schema(schema)
    # format_checker: date-time etc. asserted (rfc3339-validator is installed), not annotations.
    validator = Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.path))
    expect(not errors, "\n".join(f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors))


def check_ajv(payload):
    answer = node({"op": "ajv", "schema_path": SCHEMA_PATH, "document": payload})
    expect(answer["ok"], f"ajv: {answer.get('error')}")


def check_jose(jwt, payload):
    answer = node({"op": "jose", "jwt": jwt, "jwks_url": f"{BASE}/.well-known/jwks.json"})
    expect(answer["ok"], f"jose: {answer.get('error')}")
    expect_equal(answer["payload"], payload, "jose's verified payload = the JWT's payload")


def jose_refuses(jwt):
    answer = node({"op": "jose", "jwt": jwt, "jwks_url": f"{BASE}/.well-known/jwks.json"})
    expect(not answer["ok"], "jose accepted it")
    expect("ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in answer["error"], f"jose refused it for another reason: {answer['error']}")


def check_credential_json(cert, token, payload):
    res = get_ok(links(cert)["json"], token)
    expect(re.fullmatch(r"application/([a-z.+-]+\+)?json", res.media_type), f"a JSON media type: {res.media_type!r}")
    plain = res.json()
    expected = {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf")}
    if plain != expected:
        diff = sorted(set(plain) ^ set(expected)) or [k for k in plain if plain[k] != expected.get(k)]
        raise Failed(f"credential.json differs from the JWT payload minus iss/jti/nbf in {diff}")


def check_status_list(payload, jwks):
    """The status list credential itself, read by hand (its signature by jose in the npm
    check): a BitstringStatusListCredential in VC 2.0 signed like the badge."""
    url = payload["credentialStatus"]["statusListCredential"]
    res = get_ok(url, media_type="application/vc+jwt")
    header, lst = jwt_parts(res.text().strip())
    expect_equal(header.get("alg"), "EdDSA", "status list alg")
    expect(header.get("kid") in {k["kid"] for k in jwks["keys"]}, f"status list kid {header.get('kid')!r} in the JWKS")
    expect_equal(lst.get("@context", [None])[0], VC2_CONTEXT, "status list @context[0]")
    expect("BitstringStatusListCredential" in lst.get("type", []), f"status list type: {lst.get('type')!r}")
    issuer = lst.get("issuer")
    expect_equal(issuer.get("id") if isinstance(issuer, dict) else issuer, EXPECTED_DID, "status list issuer")
    if "iss" in lst:
        expect_equal(lst["iss"], EXPECTED_DID, "status list iss")
    subject = lst.get("credentialSubject", {})
    expect_equal(subject.get("type"), "BitstringStatusList", "status list subject type")
    expect_equal(subject.get("statusPurpose"), "revocation", "status list statusPurpose")
    encoded = subject.get("encodedList", "")
    expect(encoded.startswith("u"), "encodedList is multibase base64url ('u')")
    compressed = b64url_decode(encoded[1:])
    expect(compressed[:2] == b"\x1f\x8b", "encodedList holds GZIP data")
    bits = gzip.decompress(compressed)
    expect(len(bits) * 8 >= 131072, f"at least 131072 bits, has {len(bits) * 8}")
    expect_equal(bits, decode_encoded_list(encoded), "openbadgeslib decodes the same bitstring")
    return bits


def status_bit(payload):
    """vc-bitstring-status-list's reading of the credential's bit (and its length)."""
    answer = node({"op": "status", "credential": payload, "jwks_url": f"{BASE}/.well-known/jwks.json"})
    expect(answer["ok"], f"vc-bitstring-status-list: {answer.get('error')}")
    expect(answer["decoded_length"] >= 131072, f"decoded length {answer['decoded_length']}")
    expect_equal(answer["decoded_status"], answer["status"], "decodeList agrees with checkStatus")
    for f in answer["fetched"]:
        expect_equal(f["content_type"].split(";")[0].strip(), "application/vc+jwt", "status list content type")
    return answer["status"]


def expect_status(payload, wanted):
    expect_equal(status_bit(payload), wanted, f"status bit at index {payload['credentialStatus']['statusListIndex']}")


def verify_endpoint(body, content_type):
    return http("POST", "/api/verify", body=body, content_type=content_type, accept="application/json")


def expect_verified(res, cert, valid, header):
    expect(res.status == 200, f"POST /api/verify: {res!r}")
    answer = res.json()
    expect_equal(answer.get("valid"), valid, "valid")
    expect_equal(answer.get("key_id"), header["kid"], "key_id")
    expect_equal(answer.get("issuer"), EXPECTED_DID, "issuer")
    c = answer.get("certificate") or {}
    expect_equal(c.get("code"), cert["code"], "certificate.code")
    expect_equal(c.get("holder_name"), cert["learner_name"], "certificate.holder_name")
    expect_equal(c.get("course_title"), cert["course_title"], "certificate.course_title")
    expect_equal(c.get("revoked"), not valid, "certificate.revoked")
    expect_equal(c.get("valid"), valid, "certificate.valid")
    expect_equal(c.get("revoked_at") is not None, not valid, "certificate.revoked_at set iff revoked")
    return answer


def expect_problem(res, codes):
    expect(res.status == 422, f"422 expected: {res!r}")
    expect_equal(res.media_type, "application/problem+json", "Content-Type")
    # The API's convention: a 422 is a problem with field errors, each with its own code
    # (top-level "invalid.fields"); the credential's code may be either.
    problem = res.json()
    found = [problem.get("code")] + [e.get("code") for e in problem.get("errors") or []]
    expect(any(c in codes for c in found), f"problem codes {found!r}, expected one of {codes}: {problem!r}")


def foreign_jwt(payload, kid, iss=None):
    """The payload signed by a key of our own making (PyJWT + cryptography), under `kid`."""
    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    body = copy.deepcopy(payload)
    if iss:
        body["iss"] = iss
        body["issuer"]["id"] = iss
    return pyjwt.encode(body, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": kid, "typ": "JWT"})


def plain_png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(out, format="PNG")
    return out.getvalue()


def check_badge_png(cert, token, jwt):
    """The baked badge, read by an independent PNG reader (Pillow) and by openbadgeslib."""
    from PIL import Image, PngImagePlugin

    png = get_ok(links(cert)["png"], token, media_type="image/png").body
    Image.open(io.BytesIO(png)).verify()  # the chunks' CRCs and structure
    image = Image.open(io.BytesIO(png))
    image.load()
    text = image.text.get("openbadgecredential")
    expect(text is not None, f"an openbadgecredential text chunk; Pillow found {sorted(image.text)}")
    expect(isinstance(text, PngImagePlugin.iTXt), f"it is an iTXt chunk (not tEXt/zTXt): {type(text)}")
    expect_equal(str(text), jwt, "the iTXt text = the credential JWT")
    expect_equal(OB3Verifier.extract_token_from_png(png), jwt, "openbadgeslib extract_token_from_png")
    return png


def check_access(cert, tokens):
    for who, token, wanted in (
        ("no token", None, 401),
        ("another learner", tokens["other_learner"], 404),
        ("another partner's coordinator", tokens["other_coordinator"], 404),
        ("the holder's coordinator", tokens["coordinator"], 200),
        ("an admin", tokens["admin"], 200),
    ):
        for kind, url in links(cert).items():
            res = http("GET", url, token)
            expect(res.status == wanted, f"{who}, GET {url}: {wanted} expected, got {res!r}")


def main():
    print(f"server {BASE}, issuer {EXPECTED_DID}", flush=True)
    jwks, _ = check("discovery: /.well-known/jwks.json and did.json agree (Ed25519, JsonWebKey2020, assertionMethod)",
                    check_discovery, fatal=True)
    check("jose: each JWKS kid is <did>#<RFC 7638 thumbprint of its key>", check_kid_thumbprints, jwks)

    tokens = check("sign-in of the demo accounts", lambda: {
        "holder": login(HOLDER), "other_learner": login(OTHER_LEARNER), "admin": login(ADMIN),
        "coordinator": login(HOLDER_COORDINATOR), "other_coordinator": login(OTHER_COORDINATOR),
    }, fatal=True)
    first, second = check("the holder has two valid certificates", holder_certificates, tokens["holder"], fatal=True)
    print(f"      certificates {first['code']} (to be revoked) and {second['code']}", flush=True)
    check("the certificate list links credential, credential.json and badge.png", check_links, first)

    creds = {}
    for label, cert in (("first", first), ("second", second)):
        jwt = check(f"{label}: GET credential -> 200 application/vc+jwt, a compact JWS", fetch_jwt, cert,
                    tokens["holder"], fatal=True)
        header, payload = check(f"{label}: header, claims and credential as the contract says", check_jwt_contents,
                                jwt, cert, jwks) or jwt_parts(jwt)
        creds[label] = (cert, jwt, header, payload)
        # a. openbadgeslib through the did:web, with revocation through the signed status list
        check(f"{label}: openbadgeslib OB3Verifier.for_issuer_did(did).verify(check_status=True, "
              "verify_status_list=True) accepts it", check_openbadgeslib_valid, jwt, payload, cert)
        # b. the 1EdTech schema, twice
        check(f"{label}: jsonschema Draft201909Validator: payload conforms to the 1EdTech schema",
              check_jsonschema, payload)
        check(f"{label}: ajv Ajv2019 + ajv-formats: payload conforms to the 1EdTech schema", check_ajv, payload)
        # c. jose against the published JWKS
        check(f"{label}: jose jwtVerify(createRemoteJWKSet(jwks.json), EdDSA) accepts it", check_jose, jwt, payload)
        # h. the readable copy
        check(f"{label}: credential.json = JWT payload minus iss/jti/nbf", check_credential_json, cert,
              tokens["holder"], payload)
    cert, jwt, header, payload = creds["first"]
    check("recipient: identityHash = sha256$hex(sha256(email + salt)) (hashlib, openbadgeslib)", check_identity,
          payload, HOLDER)

    # d. the status list, before any revocation
    bits_before = check("status list: a signed VC 2.0 BitstringStatusListCredential, gzip, >= 131072 bits",
                        check_status_list, payload, jwks)
    for label in ("first", "second"):
        check(f"{label}: vc-bitstring-status-list checkStatus reads its bit as false",
              expect_status, creds[label][3], False)

    # e. one byte changed, in the payload and in the signature
    for what, bad in (("payload", tamper_payload(jwt)), ("signature", tamper_signature(jwt))):
        check(f"tampered {what}: openbadgeslib refuses it (Invalid signature)", openbadgeslib_refuses, bad,
              "invalid signature")
        check(f"tampered {what}: jose refuses it", jose_refuses, bad)
        check(f"tampered {what}: POST /api/verify -> 422 credential.bad_signature",
              lambda b=bad: expect_problem(verify_endpoint(b, "application/vc+jwt"), ["credential.bad_signature"]))

    # f. the baked badge
    png = check("badge.png: Pillow reads an iTXt 'openbadgecredential' chunk = the credential JWT",
                check_badge_png, cert, tokens["holder"], jwt)
    if png is not None:
        check("badge.png: POST /api/verify (image/png) -> 200 valid",
              lambda: expect_verified(verify_endpoint(png, "image/png"), cert, True, header))

    # Our verify endpoint, in each of its input forms, and its refusals
    check("POST /api/verify (application/vc+jwt) -> 200 valid",
          lambda: expect_verified(verify_endpoint(jwt, "application/vc+jwt"), cert, True, header))
    check("POST /api/verify (text/plain) -> 200 valid",
          lambda: expect_verified(verify_endpoint(jwt, "text/plain"), cert, True, header))
    check("POST /api/verify (JSON {credential}) -> 200 valid",
          lambda: expect_verified(verify_endpoint({"credential": jwt}, "application/json"), cert, True, header))
    check("POST /api/verify garbled -> 422 credential.malformed",
          lambda: expect_problem(verify_endpoint("not.a-jwt", "text/plain"), ["credential.malformed"]))
    check("POST /api/verify a PNG without badge data -> 422 credential.no_badge_data",
          lambda: expect_problem(verify_endpoint(plain_png(), "image/png"), ["credential.no_badge_data"]))
    check("POST /api/verify signed by another key under our kid -> 422 credential.bad_signature",
          lambda: expect_problem(verify_endpoint(foreign_jwt(payload, header["kid"]), "application/vc+jwt"),
                                 ["credential.bad_signature"]))
    check("POST /api/verify under an unknown kid of our DID -> 422 credential.unknown_key",
          lambda: expect_problem(verify_endpoint(foreign_jwt(payload, EXPECTED_DID + "#not-our-key"),
                                                 "application/vc+jwt"), ["credential.unknown_key"]))
    check("POST /api/verify from another issuer -> 422 credential.not_ours (or unknown_key)",
          lambda: expect_problem(verify_endpoint(
              foreign_jwt(payload, "did:web:issuer.example#k1", iss="did:web:issuer.example"),
              "application/vc+jwt"), ["credential.not_ours", "credential.unknown_key"]))

    # i. who may fetch it
    check("authorization: no token 401; another learner / another partner's coordinator 404; "
          "the holder's coordinator and an admin 200", check_access, cert, tokens)

    # g. revocation
    check("admin: POST /api/certificates/{code}/revocation -> 200",
          lambda: expect((r := http("POST", f"/api/certificates/{cert['code']}/revocation", tokens["admin"],
                                    body={"reason": "OB3 verifier test"})).status == 200, repr(r)),
          fatal=True)
    check("revoked: openbadgeslib verify(check_status=True) reports the revocation",
          openbadgeslib_refuses, jwt, "revocation")
    check("revoked: openbadgeslib without the status check still accepts the signature",
          openbadgeslib_verify, jwt, check_status=False)
    check("revoked: vc-bitstring-status-list reads the first certificate's bit as true",
          expect_status, payload, True)
    check("revoked: vc-bitstring-status-list reads the second certificate's bit as false",
          expect_status, creds["second"][3], False)
    if bits_before is not None:
        def only_one_bit():
            bits_after = check_status_list(payload, jwks)
            flipped = set_indices(bits_after) ^ set_indices(bits_before)
            expect_equal(flipped, {int(payload["credentialStatus"]["statusListIndex"])}, "bits flipped by the revocation")
        check("revoked: exactly one bit of the status list flipped, the first certificate's", only_one_bit)
    check("revoked: POST /api/verify -> 200 valid:false, certificate.revoked true",
          lambda: expect_verified(verify_endpoint(jwt, "application/vc+jwt"), cert, False, header))
    if png is not None:
        check("revoked: POST /api/verify of its badge.png -> 200 valid:false",
              lambda: expect_verified(verify_endpoint(png, "image/png"), cert, False, header))
    s_cert, s_jwt, s_header, s_payload = creds["second"]
    check("second (unrevoked): openbadgeslib with the status check still accepts it",
          check_openbadgeslib_valid, s_jwt, s_payload, s_cert)
    check("second (unrevoked): POST /api/verify -> 200 valid",
          lambda: expect_verified(verify_endpoint(s_jwt, "application/vc+jwt"), s_cert, True, s_header))


if __name__ == "__main__":
    try:
        main()
    except Fatal as exc:
        print(f"      (stopped: the checks after '{exc}' need its result)", flush=True)
    except Failed as exc:  # outside any check: the harness's own assumptions
        failed += 1
        print(f"FAIL  {exc}", flush=True)
    print(f"ob3: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
