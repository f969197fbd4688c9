#!/usr/bin/env node
// Signed Stripe webhook requests for the webhook benchmark (bench/webhooks.lua):
//
//   node tests/node/stripe_events.js --secret whsec_x --count N --out FILE
//        [--timestamp T]
//
// writes N distinct checkout.session.completed events (evt_bench_<i>_<run>,
// for sessions cs_bench_<i> that Concierge does not know, shaped as Stripe
// sends them), one request per line:
//   <Stripe-Signature header>\t<JSON body on one line>
// Each header is made by Stripe's own library (stripe_sign.js, so
// generateTestHeaderString) at T (default now): the file is good for the
// 300 s tolerance, so make it just before the run.  The file is written
// atomically (FILE.tmp, then renamed).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const {signHeader} = require('./stripe_sign.js');

function usage(msg) {
    process.stderr.write(`stripe_events: ${msg}\nusage: stripe_events.js ` +
        '--secret whsec_x --count N --out FILE [--timestamp T]\n');
    process.exit(2);
}

function main() {
    const a = {secret: null, count: 0, out: null, timestamp: null};
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        if (i + 1 >= argv.length) {
            usage(`${k} needs a value`);
        }
        const v = argv[++i];
        if (k === '--secret') {
            a.secret = v;
        } else if (k === '--count' && /^[0-9]+$/.test(v)) {
            a.count = Number(v);
        } else if (k === '--out') {
            a.out = v;
        } else if (k === '--timestamp' && /^[0-9]+$/.test(v)) {
            a.timestamp = Number(v);
        } else {
            usage(`bad argument ${k} ${v}`);
        }
    }
    if (!a.secret || !a.out || a.count < 1 || a.count > 10000000) {
        usage('--secret, --out and --count 1..10000000 are required');
    }
    const t = a.timestamp || Math.floor(Date.now() / 1000);
    const run = crypto.randomBytes(6).toString('hex');
    const tmp = `${a.out}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    let buf = [];
    for (let i = 0; i < a.count; i++) {
        const sid = `cs_bench_${i}`;
        const body = JSON.stringify({
            id: `evt_bench_${i}_${run}`, object: 'event',
            api_version: '2024-06-20', created: t, livemode: false,
            type: 'checkout.session.completed', pending_webhooks: 1,
            request: {id: null, idempotency_key: null},
            data: {object: {
                id: sid, object: 'checkout.session', amount_subtotal: 4500,
                amount_total: 4500, currency: 'eur', client_reference_id:
                `bench-${i}`, created: t - 60, customer_details: {email:
                `bench${i}@example.com`}, customer_email:
                `bench${i}@example.com`, expires_at: t + 1740, livemode: false,
                locale: null, metadata: {booking_id: String(1000000 + i)},
                mode: 'payment', payment_intent: `pi_bench_${i}_${run}`,
                payment_status: 'paid', status: 'complete',
                success_url: 'https://clinic.example/paid', cancel_url:
                'https://clinic.example/cancelled', url: null,
            }},
        });
        buf.push(`${signHeader(body, [a.secret], t)}\t${body}\n`);
        if (buf.length >= 1000) {
            fs.writeSync(fd, buf.join(''));
            buf = [];
        }
    }
    fs.writeSync(fd, buf.join(''));
    fs.closeSync(fd);
    fs.renameSync(tmp, a.out);
}

main();
