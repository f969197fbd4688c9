// Choosing a day and a time from GET /api/slots, in the clinic's zone
// (the API gives each start with the clinic's offset, so a DST day has
// its real hours; the labels name the zone).
import { h, clear, uid } from './dom.js';
import { api } from './api.js';
import { t, fmtDayShort, fmtDay, fmtTime, zoneLabel, todayIn, addDays } from './i18n.js';

const DAYS = 14;

export function slotPicker(opts) {
    const st = { from: null, tz: opts.tz || null, slots: [], day: null, slot: opts.initial || null,
                 loading: false, error: null, extra: opts.alternatives || null };
    const root = h('div', { class: 'slot-picker' });
    const name = uid('slot');

    async function fetchSlots(from, retried) {
        st.loading = true;
        draw();
        const q = new URLSearchParams({ service_id: String(opts.serviceId), from, days: String(DAYS) });
        try {
            const r = await api('GET', `/api/slots?${q}`);
            st.from = from;
            st.tz = (r.data && r.data.timezone) || st.tz;
            st.slots = uniq((r.data && r.data.slots) || []);
            st.error = null;
            const days = dayList();
            if (!st.day || !days.includes(st.day)) {
                st.day = st.slot && days.includes(st.slot.start.slice(0, 10)) ? st.slot.start.slice(0, 10)
                    : days[0] || null;
            }
        } catch (e) {
            if (e.status === 400 && !retried && !st.from) {
                // The browser's date ran behind the clinic's: start a day later.
                return fetchSlots(addDays(from, 1), true);
            }
            st.error = e.status === 0 ? t('networkError') : e.message;
        }
        st.loading = false;
        draw();
        return null;
    }

    function uniq(slots) {
        const seen = new Set();
        return slots.filter((s) => (seen.has(s.start) ? false : seen.add(s.start)));
    }

    // Day keys are the clinic's local dates: the first ten characters of
    // an RFC 3339 time with the clinic's offset.
    function dayList() {
        return [...new Set(st.slots.map((s) => s.start.slice(0, 10)))];
    }

    function choose(slot) {
        st.slot = slot;
        if (opts.onChange) {
            opts.onChange(slot);
        }
    }

    function draw() {
        clear(root);
        if (st.extra && st.extra.length) {
            root.appendChild(altList());
        }
        if (st.loading && !st.slots.length) {
            root.appendChild(h('p', { class: 'hint', role: 'status', text: t('loading') }));
            return;
        }
        if (st.error) {
            root.appendChild(h('p', { class: 'error-text', role: 'alert', text: st.error }));
            root.appendChild(h('button', { type: 'button', class: 'btn btn-secondary',
                                           onclick: () => fetchSlots(st.from || todayIn(st.tz)) }, t('tryAgain')));
            return;
        }
        const first = st.slots[0] && st.slots[0].start;
        const last = st.slots.length ? st.slots[st.slots.length - 1].start : first;
        root.appendChild(h('p', { class: 'hint zone-hint', id: 'zone-hint',
                                  text: t('timesIn', { zone: zoneLabel(st.tz, first, last) }) }));
        const days = dayList();
        if (!days.length) {
            root.appendChild(h('p', { class: 'empty', text: t('noSlots') }));
        } else {
            const dayName = `${name}-day`;
            root.appendChild(h('fieldset', { class: 'fieldset days', id: 'day-group' },
                h('legend', { text: t('day') }),
                h('div', { class: 'chips' }, days.map((d) => {
                    const id = `${dayName}-${d}`;
                    const s = st.slots.find((x) => x.start.startsWith(d));
                    const input = h('input', { type: 'radio', name: dayName, id, value: d, checked: d === st.day,
                                               class: 'chip-input' });
                    input.addEventListener('change', () => {
                        st.day = d;
                        draw();
                        const again = document.getElementById(id);
                        if (again) {
                            again.focus();
                        }
                    });
                    return h('div', { class: 'chip' }, input,
                             h('label', { for: id, class: 'chip-label' },
                               h('span', { 'aria-hidden': 'true', text: fmtDayShort(s.start, st.tz) }),
                               h('span', { class: 'visually-hidden', text: fmtDay(s.start, st.tz) })));
                }))));
            const times = st.slots.filter((s) => s.start.startsWith(st.day));
            root.appendChild(h('fieldset', { class: 'fieldset times', id: 'time-group' },
                h('legend', { text: `${t('time')} – ${fmtDay(times[0].start, st.tz)}` }),
                h('div', { class: 'chips' }, times.map((s) => {
                    const id = `${name}-t-${s.start.replace(/[^0-9]/g, '')}`;
                    const input = h('input', { type: 'radio', name: `${name}-time`, id, value: s.start,
                                               checked: !!(st.slot && st.slot.start === s.start),
                                               class: 'chip-input' });
                    input.addEventListener('change', () => choose(s));
                    return h('div', { class: 'chip' }, input,
                             h('label', { for: id, class: 'chip-label' }, fmtTime(s.start, st.tz)));
                }))));
        }
        const today = todayIn(st.tz);
        root.appendChild(h('div', { class: 'pager' },
            st.from && st.from > today
                ? h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => {
                    const f = addDays(st.from, -DAYS);
                    fetchSlots(f < today ? today : f);
                } }, t('earlier')) : null,
            h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => fetchSlots(addDays(st.from || today, DAYS)) },
              t('later'))));
    }

    // The nearest free times the server offered after a 409.
    function altList() {
        const name2 = `${name}-alt`;
        return h('fieldset', { class: 'fieldset alternatives', id: 'alternatives' },
            h('legend', { text: t('slotTaken') }),
            h('div', { class: 'chips' }, st.extra.map((s, i) => {
                const id = `${name2}-${i}`;
                const input = h('input', { type: 'radio', name: name2, id, value: s.start, class: 'chip-input',
                                           checked: !!(st.slot && st.slot.start === s.start &&
                                                       st.slot.fromAlternatives) });
                input.addEventListener('change', () => choose({ ...s, fromAlternatives: true }));
                return h('div', { class: 'chip' }, input,
                         h('label', { for: id, class: 'chip-label' }, `${fmtDayShort(s.start, st.tz)} ${fmtTime(s.start, st.tz)}`));
            })));
    }

    return {
        el: root,
        start(tz) {
            st.tz = tz || st.tz;
            const from = st.slot ? st.slot.start.slice(0, 10) : todayIn(st.tz);
            const today = todayIn(st.tz);
            fetchSlots(from < today ? today : from);
        },
        redraw: draw,
        get slot() {
            return st.slot;
        },
        get tz() {
            return st.tz;
        },
    };
}
