// Tiny DOM helpers.  Every text from the API goes in through textContent
// (text nodes), never innerHTML: knowledge content is data, not markup.
// Event handlers are attached with addEventListener (the CSP allows no
// inline handlers) and no style attribute is ever written (nor inline
// style: the pages' CSS files do all the styling).

export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
        for (const [k, v] of Object.entries(attrs)) {
            if (v === undefined || v === null || v === false) {
                continue;
            }
            if (k === 'class') {
                el.className = v;
            } else if (k === 'text') {
                el.textContent = v;
            } else if (k.startsWith('on') && typeof v === 'function') {
                el.addEventListener(k.slice(2).toLowerCase(), v);
            } else if (k === 'dataset') {
                Object.assign(el.dataset, v);
            } else if (k === 'style') {
                throw new Error('no inline styles (CSP style-src self)');
            } else if (v === true) {
                el.setAttribute(k, '');
            } else {
                el.setAttribute(k, String(v));
            }
        }
    }
    append(el, children);
    return el;
}

export function append(el, children) {
    for (const c of children.flat(Infinity)) {
        if (c === undefined || c === null || c === false) {
            continue;
        }
        el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

// Append children, skipping null/undefined/false (Element.append would
// write "null").
export function add(el, ...children) {
    return append(el, children);
}

export function clear(el) {
    while (el.firstChild) {
        el.removeChild(el.firstChild);
    }
    return el;
}

export function $(sel, root = document) {
    return root.querySelector(sel);
}

// A fresh id for label/aria references.
let seq = 0;
export function uid(prefix = 'cc') {
    seq += 1;
    return `${prefix}-${seq}`;
}

// Move focus to an element that is not normally focusable (a heading, an
// error summary) so screen readers read it.
export function focusEl(el) {
    if (!el) {
        return;
    }
    if (!el.hasAttribute('tabindex')) {
        el.setAttribute('tabindex', '-1');
    }
    el.focus();
}
