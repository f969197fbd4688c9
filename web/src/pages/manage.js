// /book/manage#<id>.<token>: the booking, cancel and reschedule within the
// clinic's rules.  The token is read from the fragment (never sent to a
// server in a URL) and sent as X-Manage-Token.
import '../css/base.css';
import '../css/book.css';
import { h, clear, focusEl, add } from '../lib/dom.js';
import { api, saveBookingToken } from '../lib/api.js';
import { t, onLang, span } from '../lib/i18n.js';
import { startPage } from '../lib/chrome.js';
import { bookingSummary, policyBlock } from '../lib/bookview.js';
import { slotPicker } from '../lib/slots.js';

const main = startPage('manageTitle', { current: 'book' });
const st = { id: null, token: null, booking: null, view: 'view', message: null, refusal: null,
             error: null, busy: false, picker: null, alternatives: null };

function parseFragment() {
    const m = /^#([0-9]+)\.([A-Za-z0-9_-]+)$/.exec(decodeURIComponent(window.location.hash || ''));
    st.id = m ? m[1] : null;
    st.token = m ? m[2] : null;
    if (st.id) {
        saveBookingToken(st.id, st.token);
    }
}

function headers() {
    return { 'X-Manage-Token': st.token };
}

function active(b) {
    return (b.status === 'confirmed' || b.status === 'pending_payment') && Date.parse(b.start) > Date.now();
}

function lateNow(b) {
    const p = b.policy;
    return p && Date.parse(b.start) - Date.now() < p.cancel_cutoff_min * 60000;
}

function render(focusSel) {
    clear(main);
    const body = h('div', { class: 'page manage', id: 'manage' }, h('h1', { id: 'page-title', text: t('manageTitle') }));
    main.appendChild(body);
    if (!st.id) {
        add(body, h('p', { class: 'panel warn', text: t('badLink') }));
        return;
    }
    const live = h('div', { id: 'manage-live', role: 'status', 'aria-live': 'polite' },
                   st.message ? h('p', { class: 'panel ok', id: 'manage-message', text: st.message }) : null);
    add(body, live);
    if (st.refusal) {
        add(body, h('div', { class: 'error-summary', role: 'alert', id: 'refusal', tabindex: '-1' },
            h('h2', { class: 'error-title', text: t('refused') }),
            h('p', { id: 'refusal-text', text: st.refusal })));
    }
    if (st.error) {
        add(body, h('p', { class: 'error-text', role: 'alert', text: st.error }));
    }
    const b = st.booking;
    if (!b) {
        if (!st.error) {
            add(body, h('p', { text: t('loading') }));
        }
        return;
    }
    add(body, bookingSummary(b));
    if (st.view === 'cancel') {
        const yes = h('button', { type: 'button', class: 'btn btn-danger', id: 'cancel-yes' }, t('cancelYes'));
        yes.disabled = st.busy;
        yes.addEventListener('click', doCancel);
        add(body, h('div', { class: 'panel confirm-box' },
            h('h2', { id: 'cancel-ask', text: t('cancelAsk') }),
            lateNow(b) && b.policy.late_cancel !== 'refuse' && b.price_cents > 0
                ? h('p', { class: 'warn-text', id: 'late-warning', text: t('lateWarn', { span: span(b.policy.cancel_cutoff_min) }) }) : null,
            h('div', { class: 'button-row' }, yes,
              h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => setView('view') }, t('keep')))));
    } else if (st.view === 'move') {
        if (!st.picker) {
            st.picker = slotPicker({ serviceId: b.service_id, tz: b.timezone, alternatives: st.alternatives });
            st.picker.start(b.timezone);
        } else {
            st.picker.redraw();
        }
        const go = h('button', { type: 'submit', class: 'btn btn-primary', id: 'move-confirm' }, t('moveConfirm'));
        go.disabled = st.busy;
        const form = h('form', { novalidate: true, id: 'move-form', class: 'panel' },
                       h('h2', { text: t('moveBooking') }), st.picker.el,
                       h('div', { class: 'button-row' }, go,
                         h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => setView('view') },
                           t('keep'))));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            doMove();
        });
        add(body, form);
    } else if (active(b)) {
        add(body, h('div', { class: 'button-row' },
            b.status === 'pending_payment'
                ? h('button', { type: 'button', class: 'btn btn-primary', id: 'pay', onclick: doPay }, t('pay')) : null,
            h('button', { type: 'button', class: 'btn btn-secondary', id: 'move', onclick: () => setView('move') },
              t('moveBooking')),
            h('button', { type: 'button', class: 'btn btn-danger', id: 'cancel', onclick: () => setView('cancel') },
              t('cancelBooking'))));
    }
    add(body, policyBlock(b));
    if (focusSel) {
        focusEl(body.querySelector(focusSel));
    }
}

