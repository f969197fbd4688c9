// /widget.js - the loader a clinic pastes into its own site:
//   <script src="https://concierge.example/widget.js" async
//           data-lang="en" data-position="right"></script>
// It adds a launcher button and a panel holding an iframe of /embed/ on
// the concierge's origin, all inside a shadow root: the host page's CSS
// does not reach them and nothing here styles the host page.
(function () {
    'use strict';
    var script = document.currentScript;
    if (!script || window.__conciergeWidget) {
        return;
    }
    window.__conciergeWidget = true;
    var origin = new URL(script.src, window.location.href).origin;
    var data = script.dataset || {};
    var WORDS = {
        en: ['Chat with us', 'Close chat', 'Clinic chat', 'new replies'],
        es: ['Hable con nosotros', 'Cerrar el chat', 'Chat de la clínica', 'respuestas nuevas'],
        fr: ['Discutez avec nous', 'Fermer la discussion', 'Discussion avec la clinique', 'nouvelles réponses'],
    };
    var langs = [data.lang].concat(navigator.languages || [navigator.language]);
    var lang = 'en';
    for (var i = 0; i < langs.length; i++) {
        var l = String(langs[i] || '').toLowerCase().split('-')[0];
        if (WORDS[l]) {
            lang = l;
            break;
        }
    }
    var words = WORDS[lang];
    var side = data.position === 'left' ? 'left' : 'right';
    var CSS = ':host{all:initial;position:fixed;z-index:2147483000;bottom:16px;' + side + ':16px;' +
        'font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2a33}' +
        '.launcher{all:unset;box-sizing:border-box;display:inline-flex;align-items:center;gap:8px;min-height:48px;' +
        'padding:12px 20px;border-radius:999px;background:#0b5c7a;color:#fff;font-size:16px;font-weight:600;line-height:1.2;' +
        'letter-spacing:normal;word-spacing:normal;text-transform:none;' +
        'font-family:inherit;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3)}' +
        '.launcher:hover{background:#084a63}' +
        '.badge{display:inline-block;min-width:22px;padding:1px 6px;border-radius:999px;background:#fff;' +
        'color:#a4161a;font-size:14px;font-weight:700;line-height:20px;text-align:center}' +
        '.badge[hidden]{display:none}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}' +
        '.launcher:focus-visible{outline:3px solid #ffbf47;outline-offset:2px;box-shadow:0 0 0 6px #1d2a33}' +
        '.panel{position:fixed;bottom:80px;' + side + ':16px;width:min(400px,calc(100vw - 32px));' +
        'height:min(640px,calc(100vh - 112px));border-radius:12px;overflow:hidden;background:#fff;' +
        'box-shadow:0 8px 32px rgba(0,0,0,.35)}' +
        '.panel[hidden]{display:none}' +
        'iframe{display:block;border:0;width:100%;height:100%;margin:0;padding:0}' +
        '@media (max-width:480px){.panel{' + side + ':8px;bottom:76px;width:calc(100vw - 16px);' +
        'height:calc(100vh - 92px)}}';

    var host = document.createElement('concierge-widget');
    var root = host.attachShadow({ mode: 'open' });
    if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === 'function') {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
    } else {
        var style = document.createElement('style');
        style.textContent = CSS;
        root.appendChild(style);
    }
    var panel = document.createElement('div');
    panel.className = 'panel';
    panel.id = 'concierge-panel';
    panel.hidden = true;
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'launcher';
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-controls', 'concierge-panel');
    var label = document.createElement('span');
    label.textContent = words[0];
    var badge = document.createElement('span');
    badge.className = 'badge';
    badge.hidden = true;
    var unread = 0;
    button.appendChild(label);
    button.appendChild(badge);
    root.appendChild(panel);
    root.appendChild(button);
    var frame = null;

    function open() {
        if (!frame) {
            frame = document.createElement('iframe');
            frame.title = words[2];
            frame.src = origin + '/embed/?lang=' + encodeURIComponent(lang);
            frame.setAttribute('referrerpolicy', 'strict-origin');
            frame.addEventListener('load', function () {
                if (!panel.hidden) {
                    frame.contentWindow.postMessage({ type: 'concierge:focus' }, origin);
                }
            });
            panel.appendChild(frame);
        }
        panel.hidden = false;
        button.setAttribute('aria-expanded', 'true');
        label.textContent = words[1];
        setUnread(0);
        frame.focus();
        frame.contentWindow.postMessage({ type: 'concierge:focus' }, origin);
    }

    function close() {
        panel.hidden = true;
        button.setAttribute('aria-expanded', 'false');
        label.textContent = words[0];
        button.focus();
    }

    // Staff replies that came while the panel was closed (Chatwoot's
    // unread state): a count on the launcher, read out with its name.
    function setUnread(n) {
        unread = n;
        badge.hidden = !n;
        badge.textContent = '';
        if (n) {
            var num = document.createElement('span');
            num.setAttribute('aria-hidden', 'true');
            num.textContent = String(n);
            var sr = document.createElement('span');
            sr.className = 'sr';
            sr.textContent = n + ' ' + words[3];
            badge.appendChild(num);
            badge.appendChild(sr);
        }
    }

    button.addEventListener('click', function () {
        if (panel.hidden) {
            open();
        } else {
            close();
        }
    });
    window.addEventListener('message', function (ev) {
        if (ev.origin !== origin || !frame || ev.source !== frame.contentWindow || !ev.data) {
            return;
        }
        if (ev.data.type === 'concierge:close') {
            close();
        } else if (ev.data.type === 'concierge:unread' && panel.hidden) {
            setUnread(unread + (Number(ev.data.count) || 1));
        }
    });
    root.addEventListener('keydown', function (ev) {
        if (ev.key === 'Escape' && !panel.hidden) {
            close();
        }
    });
    function attach() {
        document.body.appendChild(host);
    }
    if (document.body) {
        attach();
    } else {
        document.addEventListener('DOMContentLoaded', attach);
    }
}());
