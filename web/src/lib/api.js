// Same-origin JSON calls to the concierge API.  Every state change is a
// JSON fetch with Content-Type: application/json (the server refuses other
// types and cross-site requests), even without a body.

export class ApiError extends Error {
    constructor(status, code, message, body, retryAfter) {
        super(message || code);
        this.status = status;
        this.code = code;
        this.body = body;
        this.retryAfter = retryAfter;
    }
}

export async function api(method, path, opts = {}) {
    const headers = { Accept: 'application/json', ...(opts.headers || {}) };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET' && method !== 'HEAD') {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(opts.body === undefined ? {} : opts.body);
    }
    let res;
    try {
        res = await fetch(path, init);
    } catch (e) {
        throw new ApiError(0, 'network', e.message, null, null);
    }
    let data = null;
    try {
        data = await res.json();
    } catch (e) {
        data = null;
    }
    if (!res.ok) {
        const err = (data && data.error) || {};
        throw new ApiError(res.status, err.code || `http_${res.status}`,
                           err.message || res.statusText, data,
                           res.headers.get('Retry-After'));
    }
    return { status: res.status, data, headers: res.headers };
}

// A random UUID (v4) for Idempotency-Key and client_message_id.
export function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
        return window.crypto.randomUUID();
    }
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// GET /api/status: {clinic_name, timezone, staff_available,
// staff_next_available_at, emergency_number}.  Missing (404, older server)
// or failing: null, and the pages treat every field as unknown.
let statusPromise = null;
export function clinicStatus() {
    if (!statusPromise) {
        statusPromise = api('GET', '/api/status').then((r) => r.data || null,
                                                       () => null);
    }
    return statusPromise;
}

// Manage tokens live in this browser's storage (never in a URL path or
// query): sessionStorage for this tab and localStorage so the Stripe
// return pages and later visits find them.
const TOKENS = 'cc.bookings';

export function saveBookingToken(id, token) {
    if (!id || !token) {
        return;
    }
    for (const store of [window.sessionStorage, window.localStorage]) {
        try {
            const m = JSON.parse(store.getItem(TOKENS) || '{}');
            m[String(id)] = token;
            store.setItem(TOKENS, JSON.stringify(m));
        } catch (e) {
            /* storage unavailable (private mode): the manage link still works */
        }
    }
}

export function bookingToken(id) {
    for (const store of [window.sessionStorage, window.localStorage]) {
        try {
            const m = JSON.parse(store.getItem(TOKENS) || '{}');
            if (m[String(id)]) {
                return m[String(id)];
            }
        } catch (e) {
            /* ignore */
        }
    }
    return null;
}
