// /book/: service -> day and time -> name, e-mail, phone -> confirm.
import '../css/base.css';
import '../css/book.css';
import { h, clear, focusEl, add } from '../lib/dom.js';
import { api, uuid, clinicStatus, saveBookingToken } from '../lib/api.js';
import { t, fmtWhen, fmtMoney, zoneLabel, onLang } from '../lib/i18n.js';
import { startPage, errorBox } from '../lib/chrome.js';
import { slotPicker } from '../lib/slots.js';
import { summaryList, manageLinkBlock, bookingSummary } from '../lib/bookview.js';

const main = startPage('bookTitle', { current: 'book' });
const params = new URLSearchParams(window.location.search);
const st = {
    step: 'service', services: null, service: null, slot: null, tz: null,
    patient: { name: '', email: '', phone: '' }, key: null, submitting: false,
    errors: [], alternatives: null, result: null, loadError: null,
};
let picker = null;

function chatSession() {
    try {
        return window.localStorage.getItem('cc.chat.session');
    } catch (e) {
        return null;
    }
}

function stepNo() {
    return { service: 1, time: 2, details: 3, confirm: 4 }[st.step];
}

function go(step) {
    st.step = step;
    st.errors = [];
    render(true);
}

function heading(key) {
    return h('h1', { id: 'page-title', text: t(key) });
}

function stepHeader(key) {
    return [h('span', { class: 'step-of', text: t('stepOf', { n: stepNo() }) }), heading(key)];
}

function backBtn(to) {
    return h('button', { type: 'button', class: 'btn btn-link back-btn', onclick: () => go(to) }, `‹ ${t('back')}`);
}

function errors() {
    return st.errors.length ? errorBox(t('errorTitle'), st.errors) : null;
}

function render(focus) {
    clear(main);
    const body = h('div', { class: 'page book', id: 'book' });
    main.appendChild(body);
    if (st.loadError) {
        add(body, heading('bookTitle'), h('p', { class: 'error-text', role: 'alert', text: st.loadError }),
                    h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => location.reload() },
                      t('tryAgain')));
        return;
    }
    if (!st.services) {
        add(body, heading('bookTitle'), h('p', { role: 'status', text: t('loading') }));
        return;
    }
    ({ service: drawService, time: drawTime, details: drawDetails, confirm: drawConfirm,
       result: drawResult })[st.step](body);
    if (focus) {
        const err = body.querySelector('.error-summary');
        focusEl(err || body.querySelector('h1'));
    }
}

function serviceHint(s) {
    return [t('minutes', { n: s.duration_min }), fmtMoney(s.price_cents, s.currency),
            s.requires_payment ? t('payOnBooking') : null].filter(Boolean).join(' · ');
}

function drawService(body) {
    const form = h('form', { novalidate: true, id: 'service-form' });
    const legend = h('legend', { class: 'legend-h1' }, ...stepHeader('stepService'));
    const list = h('div', { class: 'radios', id: 'service-list' }, st.services.map((s) => {
        const id = `service-${s.id}`;
        const hid = `${id}-hint`;
        const input = h('input', { type: 'radio', name: 'service', id, value: String(s.id),
                                   checked: !!(st.service && st.service.id === s.id),
                                   'aria-describedby': hid, class: 'radio-input' });
        return h('div', { class: 'radio' }, input,
                 h('label', { for: id, class: 'radio-label' }, s.name),
                 h('p', { id: hid, class: 'hint', text: serviceHint(s) }));
    }));
    form.append(h('fieldset', { class: 'fieldset' }, legend, errors(), list),
                h('button', { type: 'submit', class: 'btn btn-primary', id: 'continue' }, t('continue')));
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const sel = form.querySelector('input[name=service]:checked');
        if (!sel) {
            st.errors = [{ text: t('errService'), href: `#service-${st.services[0].id}` }];
            render(true);
            return;
        }
        const svc = st.services.find((s) => String(s.id) === sel.value);
        if (!st.service || st.service.id !== svc.id) {
            st.slot = null;
            picker = null;
        }
        st.service = svc;
        go('time');
    });
    add(body, form);
}

