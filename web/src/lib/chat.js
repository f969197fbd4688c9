// The patient chat: the page at / and the widget's panel (/embed/).
// The conversation token (session_id) stays in this origin's localStorage
// and travels only in the X-Chat-Token header or the JSON body.
import { h, clear, focusEl } from './dom.js';
import { api, uuid, clinicStatus } from './api.js';
import { t, fmtWhen, fmtMoney, zoneLabel, onLang } from './i18n.js';
import { langSwitch } from './chrome.js';

const SESSION = 'cc.chat.session';
const EMERGENCY = 'cc.chat.emergency';
// Polling for staff replies: quick at first, then slower, never faster
// than the server asks (Retry-After on 429).
const BACKOFF = [2000, 3000, 5000, 8000, 13000, 20000, 30000, 60000];

function store(key, value) {
    try {
        if (value === null) {
            window.localStorage.removeItem(key);
        } else {
            window.localStorage.setItem(key, value);
        }
    } catch (e) {
        /* storage unavailable: the conversation lasts as long as the page */
    }
}

function load(key) {
    try {
        return window.localStorage.getItem(key);
    } catch (e) {
        return null;
    }
}

export function mountChat(main, opts = {}) {
    const embed = !!opts.embed;
    const st = {
        session: load(SESSION),
        seen: new Set(),
        pollTimer: null,
        pollStep: 0,
        waiting: false,
        status: null,
        sending: false,
    };

    const title = h('h1', { id: 'chat-title', class: 'chat-title' });
    const closeBtn = embed ? h('button', { type: 'button', class: 'icon-btn close-btn',
                                           onclick: () => window.parent.postMessage({ type: 'concierge:close' }, '*') })
        : null;
    const bar = h('div', { class: 'chat-bar' }, title,
                  h('div', { class: 'chat-bar-tools' }, embed ? langSwitch('-embed', true) : null, closeBtn));
    const emergency = h('div', { class: 'emergency', id: 'emergency', role: 'alert', hidden: true });
    const hours = h('p', { class: 'hours', id: 'hours', hidden: true });
    const intro = h('p', { class: 'intro' });
    // The messages are a list inside a live region (role log): new ones are
    // announced.
    const log = h('ol', { class: 'log' });
    const logBox = h('div', { class: 'log-box', id: 'chat-log', role: 'log', 'aria-live': 'polite',
                              'aria-labelledby': 'chat-title' }, log);
    const typing = h('p', { class: 'typing', hidden: true });
    const notice = h('p', { class: 'notice', id: 'chat-notice', role: 'status' });
    const input = h('textarea', { id: 'chat-input', name: 'message', rows: 2, maxlength: 2000,
                                  autocomplete: 'off', required: true });
    const label = h('label', { for: 'chat-input', class: 'composer-label' });
    const sendBtn = h('button', { type: 'submit', class: 'btn btn-primary send-btn' });
    const form = h('form', { class: 'composer', id: 'chat-form', novalidate: true }, label,
                   h('div', { class: 'composer-row' }, input, sendBtn));
    const again = h('button', { type: 'button', class: 'btn btn-link again-btn' });

    clear(main);
    main.appendChild(h('section', { class: embed ? 'chat chat-embed' : 'chat', 'aria-labelledby': 'chat-title' },
                       bar, emergency, hours, intro, logBox, typing, notice, form, again));

    function drawChrome() {
        title.textContent = t('chatTitle');
        intro.textContent = t('chatIntro');
        label.textContent = t('messageLabel');
        sendBtn.textContent = t('send');
        again.textContent = t('startAgain');
        typing.textContent = t('sending');
        if (closeBtn) {
            closeBtn.textContent = '×';
            closeBtn.setAttribute('aria-label', t('close'));
        }
        drawHours();
        if (!emergency.hidden) {
            showEmergency(load(EMERGENCY));
        }
    }

    function drawHours() {
        const s = st.status;
        if (!s || s.staff_available !== false) {
            hours.hidden = true;
            return;
        }
        const next = s.staff_next_available_at;
        hours.textContent = (next
            ? t('staffAwayNext', { when: fmtWhen(next, s.timezone), zone: zoneLabel(s.timezone, next) })
            : t('staffAway')) + ' ' + t('staffAwayAsk');
        hours.hidden = false;
    }

    function showEmergency(number) {
        const num = number || (st.status && st.status.emergency_number) || '';
        clear(emergency);
        emergency.appendChild(h('h2', { class: 'emergency-title', text: t('emergencyTitle') }));
        emergency.appendChild(h('p', { class: 'emergency-text', text: t('emergencyText') }));
        let link = null;
        if (num) {
            link = h('a', { class: 'btn btn-emergency', id: 'emergency-call',
                            href: `tel:${String(num).replace(/[^0-9+]/g, '')}` },
                     t('emergencyCall', { number: num }));
            emergency.appendChild(link);
        }
        emergency.hidden = false;
        return link;
    }

    function who(role) {
        return role === 'patient' ? t('you') : role === 'staff' ? t('staff') : t('bot');
    }

    function bookHref(service, slot) {
        const q = new URLSearchParams({ service: String(service.id) });
        if (slot) {
            q.set('start', slot.start);
            if (slot.practitioner_id) {
                q.set('practitioner', String(slot.practitioner_id));
            }
        }
        return `/book/?${q}`;
    }

    function linkAttrs(href) {
        // In the widget, pages open in a new tab so the conversation stays.
        return embed ? { href, target: '_blank', rel: 'noopener' } : { href };
    }

    function renderActions(actions, tz, question) {
        const out = [];
        for (const a of actions || []) {
            if (a.type === 'book' && a.service) {
                const svc = a.service;
                out.push(h('div', { class: 'offer' },
                    h('p', { class: 'offer-title' }, `${svc.name} · ${fmtMoney(svc.price_cents, svc.currency)}`),
                    h('ul', { class: 'offer-slots' }, (a.slots || []).map((s) => h('li', null,
                        h('a', { class: 'btn btn-secondary slot-btn', ...linkAttrs(bookHref(svc, s)) },
                          t('bookAt', { when: fmtWhen(s.start, tz) }))))),
                    tz ? h('p', { class: 'hint', text: t('timesIn', { zone: zoneLabel(tz, (a.slots || [])[0] && a.slots[0].start) }) }) : null));
            } else if (a.type === 'choose_service') {
                out.push(h('div', { class: 'offer' },
                    h('p', { class: 'offer-title', text: t('chooseService') }),
                    h('ul', { class: 'offer-slots' }, (a.services || []).map((s) => h('li', null,
                        h('a', { class: 'btn btn-secondary', ...linkAttrs(bookHref(s, null)) }, s.name))))));
            } else if (a.type === 'contact_staff') {
                out.push(h('button', { type: 'button', class: 'btn btn-secondary contact-btn',
                                       onclick: (ev) => {
                                           ev.currentTarget.disabled = true;
                                           // The question goes along, so the team sees it.
                                           send(question ? `${t("contactStaffMsg")} “${question}”` : t("contactStaffMsg"),
                                                undefined, null, true);
                                       } }, t('contactStaff')));
            } else if (a.type === 'pay' && a.url) {
                out.push(h('a', { class: 'btn btn-primary pay-btn', href: a.url,
                                  target: embed ? '_blank' : null, rel: embed ? 'noopener' : null },
                           t('pay')));
            }
        }
        return out.length ? h('div', { class: 'actions' }, out) : null;
    }

    function renderSources(sources) {
        const list = (sources || []).filter((s) => s && s.title);
        if (!list.length) {
            return null;
        }
        return h('div', { class: 'sources' },
            h('p', { class: 'sources-title', text: t('sources') }),
            h('ul', null, list.map((s) => {
                const text = s.text || s.excerpt || s.snippet;
                return h('li', null, text
                    ? h('details', null, h('summary', null, s.title), h('p', { class: 'source-text', text }))
                    : h('span', { class: 'source-title', text: s.title }));
            })));
    }

    function addMessage(m) {
        const tz = (st.status && st.status.timezone) || m.timezone || null;
        const li = h('li', { class: `msg msg-${m.role}`, dataset: { status: m.status || '' } },
            h('p', { class: 'who', text: who(m.role) }),
            h('p', { class: 'body', text: m.text || '' }),
            m.role === 'bot' ? renderSources(m.sources) : null,
            m.role === 'bot' ? renderActions(m.actions, tz, m.question) : null,
            (m.status === 'escalated' || m.status === 'emergency') && m.staff_available === false &&
                m.staff_next_available_at
                ? h('p', { class: 'note', text: t('staffNext', {
                    when: fmtWhen(m.staff_next_available_at, tz), zone: zoneLabel(tz, m.staff_next_available_at) }) })
                : null);
        log.appendChild(li);
        li.scrollIntoView({ block: 'nearest' });
        return li;
    }

    function setWaiting(on) {
        st.waiting = on;
        notice.textContent = on ? t('waitingStaff') : '';
        if (on) {
            startPolling();
        } else {
            stopPolling();
        }
    }

    function stopPolling() {
        if (st.pollTimer) {
            clearTimeout(st.pollTimer);
            st.pollTimer = null;
        }
    }

    function startPolling(reset = true) {
        stopPolling();
        if (reset) {
            st.pollStep = 0;
        }
        schedulePoll(BACKOFF[Math.min(st.pollStep, BACKOFF.length - 1)]);
    }

    function schedulePoll(ms) {
        stopPolling();
        st.pollTimer = setTimeout(poll, ms);
    }

    async function poll() {
        st.pollTimer = null;
        if (!st.session || !st.waiting) {
            return;
        }
        if (document.hidden) {
            // Not shown: try again when the page is visible.
            document.addEventListener('visibilitychange', () => st.waiting && startPolling(false), { once: true });
            return;
        }
        let next = BACKOFF[Math.min(++st.pollStep, BACKOFF.length - 1)];
        try {
            const r = await api('GET', '/api/chat', { headers: { 'X-Chat-Token': st.session } });
            let fresh = 0;
            for (const m of (r.data && r.data.messages) || []) {
                if (st.seen.has(m.id)) {
                    continue;
                }
                st.seen.add(m.id);
                if (m.role === 'staff') {
                    addMessage({ role: 'staff', text: m.body });
                    fresh++;
                }
            }
            if (fresh) {
                notice.textContent = t('staffReplied');
                if (embed) {
                    // The launcher shows it while the panel is closed.
                    window.parent.postMessage({ type: 'concierge:unread', count: fresh }, '*');
                }
                st.pollStep = 0;
                next = BACKOFF[0];
            }
        } catch (e) {
            if (e.status === 404) {
                return expired();
            }
            if (e.status === 429 && e.retryAfter) {
                next = Math.max(next, Number(e.retryAfter) * 1000 || next);
            }
        }
        if (st.waiting) {
            schedulePoll(next);
        }
    }

    function expired() {
        st.session = null;
        store(SESSION, null);
        setWaiting(false);
        notice.textContent = t('expired');
    }

    async function restore() {
        if (!st.session) {
            return;
        }
        try {
            const r = await api('GET', '/api/chat', { headers: { 'X-Chat-Token': st.session } });
            let last = null;
            for (const m of (r.data && r.data.messages) || []) {
                st.seen.add(m.id);
                const srcs = Array.isArray(m.sources) ? m.sources : [];
                addMessage({ role: m.role, text: m.body, status: m.status, sources: srcs });
                if (m.role === 'bot') {
                    last = m.status;
                }
                if (m.status === 'emergency') {
                    showEmergency(load(EMERGENCY));
                }
            }
            if (last === 'escalated' || last === 'emergency') {
                setWaiting(true);
            }
        } catch (e) {
            if (e.status === 404) {
                expired();
            }
        }
    }

    async function send(text, cmid = uuid(), retry = null, toStaff = false) {
        if (st.sending) {
            return;
        }
        st.sending = true;
        sendBtn.disabled = true;
        typing.hidden = false;
        if (!retry) {
            addMessage({ role: 'patient', text });
        } else {
            retry.remove();
        }
        const body = { message: text, client_message_id: cmid };
        if (toStaff) {
            body.to_staff = true;      // "Ask our team": a person gets it
        }
        if (st.session) {
            body.session_id = st.session;
        }
        try {
            const r = await api('POST', '/api/chat', { body });
            const d = r.data || {};
            if (d.session_id) {
                st.session = d.session_id;
                store(SESSION, d.session_id);
            }
            if (typeof d.staff_available === 'boolean' && st.status) {
                st.status.staff_available = d.staff_available;
                st.status.staff_next_available_at = d.staff_next_available_at || null;
                drawHours();
            }
            const call = (d.actions || []).find((a) => a.type === 'call_emergency');
            let callLink = null;
            if (d.status === 'emergency' || call) {
                const num = (call && call.number) || (st.status && st.status.emergency_number) || null;
                if (num) {
                    store(EMERGENCY, num);
                }
                callLink = showEmergency(num);
            }
            addMessage({ role: 'bot', text: d.reply, status: d.status, sources: d.sources,
                         actions: d.actions, question: text, staff_available: d.staff_available,
                         staff_next_available_at: d.staff_next_available_at });
            if (d.status === 'escalated' || d.status === 'emergency') {
                setWaiting(true);
            }
            if (callLink) {
                emergency.scrollIntoView({ block: 'start' });
                callLink.focus();
            }
        } catch (e) {
            let msg = t('sendFailed');
            if (e.status === 0) {
                msg += ` ${t('networkError')}`;
            } else if (e.message) {
                msg += ` ${e.message}`;
            }
            const li = h('li', { class: 'msg msg-error' }, h('p', { class: 'body', text: msg }));
            li.appendChild(h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => {
                st.sending = false;
                send(text, cmid, li, toStaff);
            } }, t('tryAgain')));
            log.appendChild(li);
        } finally {
            st.sending = false;
            sendBtn.disabled = false;
            typing.hidden = true;
        }
    }

    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const text = input.value.trim();
        if (!text || st.sending) {
            input.focus();
            return;
        }
        input.value = '';
        send(text);
        input.focus();
    });
    input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
            ev.preventDefault();
            form.requestSubmit();
        }
    });
    again.addEventListener('click', () => {
        stopPolling();
        st.session = null;
        st.seen.clear();
        st.waiting = false;
        store(SESSION, null);
        store(EMERGENCY, null);
        clear(log);
        emergency.hidden = true;
        clear(emergency);
        notice.textContent = t('cleared');
        input.focus();
    });
    if (embed) {
        document.addEventListener('keydown', (ev) => {
            if (ev.key === 'Escape') {
                window.parent.postMessage({ type: 'concierge:close' }, '*');
            }
        });
    }
    onLang(drawChrome);
    drawChrome();
    clinicStatus().then((s) => {
        st.status = s ? { ...s } : null;
        drawHours();
    });
    restore();
    return { focus: () => focusEl(input) };
}
