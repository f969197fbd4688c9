// The page chrome every patient page shares: the clinic's name, links to
// the chat and booking, and the language switch.
import { h, clear } from './dom.js';
import { t, LANGS, pickLang, setLang, currentLang, onLang } from './i18n.js';
import { clinicStatus } from './api.js';

let clinicName = null;

// live: the switch stays on the page across language changes (its label
// follows); otherwise its owner draws a new one.
export function langSwitch(idSuffix = '', live = false) {
    const id = `cc-lang${idSuffix}`;
    const sel = h('select', { id, name: 'lang', class: 'lang-select' },
                  LANGS.map(([code, label]) => h('option', { value: code, lang: code,
                                                             selected: code === currentLang() },
                                                 label)));
    sel.addEventListener('change', () => setLang(sel.value, true));
    const label = h('label', { for: id, text: t('language') });
    if (live) {
        onLang(() => {
            label.textContent = t('language');
        });
    }
    return h('div', { class: 'lang' }, label, sel);
}

// Mount the header and return the <main> element the page renders into.
// titleKey names the page's title in the dictionary.
export function startPage(titleKey, opts = {}) {
    setLang(pickLang(), false);
    const header = document.getElementById('top');
    const main = document.getElementById('main');
    const draw = () => {
        document.title = `${t(titleKey)} – ${clinicName || t('appName')}`;
        const skip = document.querySelector('.skip');
        if (skip) {
            skip.textContent = t('skip');
        }
        if (!header) {
            return;
        }
        const refocus = document.activeElement && document.activeElement.id === 'cc-lang';
        clear(header);
        header.appendChild(h('div', { class: 'top-inner' },
            h('a', { class: 'brand', href: '/' }, clinicName || t('appName')),
            opts.nav === false ? null : h('nav', { 'aria-label': t('appName') },
                h('ul', null,
                  h('li', null, h('a', { href: '/', 'aria-current': opts.current === 'chat' ? 'page' : null },
                                  t('navChat'))),
                  h('li', null, h('a', { href: '/book/', 'aria-current': opts.current === 'book' ? 'page' : null },
                                  t('navBook'))))),
            langSwitch()));
        if (refocus) {
            document.getElementById('cc-lang').focus();
        }
    };
    draw();
    onLang(draw);
    clinicStatus().then((st) => {
        if (st && typeof st.clinic_name === 'string' && st.clinic_name) {
            clinicName = st.clinic_name;
            draw();
        }
    });
    return main;
}

export function errorBox(title, items) {
    // GOV.UK-style error summary: a heading and links to the fields.
    const box = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
                  h('h2', { class: 'error-title', text: title || t('errorTitle') }),
                  h('ul', null, items.map((it) => h('li', null,
                      it.href ? h('a', { href: it.href, onclick: (ev) => {
                          const target = document.querySelector(it.href);
                          if (target) {
                              ev.preventDefault();
                              target.focus();
                          }
                      } }, it.text) : it.text))));
    return box;
}
