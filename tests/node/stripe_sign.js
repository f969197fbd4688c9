#!/usr/bin/env node
// Stripe-Signature headers for the tests, made by Stripe's official `stripe`
// npm library (stripe.webhooks.generateTestHeaderString), as the product rule
// says webhook signatures in tests must be (FIELD_NOTES D1).
//
// CLI:
//   node tests/node/stripe_sign.js --secret whsec_a [--secret whsec_b ...]
//        [--timestamp T] [--v0 | --v0-only] < payload
//   prints the header value for the payload read from standard input (the
//   exact bytes, as UTF-8): "t=T,v1=<sig under secret 1>,v1=<sig under
//   secret 2>..." (each v1 made by generateTestHeaderString with the same
//   timestamp, their v1 parts merged in the order given, as Stripe signs
//   while a rolled secret is still active).  T defaults to now.  --v0 adds
//   a v0 element like test mode's (the library's scheme "v0" under the first
//   secret, so the same hex as that v1), which a verifier must ignore;
//   --v0-only leaves the v1 elements out ("t=T,v0=...": a verifier that
//   reads v0 would accept it, a correct one refuses it).
//
// Server:
//   node tests/node/stripe_sign.js --serve --portfile F [--port N]
//   listens on 127.0.0.1 (a free port unless --port; written atomically to
//   F once listening) and answers
//     POST /sign       {"payload": string, "secrets": [string, ...],
//                       "timestamp"?: int, "v0"?: bool, "v0_only"?: bool}
//                      -> {"header": "..."}
//     POST /sign_many  {"items": [{payload, secrets, timestamp?, v0?,
//                       v0_only?}, ...]}
//                      -> {"headers": ["...", ...]}
//   400 {"error": "..."} on a bad request; stops on SIGTERM or SIGINT.
//
// Self-check: node tests/node/stripe_sign_check.js.
'use strict';

const fs = require('fs');
const http = require('http');
const Stripe = require('stripe');

// The key is never used to call the API: only the webhooks helper is.
const stripe = new Stripe('sk_test_signing_only');

function signHeader(payload, secrets, timestamp, v0, v0Only) {
    if (typeof payload !== 'string') {
        throw new Error('payload must be a string');
    }
    if (!Array.isArray(secrets) || secrets.length === 0 ||
        !secrets.every((s) => typeof s === 'string' && s.length > 0)) {
        throw new Error('secrets must be a non-empty list of strings');
    }
    let t = timestamp;
    if (t === undefined || t === null) {
        t = Math.floor(Date.now() / 1000);
    }
    // The library falls back to "now" for a timestamp of 0, so 0 is refused.
    if (!Number.isSafeInteger(t) || t <= 0) {
        throw new Error('timestamp must be a positive integer');
    }
    const parts = [`t=${t}`];
    const opts = (secret, scheme) => ({payload, secret, timestamp: t, scheme});
    for (const secret of v0Only ? [] : secrets) {
        const h = stripe.webhooks.generateTestHeaderString(opts(secret, 'v1'));
        parts.push(...splitHeader(h, t).filter((p) => p.startsWith('v1=')));
    }
    if (v0 || v0Only) {
        const h = stripe.webhooks.generateTestHeaderString(
            opts(secrets[0], 'v0'));
        parts.push(...splitHeader(h, t).filter((p) => p.startsWith('v0=')));
    }
    return parts.join(',');
}

// The library's header is "t=T,<scheme>=<sig>": check its t is ours.
function splitHeader(h, t) {
    const parts = h.split(',');
    if (parts[0] !== `t=${t}`) {
        throw new Error(`unexpected header from the library: ${h}`);
    }
    return parts.slice(1);
}

function usage(msg) {
    process.stderr.write(`stripe_sign: ${msg}\n` +
        'usage: stripe_sign.js --secret S [--secret S2 ...] [--timestamp T]' +
        ' [--v0 | --v0-only] < payload\n' +
        '       stripe_sign.js --serve --portfile F [--port N]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const a = {secrets: [], timestamp: undefined, v0: false, v0Only: false,
               serve: false, portfile: null, port: 0};
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) {
                usage(`${k} needs a value`);
            }
            return argv[++i];
        };
        if (k === '--secret') {
            a.secrets.push(val());
        } else if (k === '--timestamp') {
            const v = val();
            if (!/^[0-9]+$/.test(v)) {
                usage('--timestamp must be an integer');
            }
            a.timestamp = Number(v);
        } else if (k === '--v0') {
            a.v0 = true;
        } else if (k === '--v0-only') {
            a.v0Only = true;
        } else if (k === '--serve') {
            a.serve = true;
        } else if (k === '--portfile') {
            a.portfile = val();
        } else if (k === '--port') {
            a.port = Number(val());
        } else {
            usage(`unknown argument ${k}`);
        }
    }
    return a;
}

function writePortfile(file, port) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, file);
}

function readJson(req, max) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on('data', (c) => {
            size += c.length;
            if (size > max) {
                reject(new Error('body too large'));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => {
            try {
                resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch (e) {
                reject(new Error(`body is not JSON: ${e.message}`));
            }
        });
        req.on('error', reject);
    });
}

function serve(args) {
    const server = http.createServer(async (req, res) => {
        const reply = (status, obj) => {
            const body = JSON.stringify(obj);
            res.writeHead(status, {'Content-Type': 'application/json',
                                   'Content-Length': Buffer.byteLength(body)});
            res.end(body);
        };
        if (req.method !== 'POST' ||
            (req.url !== '/sign' && req.url !== '/sign_many')) {
            reply(404, {error: 'POST /sign or /sign_many'});
            return;
        }
        try {
            const b = await readJson(req, 64 * 1024 * 1024);
            const one = (it) => {
                if (!it || typeof it !== 'object') {
                    throw new Error('each item must be an object');
                }
                return signHeader(it.payload, it.secrets, it.timestamp, it.v0,
                                  it.v0_only);
            };
            if (req.url === '/sign') {
                reply(200, {header: one(b)});
            } else {
                if (!b || !Array.isArray(b.items)) {
                    throw new Error('items must be a list');
                }
                reply(200, {headers: b.items.map(one)});
            }
        } catch (e) {
            reply(400, {error: e.message});
        }
    });
    server.listen(args.port, '127.0.0.1', () => {
        const port = server.address().port;
        if (args.portfile) {
            writePortfile(args.portfile, port);
        }
        process.stderr.write(`stripe_sign: listening on 127.0.0.1:${port}\n`);
    });
    const stop = () => {
        server.close(() => process.exit(0));
        server.closeAllConnections();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

function main() {
    const args = parseArgs(process.argv.slice(2));
    if (args.serve) {
        if (args.secrets.length || args.timestamp !== undefined || args.v0 ||
            args.v0Only) {
            usage('--serve takes the secrets in each request');
        }
        serve(args);
        return;
    }
    if (args.secrets.length === 0) {
        usage('at least one --secret');
    }
    const payload = fs.readFileSync(0, 'utf8');
    try {
        process.stdout.write(
            signHeader(payload, args.secrets, args.timestamp, args.v0,
                       args.v0Only) + '\n');
    } catch (e) {
        usage(e.message);
    }
}

if (require.main === module) {
    main();
}

module.exports = {signHeader};
