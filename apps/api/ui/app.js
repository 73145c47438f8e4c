// The visualizer's entry: sign-in (API key once per tab), then a small hash router.
import { Unauthorized, apiKey, getJson, setApiKey, takeKeyFromHash } from './api.js';
import { h, mount } from './dom.js';
import { definitionPage, definitionsPage } from './definitions-page.js';
import { sagaPage } from './saga-page.js';
import { sagasPage } from './sagas-page.js';

const app = document.getElementById('app');
const signout = document.getElementById('signout');
let current = null;

const ROUTES = [
  [/^#\/sagas\/([^/?]+)$/, (m) => [sagaPage, { id: decodeURIComponent(m[1]) }], 'sagas'],
  [
    /^#\/definitions\/([^/?]+)$/,
    (m, q) => [definitionPage, { name: decodeURIComponent(m[1]), version: q.get('version') }],
    'definitions',
  ],
  [/^#\/definitions$/, () => [definitionsPage, {}], 'definitions'],
  [/^#\/sagas$/, (_m, q) => [sagasPage, Object.fromEntries(q)], 'sagas'],
];

function signInForm(message) {
  const input = h('input', {
    id: 'api-key',
    type: 'password',
    required: true,
    autocomplete: 'current-password',
    placeholder: 'API key',
  });
  const error = h('p', { class: 'error-text', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    {
      class: 'card signin',
      onsubmit: async (ev) => {
        ev.preventDefault();
        setApiKey(input.value.trim());
        try {
          await getJson('/definitions');
          route();
        } catch (err) {
          setApiKey(null);
          error.textContent =
            err instanceof Unauthorized
              ? 'That key was refused. Check it and try again.'
              : String(err.message);
        }
      },
    },
    h('h1', null, 'Sign in'),
    h(
      'p',
      null,
      'The visualizer reads the saga API with your API key. It is kept for this browser tab only.',
    ),
    h(
      'p',
      { class: 'muted small' },
      'In development, the start log prints a link that signs you in: ',
      h('code', null, '/ui/#key=…'),
    ),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  signout.hidden = true;
  mount(app, form);
  input.focus();
}

async function route() {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  if (!apiKey()) return signInForm();
  signout.hidden = false;
  let hash = window.location.hash || '#/sagas';
  if (hash === '#/' || hash === '#') hash = '#/sagas';
  const [pathPart, queryPart = ''] = hash.split('?');
  const q = new URLSearchParams(queryPart);
  const found = ROUTES.find(([re]) => re.test(pathPart));
  for (const a of document.querySelectorAll('[data-nav]'))
    a.classList.toggle('active', a.dataset.nav === found?.[2]);
  if (!found) {
    mount(
      app,
      h('h1', null, 'Not found'),
      h('p', null, h('a', { href: '#/sagas' }, 'Back to the sagas')),
    );
    return;
  }
  const [page, params] = found[1](found[0].exec(pathPart), q);
  delete app.dataset.ready;
  mount(app, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await page(app, params, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) return;
    if (err instanceof Unauthorized) {
      setApiKey(null);
      return signInForm('The stored key was refused. Sign in again.');
    }
    mount(
      app,
      h(
        'div',
        { class: 'alert tone-failed', role: 'alert' },
        h('strong', null, 'Could not load this page: '),
        err.message,
      ),
      h('p', null, h('a', { href: '#/sagas' }, 'Back to the sagas')),
    );
  }
}

signout.addEventListener('click', () => {
  setApiKey(null);
  route();
});
takeKeyFromHash();
window.addEventListener('hashchange', () => {
  if (takeKeyFromHash()) return route();
  // Filter changes rewrite the hash with replaceState, which fires no event: only real navigation lands here.
  route();
});
route();