function drawTime(body) {
    add(body, backBtn('service'), ...stepHeader('stepTime'),
                h('p', { class: 'lead', text: `${st.service.name} · ${serviceHint(st.service)}` }));
    if (!picker) {
        picker = slotPicker({ serviceId: st.service.id, tz: st.tz, initial: st.slot,
                              alternatives: st.alternatives,
                              onChange: (s) => { st.slot = s; } });
        picker.start(st.tz);
    } else {
        picker.redraw();
    }
    const form = h('form', { novalidate: true, id: 'time-form' }, errors(), picker.el,
                   h('button', { type: 'submit', class: 'btn btn-primary', id: 'continue' }, t('continue')));
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        st.slot = picker.slot;
        if (!st.slot) {
            const first = form.querySelector('#time-group input, #alternatives input');
            st.errors = [{ text: t('errSlot'), href: first ? `#${first.id}` : null }];
            render(true);
            return;
        }
        st.tz = picker.tz || st.tz;
        st.alternatives = null;
        st.key = null;
        go(st.patient.name && st.patient.email ? 'confirm' : 'details');
    });
    add(body, form);
}

function field(id, label, input, hint, error) {
    const hid = hint ? `${id}-hint` : null;
    const eid = error ? `${id}-error` : null;
    input.id = id;
    const desc = [hid, eid].filter(Boolean).join(' ');
    if (desc) {
        input.setAttribute('aria-describedby', desc);
    }
    if (error) {
        input.setAttribute('aria-invalid', 'true');
    }
    return h('div', { class: error ? 'field field-error' : 'field' },
             h('label', { for: id, class: 'label', text: label }),
             hint ? h('p', { id: hid, class: 'hint', text: hint }) : null,
             error ? h('p', { id: eid, class: 'error-text', text: error }) : null,
             input);
}

function drawDetails(body) {
    const errs = Object.fromEntries(st.errors.map((e) => [e.field, e.text]));
    const name = h('input', { type: 'text', name: 'name', autocomplete: 'name', maxlength: 200, required: true,
                              value: st.patient.name, class: 'input' });
    const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', maxlength: 254, required: true,
                               value: st.patient.email, class: 'input', spellcheck: 'false' });
    const phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'tel', maxlength: 32,
                               value: st.patient.phone, class: 'input' });
    const form = h('form', { novalidate: true, id: 'details-form' }, errors(),
                   field('name', t('name'), name, null, errs.name),
                   field('email', t('email'), email, t('emailHint'), errs.email),
                   field('phone', t('phone'), phone, null, errs.phone),
                   h('button', { type: 'submit', class: 'btn btn-primary', id: 'continue' }, t('continue')));
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        st.patient = { name: name.value.trim(), email: email.value.trim(), phone: phone.value.trim() };
        st.errors = [];
        if (!st.patient.name) {
            st.errors.push({ field: 'name', text: t('errName'), href: '#name' });
        }
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(st.patient.email)) {
            st.errors.push({ field: 'email', text: t('errEmail'), href: '#email' });
        }
        if (st.errors.length) {
            render(true);
            return;
        }
        st.key = null;
        go('confirm');
    });
    add(body, backBtn('time'), ...stepHeader('stepDetails'), form);
}

function changeBtn(step, what) {
    return h('button', { type: 'button', class: 'btn btn-link', onclick: () => go(step) },
             t('change'), h('span', { class: 'visually-hidden', text: ` ${what}` }));
}

function drawConfirm(body) {
    const s = st.service;
    const paid = !!s.requires_payment && s.price_cents > 0;
    const btn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'confirm' },
                  paid ? t('confirmBookPay') : t('confirmBook'));
    const form = h('form', { novalidate: true, id: 'confirm-form' }, btn);
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        submit(btn);
    });
    add(body, backBtn('details'), ...stepHeader('stepConfirm'), errors(),
        summaryList([
            [t('treatment'), s.name, changeBtn('service', t('treatment'))],
            [t('when'), `${fmtWhen(st.slot.start, st.tz)} (${zoneLabel(st.tz, st.slot.start)})`,
             changeBtn('time', t('when'))],
            [t('price'), `${fmtMoney(s.price_cents, s.currency)}${paid ? ` · ${t('payOnBooking')}` : ''}`],
            [t('name'), st.patient.name, changeBtn('details', t('name'))],
            [t('email'), st.patient.email, changeBtn('details', t('email'))],
            st.patient.phone ? [t('phone'), st.patient.phone, changeBtn('details', t('phone'))] : null,
        ]), form);
}

