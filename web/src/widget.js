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
        en: ['Chat with us', 'Close chat', 'Clinic chat'],
        es: ['Hable con nosotros', 'Cerrar el chat', 'Chat de la clínica'],
        fr: ['Discutez avec nous', 'Fermer la discussion', 'Discussion avec la clinique'],
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
    button.textContent = words[0];
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
        button.textContent = words[1];
        frame.focus();
        frame.contentWindow.postMessage({ type: 'concierge:focus' }, origin);
    }

    function close() {
        panel.hidden = true;
        button.setAttribute('aria-expanded', 'false');
        button.textContent = words[0];
        button.focus();
    }

    button.addEventListener('click', function () {
        if (panel.hidden) {
            open();
        } else {
            close();
        }
    });
    window.addEventListener('message', function (ev) {
        if (ev.origin === origin && frame && ev.source === frame.contentWindow && ev.data &&
            ev.data.type === 'concierge:close') {
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
