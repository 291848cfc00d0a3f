import { createHash } from 'node:crypto'
import { html, raw, type SafeHtml } from './html.js'

/**
 * The document shell every resident page shares: Dutch by default, a skip link, a header
 * back to the register, and one small inline stylesheet. The pages must read well without
 * it (plain headings, lists, tables), so the stylesheet only adds spacing and colour.
 * Colours meet WCAG 2.1 AA contrast (1.4.3) on white and on the header grey:
 * text #1b1b1b (about 17:1), links #0a4f8f (about 8:1), "never published" #8a1c1c (about 8:1),
 * focus ring #b35c00 (about 4.6:1, 1.4.11); meaning is never carried by colour alone.
 */
const STYLESHEET = [
  'body{margin:0;color:#1b1b1b;background:#fff;font:1.0625rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}',
  '.wrap{max-width:62rem;margin:0 auto;padding:0 1rem}',
  'header,footer{background:#f3f5f7}',
  'header{border-bottom:1px solid #8d959c}',
  'footer{border-top:1px solid #8d959c;margin-top:3rem;padding:.5rem 0 1.5rem}',
  'a{color:#0a4f8f}',
  'a:focus-visible,button:focus-visible,select:focus-visible,[tabindex]:focus-visible{outline:3px solid #b35c00;outline-offset:2px}',
  '.skip{position:absolute;left:-10000px}',
  '.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.5rem}',
  'h1{font-size:1.9rem;line-height:1.2;margin-top:1.5rem}',
  'h2{font-size:1.4rem;margin-top:2.2rem}',
  'h3{font-size:1.15rem;margin-top:1.8rem}',
  'dl{display:grid;grid-template-columns:minmax(9rem,max-content) 1fr;gap:.4rem 1.2rem}',
  'dt{font-weight:600}',
  'dd{margin:0}',
  '.scroll{overflow-x:auto}',
  'table{border-collapse:collapse;width:100%}',
  'caption{text-align:left;font-weight:600;padding:.4rem 0}',
  'th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;border-bottom:1px solid #8d959c}',
  'thead th{background:#f3f5f7}',
  '.never{color:#8a1c1c;font-weight:600}',
  '.notice{border-left:4px solid #0a4f8f;background:#f3f5f7;padding:.5rem 1rem}',
  'section.en{border-top:2px solid #8d959c;margin-top:3rem}',
  'form{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end;margin:1rem 0}',
  'label{display:block;font-weight:600}',
  'select,button{font:inherit;padding:.35rem .5rem}',
  'button{color:#fff;background:#0a4f8f;border:1px solid #0a4f8f;border-radius:3px;cursor:pointer}',
  '@media (max-width:40rem){dl{grid-template-columns:1fr}dd{margin-bottom:.6rem}}'
].join('\n')

/**
 * No script runs on these pages, and the only style allowed is this stylesheet (by hash), so
 * register text that slipped past escaping still could not run (defence in depth; CSP 3).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLESHEET).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

export interface Shell {
  /** The `<title>`: what the page is about first, the site last (WCAG 2.4.2). */
  title: string
  body: SafeHtml
}

export function layout ({ title, body }: Shell): string {
  return html`<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – Sensorstad Utrecht</title>
<style>${raw(STYLESHEET)}</style>
</head>
<body>
<a class="skip" href="#inhoud">Direct naar de inhoud <span lang="en">(skip to content)</span></a>
<header><div class="wrap"><p><a href="/sensors">Sensorstad Utrecht: alle sensoren in de openbare ruimte</a></p></div></header>
<main id="inhoud" class="wrap">
${body}
</main>
<footer><div class="wrap">
<p>Sensorstad is het open sensorplatform van de gemeente Utrecht. Sensoren komen er alleen op als ze in het openbare register staan en geen persoonsgegevens verwerken.</p>
<p lang="en">Sensorstad is the open sensor-data platform of the City of Utrecht. A sensor may send data only when it is in the public register and processes no personal data.</p>
<ul>
<li><a href="/sensors">Alle sensoren in het register</a></li>
<li><a href="/docs" hreflang="en">Open data voor ontwikkelaars: API-documentatie (Engels)</a></li>
</ul>
</div></footer>
</body>
</html>
`.value
}
