// Pieces the booking, confirmation and manage pages share.
import { h } from './dom.js';
import { t, fmtWhen, fmtMoney, zoneLabel, span } from './i18n.js';

export function statusText(status) {
    const k = `status_${status}`;
    const s = t(k);
    return s === k ? String(status || '') : s;
}

export function manageHref(id, token) {
    // The token travels in the fragment only: browsers never send it to a
    // server, so it reaches no access log.
    return `/book/manage#${encodeURIComponent(String(id))}.${encodeURIComponent(token)}`;
}

export function summaryList(rows) {
    return h('dl', { class: 'summary' }, rows.filter(Boolean).map(([k, v, change]) =>
        h('div', { class: 'summary-row' }, h('dt', { text: k }), h('dd', null, v),
          change ? h('dd', { class: 'summary-change' }, change) : null)));
}

// A booking as GET /api/bookings/{id} shows it.
export function bookingSummary(b) {
    const tz = b.timezone;
    return summaryList([
        [t('bookingRef'), String(b.id)],
        [t('treatment'), b.service_name || ''],
        [t('when'), `${fmtWhen(b.start, tz)} (${zoneLabel(tz, b.start)})`],
        b.practitioner_name ? [t('practitioner'), b.practitioner_name] : null,
        b.price_cents !== undefined ? [t('price'), fmtMoney(b.price_cents, b.currency)] : null,
        [t('statusLabel'), h('span', { class: `status status-${b.status}`, id: 'booking-status',
                                       text: statusText(b.status) })],
        b.status === 'pending_payment' && b.hold_until
            ? [t('holdUntil'), fmtWhen(b.hold_until, tz)] : null,
    ]);
}

export function manageLinkBlock(id, token) {
    if (!token) {
        return null;
    }
    return h('div', { class: 'panel manage-block' },
        h('p', null, h('a', { href: manageHref(id, token), id: 'manage-link', class: 'manage-link' }, t('manageLink'))),
        h('p', { class: 'hint', text: t('manageKeep') }));
}

export function policyBlock(b) {
    const p = b.policy;
    if (!p) {
        return null;
    }
    const left = Math.max(0, (p.max_reschedules || 0) - (b.reschedules || 0));
    return h('div', { class: 'panel policy', id: 'policy' },
        h('h2', { text: t('rulesTitle') }),
        h('ul', null,
          h('li', null, `${t('ruleCancel', { span: span(p.cancel_cutoff_min) })} ${
              p.late_cancel === 'refuse' ? t('ruleLate_refuse') : t('ruleLate_forfeit')}`),
          h('li', null, t('ruleMove', { span: span(p.reschedule_cutoff_min), max: p.max_reschedules, left }))));
}
