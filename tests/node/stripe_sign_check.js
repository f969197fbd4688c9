#!/usr/bin/env node
// Self-check for tests/node/stripe_sign.js:
//
//   node tests/node/stripe_sign_check.js [--verbose]
//
// Every header it makes is verified by the same library's
// stripe.webhooks.constructEvent (each secret of a rotation accepted, a
// third refused, a tampered body refused, the 300 s tolerance, v0 ignored),
// and one signature is recomputed outside Node with `openssl dgst -sha256
// -hmac <whole whsec_ secret>` over "t.payload": the v1 is HMAC-SHA256 keyed
// by the whole secret string, whsec_ included (FIELD_NOTES D1), not by a
// base64-decoded remainder.  The CLI and the --serve mode are run as the
// tests will run them.  The last line is "stripe_sign: N checks, N failed";
// exits non-zero when any failed.
'use strict';

const {execFileSync, spawn} = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const Stripe = require('stripe');
const {signHeader} = require('./stripe_sign.js');

const stripe = new Stripe('sk_test_signing_only');
const SIGN = path.join(__dirname, 'stripe_sign.js');
const verbose = process.argv.includes('--verbose');
const A = 'whsec_check_secret_a_0123456789abcdef';
const B = 'whsec_check_secret_b_fedcba9876543210';
const C = 'whsec_check_secret_c_not_configured';
let checks = 0;
let failed = 0;

function check(cond, what) {
    checks++;
    if (!cond) {
        failed++;
        console.log(`FAIL: ${what}`);
    } else if (verbose) {
        console.log(`ok: ${what}`);
    }
}

function verifies(payload, header, secret, tolerance) {
    try {
        stripe.webhooks.constructEvent(payload, header, secret, tolerance);
        return true;
    } catch (e) {
        if (verbose) {
            console.log(`   (constructEvent: ${e.message.split('\n')[0]})`);
        }
        return false;
    }
}

function opensslHmac(secret, data) {
    const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret],
                             {input: Buffer.from(data, 'utf8')});
    return out.toString().trim().split(/\s+/).pop();
}

function event(id) {
    return JSON.stringify({
        id, object: 'event', api_version: '2024-06-20', created: 1700000000,
        livemode: false, type: 'checkout.session.completed',
        data: {object: {id: 'cs_test_check', object: 'checkout.session',
                        payment_status: 'paid', status: 'complete',
                        metadata: {booking_id: '42', note: 'Zoë – Müller'}}},
        pending_webhooks: 1, request: {id: null, idempotency_key: null},
    });
}

function checkLibrary() {
    const now = Math.floor(Date.now() / 1000);
    const body = event('evt_check_1');
    const one = signHeader(body, [A], now);
    check(/^t=\d+,v1=[0-9a-f]{64}$/.test(one) && one.startsWith(`t=${now},`),
          `one secret: header "t=${now},v1=<64 hex>" (${one})`);
    check(verifies(body, one, A), 'constructEvent accepts it under its secret');
    check(!verifies(body, one, C), 'constructEvent refuses another secret');
    check(!verifies(body.replace('"paid"', '"unpaid"'), one, A),
          'constructEvent refuses a tampered body');

    const two = signHeader(body, [A, B], now);
    const parts = two.split(',');
    check(parts.length === 3 && parts[0] === `t=${now}` &&
          parts[1].startsWith('v1=') && parts[2].startsWith('v1=') &&
          parts[1] !== parts[2], `two secrets: t and two v1 (${two})`);
    check(parts[1] === one.split(',')[1],
          'the first v1 is the one-secret signature under secret 1');
    check(verifies(body, two, A) && verifies(body, two, B),
          'rotation: constructEvent accepts the header under either secret');
    check(!verifies(body, two, C), 'rotation: a third secret is refused');

    check(!verifies(body, signHeader(body, [A], now - 301), A),
          'a timestamp 301 s old is refused (tolerance 300)');
    check(verifies(body, signHeader(body, [A], now - 290), A),
          'a timestamp 290 s old is accepted');
    check(verifies(body, signHeader(body, [A], 1700000000), A, 1e10),
          'a fixed timestamp verifies with a wide tolerance');

    const v0 = signHeader(body, [A], now, true);
    check(/^t=\d+,v1=[0-9a-f]{64},v0=[0-9a-f]{64}$/.test(v0) &&
          verifies(body, v0, A), '--v0 adds a v0 element; still verifies');
    const v0only = signHeader(body, [A], now, false, true);
    check(/^t=\d+,v0=[0-9a-f]{64}$/.test(v0only) &&
          !verifies(body, v0only, A),
          'v0 alone is refused: the library reads v1 only');

    let threw = false;
    try {
        signHeader(body, [], now);
    } catch (e) {
        threw = true;
    }
    check(threw, 'no secret: refused');
}

