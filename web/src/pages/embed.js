// /embed/: the same chat inside the widget's iframe (on the concierge's
// own origin, so the API stays same-origin and the host page's CSS and
// scripts cannot reach it).
import '../css/base.css';
import '../css/chat.css';
import { pickLang, setLang, t, onLang } from '../lib/i18n.js';
import { mountChat } from '../lib/chat.js';

setLang(pickLang(), false);
const draw = () => {
    document.title = t('chatTitle');
};
draw();
onLang(draw);
const chat = mountChat(document.getElementById('main'), { embed: true });
// The launcher asks for focus when it opens the panel.
window.addEventListener('message', (ev) => {
    if (ev.source === window.parent && ev.data && ev.data.type === 'concierge:focus') {
        chat.focus();
    }
});