function setView(v) {
    st.view = v;
    st.refusal = null;
    st.error = null;
    st.message = null;
    if (v !== 'move') {
        st.picker = null;
        st.alternatives = null;
    }
    render(v === 'cancel' ? '#cancel-ask' : v === 'move' ? '#move-form h2' : '#page-title');
}

// The rule that refused it, in the page's language; the server's own
// text for anything else.
function refusalText(e) {
    const p = (st.booking && st.booking.policy) || {};
    if (e.code === 'cancellation_cutoff') {
        return `${t('ruleCancel', { span: span(p.cancel_cutoff_min) })} ${t('ruleLate_refuse')}`;
    }
    if (e.code === 'reschedule_cutoff') {
        return t('refusedMoveCutoff', { span: span(p.reschedule_cutoff_min) });
    }
    if (e.code === 'reschedule_limit') {
        return t('refusedMoveLimit', { max: p.max_reschedules });
    }
    const m = e.message || e.code || '';
    return m.charAt(0).toUpperCase() + m.slice(1);
}

async function doCancel() {
    st.busy = true;
    render();
    try {
        const r = await api('POST', `/api/bookings/${st.id}/cancel`, { headers: headers(), body: {} });
        st.booking = (r.data && r.data.booking) || st.booking;
        st.view = 'view';
        st.message = r.data && r.data.late ? t('cancelledLate') : t('cancelledOk');
    } catch (e) {
        st.view = 'view';
        if (e.status === 422 || e.status === 409) {
            st.refusal = refusalText(e);
        } else {
            st.error = e.status === 0 ? t('networkError') : e.message;
        }
    }
    st.busy = false;
    render(st.refusal ? '#refusal' : '#manage-live p');
}

async function doMove() {
    const slot = st.picker && st.picker.slot;
    if (!slot) {
        st.error = t('errSlot');
        render();
        return;
    }
    st.busy = true;
    const body = { start: slot.start };
    if (slot.practitioner_id) {
        body.practitioner_id = slot.practitioner_id;
    }
    try {
        const r = await api('POST', `/api/bookings/${st.id}/reschedule`, { headers: headers(), body });
        st.booking = (r.data && r.data.booking) || st.booking;
        st.view = 'view';
        st.picker = null;
        st.alternatives = null;
        st.message = t('moved');
        st.refusal = null;
        st.error = null;
    } catch (e) {
        if (e.status === 409 && e.code === 'slot_taken') {
            st.alternatives = (e.body && e.body.alternatives) || [];
            st.picker = null;
            st.error = null;
        } else if (e.status === 422 || e.status === 409) {
            st.view = 'view';
            st.picker = null;
            st.refusal = refusalText(e);
        } else {
            st.error = e.status === 0 ? t('networkError') : e.message;
        }
    }
    st.busy = false;
    render(st.refusal ? '#refusal' : st.message ? '#manage-live p' : null);
}

async function doPay() {
    try {
        const r = await api('POST', '/api/payments', { headers: headers(), body: { booking_id: Number(st.id) } });
        if (r.data && r.data.url) {
            window.location.assign(r.data.url);
            return;
        }
    } catch (e) {
        st.error = e.message || t('networkError');
        render();
    }
}

async function load() {
    parseFragment();
    st.booking = null;
    st.error = null;
    render();
    if (!st.id) {
        return;
    }
    try {
        const r = await api('GET', `/api/bookings/${st.id}`, { headers: headers() });
        st.booking = r.data;
    } catch (e) {
        st.error = e.status === 404 || e.status === 401 ? t('notFound')
            : e.status === 0 ? t('networkError') : e.message;
    }
    render();
}

window.addEventListener('hashchange', load);
onLang(() => render());
load().then(() => focusEl(document.getElementById('page-title')));
