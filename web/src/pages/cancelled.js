// /book/cancelled?booking=N: the patient left Stripe Checkout without
// paying.  The booking is held until hold_until: offer to pay again.
import '../css/base.css';
import '../css/book.css';
import { h, clear, focusEl, add } from '../lib/dom.js';
import { api, bookingToken } from '../lib/api.js';
import { t, fmtWhen, onLang } from '../lib/i18n.js';
import { startPage } from '../lib/chrome.js';
import { bookingSummary, manageLinkBlock } from '../lib/bookview.js';

const main = startPage('cancelledTitle', { current: 'book' });
const id = new URLSearchParams(window.location.search).get('booking');
const token = id ? bookingToken(id) : null;
const st = { booking: null, error: null, paying: false };

function render() {
    clear(main);
    const body = h('div', { class: 'page cancelled', id: 'cancelled' },
                   h('h1', { id: 'page-title', text: t('cancelledTitle') }));
    main.appendChild(body);
    if (!id || !/^[0-9]+$/.test(id)) {
        add(body, h('p', { class: 'panel warn', text: t('noBooking') }));
        return;
    }
    if (!token) {
        add(body, h('p', { class: 'panel warn', text: t('noToken') }));
        return;
    }
    const note = h('p', { class: 'hint', role: 'status', id: 'pay-note' });
    if (st.error) {
        add(body, h('p', { class: 'error-text', role: 'alert', text: st.error }));
    }
    const b = st.booking;
    if (!b) {
        add(body, h('p', { text: st.error ? '' : t('loading') }));
        return;
    }
    if (b.status === 'pending_payment') {
        const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'pay' }, t('pay'));
        btn.disabled = st.paying;
        btn.addEventListener('click', () => pay(btn, note));
        add(body, h('p', { class: 'lead', text: t('cancelledText', { until: fmtWhen(b.hold_until, b.timezone) }) }),
                    btn, note);
    } else if (b.status === 'confirmed') {
        add(body, h('p', { class: 'panel ok', text: t('doneConfirmed') }));
    } else {
        add(body, h('p', { class: 'panel warn', text: t('cancelledGone') }),
                    h('p', null, h('a', { href: '/book/', class: 'btn btn-secondary' }, t('bookAgain'))));
    }
    add(body, bookingSummary(b), manageLinkBlock(b.id, token));
}

async function pay(btn, note) {
    st.paying = true;
    btn.disabled = true;
    try {
        const r = await api('POST', '/api/payments', { body: { booking_id: Number(id) },
                                                      headers: { 'X-Manage-Token': token } });
        if (r.data && r.data.url) {
            note.textContent = t('redirecting');
            window.location.assign(r.data.url);
            return;
        }
    } catch (e) {
        st.error = e.message || t('networkError');
    }
    st.paying = false;
    render();
}

async function load() {
    try {
        const r = await api('GET', `/api/bookings/${id}`, { headers: { 'X-Manage-Token': token } });
        st.booking = r.data;
    } catch (e) {
        st.error = e.status === 404 ? t('notFound') : e.status === 0 ? t('networkError') : e.message;
    }
    render();
}

onLang(render);
render();
focusEl(document.getElementById('page-title'));
if (id && token) {
    load();
}
