// / : the chat page.
import '../css/base.css';
import '../css/chat.css';
import { startPage } from '../lib/chrome.js';
import { mountChat } from '../lib/chat.js';

const main = startPage('chatTitle', { current: 'chat' });
mountChat(main, { embed: false });