// One Idempotency-Key per attempt: every click of the same attempt (a
// double click, a retry after a lost answer) sends the same key, so the
// clinic gets one booking; a new key only once the server has answered.
async function submit(btn) {
    if (st.submitting) {
        return;
    }
    st.submitting = true;
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
    btn.textContent = t('booking');
    if (!st.key) {
        st.key = uuid();
    }
    const body = { service_id: st.service.id, start: st.slot.start,
                   patient: { name: st.patient.name, email: st.patient.email } };
    if (st.slot.practitioner_id) {
        body.practitioner_id = st.slot.practitioner_id;
    }
    if (st.patient.phone) {
        body.patient.phone = st.patient.phone;
    }
    const session = chatSession();
    if (session && !st.noSession) {
        body.session_id = session;
    }
    try {
        const r = await api('POST', '/api/bookings', { body, headers: { 'Idempotency-Key': st.key } });
        st.key = null;
        booked(r.data);
    } catch (e) {
        st.submitting = false;
        if (e.status === 0) {
            // No answer: the same key again is safe (the server replays).
            st.errors = [{ text: t('networkError') }];
            render(true);
            return;
        }
        st.key = null;
        if (e.status === 409 && e.code === 'slot_taken') {
            st.alternatives = (e.body && e.body.alternatives) || [];
            st.slot = null;
            picker = null;
            st.step = 'time';
            st.errors = [{ text: t('slotTaken'), href: st.alternatives.length ? '#alternatives' : null }];
            render(true);
            return;
        }
        if (e.status === 422 && e.code === 'invalid_session') {
            st.noSession = true;
            st.submitting = false;
            submit(btn);
            return;
        }
        st.errors = [{ text: e.message || t('networkError') }];
        render(true);
    }
}

function booked(b) {
    saveBookingToken(b.id, b.manage_token);
    st.result = b;
    st.submitting = false;
    const pay = b.payment || {};
    if (b.status === 'pending_payment' && pay.url) {
        st.step = 'result';
        st.redirecting = true;
        render(true);
        window.location.assign(pay.url);
        return;
    }
    st.step = 'result';
    render(true);
}

async function payAgain(btn, note) {
    btn.disabled = true;
    const b = st.result;
    try {
        const r = await api('POST', '/api/payments', { body: { booking_id: b.id },
                                                      headers: { 'X-Manage-Token': b.manage_token } });
        if (r.data && r.data.url) {
            window.location.assign(r.data.url);
            return;
        }
    } catch (e) {
        note.textContent = e.message || t('networkError');
    }
    btn.disabled = false;
}

function drawResult(body) {
    const b = st.result;
    if (st.redirecting) {
        add(body, heading('booked'), h('p', { role: 'status', class: 'lead', text: t('redirecting') }),
                    bookingSummary(b), manageLinkBlock(b.id, b.manage_token));
        return;
    }
    const pay = b.payment || {};
    const note = h('p', { class: 'hint', role: 'status' });
    add(body, heading('booked'), bookingSummary(b));
    if (b.status === 'pending_payment') {
        if (pay.status === 'not_configured' || pay.url === null && pay.status === 'unpaid') {
            add(body, h('p', { class: 'panel warn', text: t('payNotConfigured') }));
        } else {
            const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'pay' }, t('pay'));
            btn.addEventListener('click', () => payAgain(btn, note));
            add(body, h('p', { class: 'panel warn', text: t('payFailed', { until: fmtWhen(b.hold_until, b.timezone) }) }),
                        btn, note);
        }
    }
    add(body, manageLinkBlock(b.id, b.manage_token));
}

async function init() {
    try {
        const [svc, status] = await Promise.all([api('GET', '/api/services'), clinicStatus()]);
        st.services = (svc.data && svc.data.services) || [];
        st.tz = (status && status.timezone) || null;
    } catch (e) {
        st.loadError = e.status === 0 ? t('networkError') : e.message;
        render(false);
        return;
    }
    // From the chat's offer: /book/?service=ID[&start=...&practitioner=ID]
    const sid = params.get('service');
    const svc = sid && st.services.find((s) => String(s.id) === sid);
    if (svc) {
        st.service = svc;
        st.step = 'time';
        const start = params.get('start');
        if (start && !Number.isNaN(Date.parse(start))) {
            const p = Number(params.get('practitioner'));
            st.slot = { start, practitioner_id: Number.isInteger(p) && p > 0 ? p : undefined };
            st.step = 'details';
            if (!st.tz) {
                // No /api/status: the slots API names the clinic's zone.
                try {
                    const q = new URLSearchParams({ service_id: sid, from: start.slice(0, 10), days: '1' });
                    const r = await api('GET', `/api/slots?${q}`);
                    st.tz = (r.data && r.data.timezone) || null;
                } catch (e) {
                    st.tz = null;
                }
            }
        }
    }
    render(false);
}

onLang(() => {
    if (picker) {
        picker.redraw();
    }
    render(false);
});
render(false);
init();
