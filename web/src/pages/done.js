// /book/done?booking=N: where Stripe sends the patient back after paying.
// Shows the booking's real state: pending until the webhook confirms it
// (polling GET /api/bookings/{id} with the token kept in this browser).
import '../css/base.css';
import '../css/book.css';
import { h, clear, focusEl, add } from '../lib/dom.js';
import { api, bookingToken } from '../lib/api.js';
import { t, onLang } from '../lib/i18n.js';
import { startPage } from '../lib/chrome.js';
import { bookingSummary, manageLinkBlock } from '../lib/bookview.js';

const main = startPage('doneTitle', { current: 'book' });
const id = new URLSearchParams(window.location.search).get('booking');
const token = id ? bookingToken(id) : null;
const DELAYS = [1000, 1000, 2000, 2000, 3000, 5000, 5000, 10000, 15000];
const st = { booking: null, error: null, tries: 0, started: Date.now() };

function render() {
    clear(main);
    const body = h('div', { class: 'page done', id: 'done' }, h('h1', { id: 'page-title', text: t('doneTitle') }));
    main.appendChild(body);
    if (!id || !/^[0-9]+$/.test(id)) {
        add(body, h('p', { class: 'panel warn', text: t('noBooking') }));
        return;
    }
    if (!token) {
        add(body, h('p', { class: 'panel warn', text: t('noToken') }));
        return;
    }
    const live = h('div', { class: 'live', role: 'status', 'aria-live': 'polite', id: 'done-state' });
    add(body, live);
    if (st.error) {
        add(live, h('p', { class: 'error-text', text: st.error }));
        return;
    }
    const b = st.booking;
    if (!b) {
        add(live, h('p', { text: t('loading') }));
        return;
    }
    if (b.status === 'confirmed') {
        add(live, h('p', { class: 'panel ok', text: t('doneConfirmed') }));
    } else if (b.status === 'pending_payment') {
        add(live, h('p', { class: 'panel pending', text: t('donePending') }));
        if (Date.now() - st.started > 120000) {
            add(live, h('p', { class: 'hint', text: t('doneSlow') }));
        }
    }
    add(body, bookingSummary(b), manageLinkBlock(b.id, token));
}

async function poll() {
    try {
        const r = await api('GET', `/api/bookings/${id}`, { headers: { 'X-Manage-Token': token } });
        st.booking = r.data;
        st.error = null;
    } catch (e) {
        st.error = e.status === 404 ? t('notFound') : e.status === 0 ? t('networkError') : e.message;
    }
    // Draw again only when something changed (keeps the focus where it is).
    const key = `${st.booking && st.booking.status}|${st.error}|${Date.now() - st.started > 120000}`;
    if (key !== st.shown) {
        st.shown = key;
        render();
    }
    const pending = !st.booking || st.booking.status === 'pending_payment';
    if (pending && (!st.error || st.tries < 20)) {
        setTimeout(poll, DELAYS[Math.min(st.tries++, DELAYS.length - 1)]);
    }
}

onLang(render);
render();
focusEl(document.getElementById('page-title'));
if (id && token) {
    poll();
}