function checkOpenssl() {
    const t = 1700000000;
    const body = event('evt_check_openssl');
    const header = signHeader(body, [A], t);
    const ours = header.split(',')[1].slice(3);
    const theirs = opensslHmac(A, `${t}.${body}`);
    check(ours === theirs, 'v1 == openssl dgst -sha256 -hmac <whole whsec_ ' +
          `secret> over "t.payload" (UTF-8) (${ours} vs ${theirs})`);
    // The Svix / Standard Webhooks reading (strip whsec_, base64-decode the
    // rest) would give another key, and so another signature.
    const svixKey = Buffer.from(A.slice('whsec_'.length), 'base64');
    const svix = crypto.createHmac('sha256', svixKey)
        .update(`${t}.${body}`).digest('hex');
    check(ours !== svix, 'v1 is not keyed by the base64-decoded remainder');
}

function runCli(args, input) {
    return execFileSync(process.execPath, [SIGN, ...args], {input})
        .toString().trim();
}

function checkCli() {
    const body = event('evt_check_cli');
    const got = runCli(['--secret', A, '--secret', B, '--timestamp',
                        '1700000000'], body);
    check(got === signHeader(body, [A, B], 1700000000),
          `CLI: stdin payload, two secrets (${got})`);
    let code = 0;
    try {
        execFileSync(process.execPath, [SIGN], {input: body,
                                               stdio: 'pipe'});
    } catch (e) {
        code = e.status;
    }
    check(code === 2, 'CLI: no --secret exits 2');
}

function post(port, urlPath, obj) {
    return new Promise((resolve, reject) => {
        const data = typeof obj === 'string' ? obj : JSON.stringify(obj);
        const req = http.request({host: '127.0.0.1', port, path: urlPath,
                                  method: 'POST', headers: {
                                      'Content-Type': 'application/json',
                                      'Content-Length': Buffer.byteLength(data),
                                  }}, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({status: res.statusCode, body:
                JSON.parse(Buffer.concat(chunks).toString())}));
        });
        req.on('error', reject);
        req.end(data);
    });
}

async function checkServer() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stripe-sign-check.'));
    const portfile = path.join(dir, 'port');
    const child = spawn(process.execPath,
                        [SIGN, '--serve', '--portfile', portfile],
                        {stdio: ['ignore', 'ignore',
                                 verbose ? 'inherit' : 'ignore']});
    const exited = new Promise((resolve) => child.on('exit',
        (code, sig) => resolve({code, sig})));
    try {
        let port = 0;
        for (let i = 0; i < 200 && !port; i++) {
            await new Promise((r) => setTimeout(r, 25));
            if (fs.existsSync(portfile)) {
                port = Number(fs.readFileSync(portfile, 'utf8'));
            }
        }
        check(port > 0, 'server: port file written');
        if (!port) {
            return;
        }
        const body = event('evt_check_server');
        const r1 = await post(port, '/sign', {payload: body, secrets: [A, B],
                                              timestamp: 1700000000});
        check(r1.status === 200 &&
              r1.body.header === signHeader(body, [A, B], 1700000000),
              'server: POST /sign');
        const r2 = await post(port, '/sign', {payload: body, secrets: [A]});
        check(r2.status === 200 && verifies(body, r2.body.header, A),
              'server: POST /sign without timestamp signs at now');
        const items = [0, 1, 2].map((i) => ({payload: event(`evt_m${i}`),
                                             secrets: [A],
                                             timestamp: 1700000000 + i}));
        const r3 = await post(port, '/sign_many', {items});
        check(r3.status === 200 && r3.body.headers.length === 3 &&
              r3.body.headers.every((h, i) => h === signHeader(
                  items[i].payload, [A], items[i].timestamp)),
              'server: POST /sign_many keeps the order');
        const r4 = await post(port, '/sign', {payload: body, secrets: []});
        const r5 = await post(port, '/sign', 'not json');
        check(r4.status === 400 && r5.status === 400 &&
              typeof r4.body.error === 'string',
              'server: a bad request gets 400 {"error"}');
    } finally {
        child.kill('SIGTERM');
        const how = await exited;
        check(how.code === 0, 'server: stops with 0 on SIGTERM');
        fs.rmSync(dir, {recursive: true, force: true});
    }
}

async function main() {
    for (const f of [checkLibrary, checkOpenssl, checkCli, checkServer]) {
        try {
            await f();
        } catch (e) {
            check(false, `${f.name} raised ${e.stack || e}`);
        }
    }
    console.log(`stripe_sign: ${checks} checks, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
}

main();
