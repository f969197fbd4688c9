// Builds the patient pages into htdocs/ (scripts/web.sh runs this):
//   htdocs/index.html, embed/index.html, book/{,done/,cancelled/,manage/}index.html
//   htdocs/assets/<name>-<hash>.{js,css}   content-hashed, cached for good
//   htdocs/widget.js                       the loader clinics paste: a stable name
// Plain ES modules and CSS from web/src, bundled and minified by esbuild.
// The HTML has no inline script, no inline style and no event-handler
// attribute (the CSP allows script-src 'self' and style-src 'self' only).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..');
const out = process.argv[2] ? path.resolve(process.argv[2]) : path.join(top, 'htdocs');
const assets = path.join(out, 'assets');

// noscript: what a browser without JavaScript shows instead.
const NOSCRIPT = 'This page needs JavaScript. Please call the clinic to book or ask a question.';
const PAGES = [
    { name: 'chat', entry: 'src/pages/chat.js', html: 'index.html', title: 'Ask the clinic' },
    { name: 'embed', entry: 'src/pages/embed.js', html: 'embed/index.html', title: 'Ask the clinic', embed: true },
    { name: 'book', entry: 'src/pages/book.js', html: 'book/index.html', title: 'Book an appointment' },
    { name: 'done', entry: 'src/pages/done.js', html: 'book/done/index.html', title: 'Your booking',
      noscript: 'Thank you. Your booking is confirmed as soon as the payment reaches the clinic, ' +
                'usually within a minute; you can check it with the link you were given when you booked.' },
    { name: 'cancelled', entry: 'src/pages/cancelled.js', html: 'book/cancelled/index.html',
      title: 'Payment not completed',
      noscript: 'No payment was taken. Your appointment is held for a short while: pay with your ' +
                'booking link, or it is released for other patients.' },
    { name: 'manage', entry: 'src/pages/manage.js', html: 'book/manage/index.html', title: 'Your booking' },
];

fs.rmSync(assets, { recursive: true, force: true });
fs.mkdirSync(assets, { recursive: true });

const common = { bundle: true, minify: true, target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
                 legalComments: 'none', logLevel: 'warning', absWorkingDir: here };
const result = await esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(PAGES.map((p) => [p.name, p.entry])),
    format: 'esm',
    splitting: true,
    outdir: assets,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
});
await esbuild.build({
    ...common,
    entryPoints: ['src/widget.js'],
    format: 'iife',
    outfile: path.join(out, 'widget.js'),
});

const outputs = result.metafile.outputs;
const rel = (f) => `/${path.relative(out, path.resolve(here, f)).split(path.sep).join('/')}`;
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function entryOf(name) {
    const file = Object.keys(outputs).find((f) => outputs[f].entryPoint === PAGES.find((p) => p.name === name).entry);
    return { js: file, css: outputs[file].cssBundle || null };
}

// Every file a page's script pulls in (its static imports, transitively).
function closure(file, seen = new Set()) {
    if (seen.has(file)) {
        return seen;
    }
    seen.add(file);
    for (const imp of outputs[file].imports || []) {
        if (imp.kind === 'import-statement' && outputs[imp.path]) {
            closure(imp.path, seen);
        }
    }
    return seen;
}

function page(p) {
    const { js, css } = entryOf(p.name);
    const preload = [...closure(js)].filter((f) => f !== js)
        .map((f) => `<link rel="modulepreload" href="${esc(rel(f))}">\n`).join('');
    const header = p.embed ? '' : '<a class="skip" href="#main">Skip to content</a>\n' +
        '<header class="site-header" id="top"></header>\n';
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
${css ? `<link rel="stylesheet" href="${esc(rel(css))}">\n` : ''}${preload}<script type="module" src="${esc(rel(js))}"></script>
</head>
<body class="${p.embed ? 'embed' : 'page-' + p.name}">
${header}<main id="main" tabindex="-1">
<noscript><p>${esc(p.noscript || NOSCRIPT)}</p></noscript>
</main>
</body>
</html>
`;
}

const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const sizes = {};
for (const p of PAGES) {
    const file = path.join(out, p.html);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const html = page(p);
    fs.writeFileSync(file, html);
    const { js, css } = entryOf(p.name);
    let raw = Buffer.byteLength(html);
    let zipped = gz(Buffer.from(html));
    for (const f of [...closure(js), css].filter(Boolean)) {
        const b = fs.readFileSync(path.resolve(here, f));
        raw += b.length;
        zipped += gz(b);
    }
    sizes[p.name] = { raw, gzip: zipped };
}
const loader = fs.readFileSync(path.join(out, 'widget.js'));
sizes.widget = { raw: loader.length + sizes.embed.raw, gzip: gz(loader) + sizes.embed.gzip,
                 loader_gzip: gz(loader) };
fs.writeFileSync(path.join(assets, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
console.log(`web: ${PAGES.length} pages and widget.js in ${path.relative(top, out) || out}; ` +
            `widget (loader + /embed/ page, script, style) ${kb(sizes.widget.gzip)} gzip ` +
            `(loader ${kb(sizes.widget.loader_gzip)}), booking page ${kb(sizes.book.gzip)} gzip`);
if (sizes.widget.gzip > 60 * 1024) {
    console.error('web: the widget is over its 60 kB gzip budget');
    process.exit(1);
}
