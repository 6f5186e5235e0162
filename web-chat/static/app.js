// Wakil's web chat. One module, no build step, no external resource. It speaks the contract of
// ARCHITECTURE.md (section `web-chat/`): the HTTP routes under /api and the WebSocket frames of /ws.
// One renderer (renderEvent) draws the assistant's events, live or replayed from `hello.history`.

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 10000];
const RESIDENCE_KEY = 'wakil.residence';
const NEAR_BOTTOM_PX = 120;
const COMPOSER_MAX_PX = 160;
// Messages sent and not yet answered beyond which the page asks to wait (the server queues a few).
const MAX_AWAITING = 4;

const state = {
  user: null,
  residences: [],
  socket: null,
  ready: false, // `hello` received on the current socket
  leaving: false, // the socket is being closed on purpose (logout, page left)
  attempt: 0,
  reconnectTimer: 0,
  pending: new Set(), // confirmation ids still waiting (from `hello.pending`)
  turn: null, // the assistant bubble receiving live events
  awaiting: 0, // messages and decisions sent whose `done` has not come
  attachments: [], // {key, nom, taille, status: 'uploading' | 'ready', id, url}
  attachmentSeq: 0,
  dashboard: null,
  dashboardSeq: 0,
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// DOM helpers

function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  file: 'M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8zM14 3v5h5',
  info: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM12 16v-5M12 8h.01',
  alert: 'M12 9v4M12 17h.01M10.3 3.9L1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
  close: 'M6 6l12 12M18 6L6 18',
  shield: 'M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z',
};

function icon(name, extraClass = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon ${extraClass}`.trim());
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

const numberFr = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const percentFr = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });
const timeFr = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit' });
const dateFr = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' });

function formatSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024 * 1024) return `${numberFr.format(Math.max(n / 1024, 0.1))} Ko`;
  return `${numberFr.format(n / (1024 * 1024))} Mo`;
}

function capitalize(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : '';
}

function plural(n, one, many) {
  return `${n} ${Number(n) <= 1 ? one : many}`;
}

function timeOf(at) {
  const d = at ? new Date(at) : new Date();
  if (Number.isNaN(d.getTime())) return null;
  return h('time', { class: 'message-time', datetime: d.toISOString(), text: timeFr.format(d) });
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  let body = null;
  if (response.status !== 204) {
    try {
      body = await response.json();
    } catch {
      body = null;
    }
  }
  return { status: response.status, ok: response.ok, body };
}

function postJson(path, data) {
  return api(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(data),
  });
}

function errorText(result, fallback) {
  return (result.body && typeof result.body.error === 'string' && result.body.error) || fallback;
}

// ---------------------------------------------------------------------------------------------
// Views: boot, login, application

function showView(name) {
  $('boot').hidden = name !== 'boot';
  $('login-view').hidden = name !== 'login';
  $('app-view').hidden = name !== 'app';
}

async function boot() {
  bindHandlers();
  let session;
  try {
    session = await fetchSession();
  } catch {
    $('boot').textContent = 'Le serveur Wakil est injoignable. Nouvel essai dans quelques secondes…';
    setTimeout(boot, 3000);
    return;
  }
  if (session) startApp(session);
  else showLogin();
}

// The session, or null when there is none (401). Throws when the server cannot be reached.
async function fetchSession() {
  const result = await api('/api/session');
  if (result.status === 401) return null;
  if (!result.ok || !result.body || !result.body.user) throw new Error(`session: ${result.status}`);
  return result.body;
}

function showLogin(message = '') {
  stopSocket();
  resetConversation();
  state.user = null;
  state.dashboard = null;
  $('dashboard-cards').replaceChildren();
  $('dashboard-date').textContent = '';
  showView('login');
  $('login-error').textContent = message;
  $('login-password').value = '';
  $('login-email').focus();
}

async function onLoginSubmit(event) {
  event.preventDefault();
  const email = $('login-email').value.trim();
  const password = $('login-password').value;
  const error = $('login-error');
  if (!email || !password) {
    error.textContent = 'Saisissez votre adresse e-mail et votre mot de passe.';
    (email ? $('login-password') : $('login-email')).focus();
    return;
  }
  const submit = $('login-submit');
  submit.disabled = true;
  submit.textContent = 'Connexion…';
  error.textContent = '';
  try {
    const result = await postJson('/api/login', { email, password });
    if (!result.ok) {
      error.textContent = errorText(result, `Connexion impossible (erreur ${result.status}).`);
      $('login-password').select();
      $('login-password').focus();
      return;
    }
    const session = await fetchSession();
    if (!session) {
      error.textContent = 'La session n’a pas pu être ouverte : vérifiez que votre navigateur accepte les cookies.';
      return;
    }
    $('login-password').value = '';
    startApp(session);
  } catch {
    error.textContent = 'Le serveur est injoignable. Vérifiez votre connexion et réessayez.';
  } finally {
    submit.disabled = false;
    submit.textContent = 'Se connecter';
  }
}

function startApp(session) {
  state.user = session.user;
  state.residences = Array.isArray(session.residences) ? session.residences : [];
  $('user-name').textContent = session.user.nom || session.user.email || '';
  $('user-role').textContent = session.user.role_texte || session.user.role || '';
  $('welcome-title').textContent = `Bonjour ${firstName(session.user.nom)} !`;
  fillResidences();
  showView('app');
  renderSuggestions();
  connect();
}

function firstName(nom) {
  const words = String(nom || '').split(/\s+/).filter(Boolean);
  return words[0] || '';
}

async function logout() {
  stopSocket();
  try {
    await api('/api/logout', { method: 'POST' });
  } catch {
    // The session ends on the server when it can be reached; the page forgets it anyway.
  }
  showLogin('');
}

// ---------------------------------------------------------------------------------------------
// Résidence selector

function fillResidences() {
  const select = $('residence-select');
  select.replaceChildren(
    h('option', { value: '', text: 'Toutes les résidences' }),
    ...state.residences.map((r) => h('option', { value: String(r.id), text: r.nom })),
  );
  const several = state.residences.length > 1;
  $('residence-picker').hidden = !several;
  select.disabled = !several;
  const saved = sessionStorage.getItem(RESIDENCE_KEY);
  select.value = several && state.residences.some((r) => String(r.id) === saved) ? saved : '';
}

function selectedResidence() {
  const id = $('residence-select').value;
  return state.residences.find((r) => String(r.id) === id) || null;
}

function onResidenceChange() {
  sessionStorage.setItem(RESIDENCE_KEY, $('residence-select').value);
  renderSuggestions();
  renderDashboard();
}

// "Résidence Les Jardins de Guéliz" → "Les Jardins de Guéliz".
function shortName(nom) {
  return String(nom || '').replace(/^r[ée]sidence\s+/i, '');
}

// ---------------------------------------------------------------------------------------------
// WebSocket

function socketUrl() {
  return `${location.protocol === 'https:' ? 'wss://' : 'ws://'}${location.host}/ws`;
}

function connect() {
  clearTimeout(state.reconnectTimer);
  state.leaving = false;
  const socket = new WebSocket(socketUrl());
  state.socket = socket;
  socket.addEventListener('message', (event) => {
    if (state.socket === socket) onFrame(parseFrame(event.data));
  });
  socket.addEventListener('close', (event) => {
    if (state.socket === socket) onSocketClosed(event);
  });
}

function parseFrame(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

function stopSocket() {
  clearTimeout(state.reconnectTimer);
  state.leaving = true;
  const socket = state.socket;
  state.socket = null;
  setReady(false);
  if (socket) socket.close(1000);
}

async function onSocketClosed(event) {
  state.socket = null;
  setReady(false);
  endTurns();
  if (state.leaving) return;
  if (event.code === 4401) {
    showLogin('Votre session a pris fin : reconnectez-vous.');
    return;
  }
  setConnection('Connexion perdue — reconnexion…');
  const delay = RECONNECT_DELAYS_MS[Math.min(state.attempt, RECONNECT_DELAYS_MS.length - 1)];
  state.attempt += 1;
  state.reconnectTimer = setTimeout(reconnect, delay);
}

// A refused upgrade looks like any lost connection: ask the session before trying again.
async function reconnect() {
  if (state.leaving) return;
  try {
    if (!(await fetchSession())) {
      showLogin('Votre session a pris fin : reconnectez-vous.');
      return;
    }
  } catch {
    // Server unreachable: the socket will fail too and the backoff goes on.
  }
  if (!state.leaving) connect();
}

function send(frame) {
  const socket = state.socket;
  if (!state.ready || !socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

function setReady(ready) {
  state.ready = ready;
  for (const id of ['composer-input', 'send', 'file-input', 'new-conversation']) {
    $(id).disabled = !ready;
  }
  document.body.classList.toggle('offline', !ready);
  updateSendState();
}

function setConnection(text) {
  $('connection').textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Frames

function onFrame(frame) {
  if (!frame || typeof frame.type !== 'string') return;
  const stick = nearBottom();
  if (frame.type === 'hello') onHello(frame);
  else if (frame.type === 'done') onDone(frame);
  else renderEvent(liveTurn(), frame, { replay: false });
  if (stick || frame.type === 'hello') scrollToEnd();
}

function onHello(frame) {
  state.attempt = 0;
  setConnection('');
  resetConversation();
  state.pending = new Set(Array.isArray(frame.pending) ? frame.pending : []);
  const log = $('log');
  // The replay is one update for assistive technologies, not one announcement per message.
  log.setAttribute('aria-busy', 'true');
  for (const entry of Array.isArray(frame.history) ? frame.history : []) {
    if (entry.role === 'user') appendUserMessage(entry.text, entry.attachments || [], entry.at);
    else if (entry.role === 'assistant') replayTurn(entry);
  }
  log.setAttribute('aria-busy', 'false');
  setReady(true);
  updateEmptyState();
  refreshDashboard();
  // Ready to type, except on touch screens where focusing would pop the keyboard up.
  if (!document.activeElement || document.activeElement === document.body) {
    if (window.matchMedia('(pointer: fine)').matches) $('composer-input').focus();
  }
}

function replayTurn(entry) {
  const turn = newTurn(entry.at);
  for (const event of Array.isArray(entry.events) ? entry.events : []) {
    renderEvent(turn, event, { replay: true });
  }
  finishTurn(turn);
}

function onDone(frame) {
  if (state.turn) finishTurn(state.turn);
  state.turn = null;
  state.awaiting = Math.max(0, state.awaiting - 1);
  setTyping(state.awaiting > 0);
  if (frame.path === 'decision') refreshDashboard();
}

// Forgets the turns in flight (their answers come back with the next `hello`).
function endTurns() {
  if (state.turn) finishTurn(state.turn);
  state.turn = null;
  state.awaiting = 0;
  setTyping(false);
}

function resetConversation() {
  endTurns();
  state.pending = new Set();
  $('log').replaceChildren();
  updateEmptyState();
}

// ---------------------------------------------------------------------------------------------
// Messages and the one renderer of assistant events

// `files`: {nom, taille, url} as `POST /api/fichiers` and `hello.history` give them.
function appendUserMessage(text, files, at) {
  const bubble = h(
    'div',
    { class: 'bubble' },
    h('span', { class: 'visually-hidden', text: 'Vous : ' }),
    text ? h('p', { class: 'prose', text }) : null,
    files.length ? h('div', { class: 'sent-files' }, files.map(renderFile)) : null,
  );
  $('log').append(h('article', { class: 'message message-user' }, bubble, timeOf(at)));
  updateEmptyState();
}

function newTurn(at) {
  const body = h('div', { class: 'bubble-body' });
  const bubble = h('div', { class: 'bubble' }, h('span', { class: 'visually-hidden', text: 'Wakil : ' }), body);
  const article = h(
    'article',
    { class: 'message message-assistant' },
    h('span', { class: 'avatar', 'aria-hidden': 'true', text: 'W' }),
    h('div', { class: 'message-main' }, bubble, timeOf(at)),
  );
  $('log').append(article);
  updateEmptyState();
  return { article, bubble, body, prose: null, activity: null };
}

function liveTurn() {
  if (!state.turn) state.turn = newTurn();
  return state.turn;
}

function finishTurn(turn) {
  if (turn.activity) turn.activity.remove();
  turn.activity = null;
  turn.prose = null;
  if (!turn.body.childElementCount) turn.article.remove();
}

const RENDERERS = {
  text: (turn, event) => appendProse(turn, event.text),
  activity: (turn, event) => showActivity(turn, event.label),
  table: (turn, event) => turn.body.append(renderTable(event.table)),
  confirmation: (turn, event, options) => turn.body.append(renderConfirmation(event, options)),
  file: (turn, event) => turn.body.append(renderFile(event)),
  notice: (turn, event) => turn.body.append(infoLine('notice', 'info', event.text)),
  error: (turn, event) => turn.body.append(infoLine('error-line', 'alert', event.message)),
};

// Draws one event of an assistant turn, live or from history.
function renderEvent(turn, event, options) {
  const render = RENDERERS[event && event.type];
  if (!render) return;
  if (event.type !== 'text' && event.type !== 'activity') turn.prose = null;
  render(turn, event, options);
}

function appendProse(turn, text) {
  if (!text) return;
  if (!turn.prose) {
    turn.prose = h('p', { class: 'prose' });
    turn.body.append(turn.prose);
  }
  turn.prose.append(text);
}

function showActivity(turn, label) {
  if (!turn.activity) {
    turn.activity = h('p', { class: 'activity' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span'));
    turn.bubble.append(turn.activity);
  }
  turn.activity.lastChild.textContent = label || 'Recherche en cours…';
}

function infoLine(className, iconName, text) {
  return h('p', { class: className }, icon(iconName), h('span', { text: text || '' }));
}

// The words a passage matched come as **…**: shown in <mark>, as text (never parsed as HTML).
// An unpaired ** stays as written.
function highlighted(text) {
  const parts = text.split('**');
  if (parts.length % 2 === 0) {
    const stray = parts.pop();
    parts[parts.length - 1] += `**${stray}`;
  }
  return parts.map((part, i) => (i % 2 === 1 && part.trim() ? h('mark', { text: part }) : i % 2 === 1 ? `**${part}**` : part));
}

// A cell longer than this (a passage's excerpt) wraps instead of widening the table.
const LONG_CELL = 60;

function renderTable(table) {
  const columns = Array.isArray(table.columns) ? table.columns : [];
  const right = columns.map((c) => c.align === 'right');
  const cell = (tag, value, i, extra = {}) => {
    const text = value === null || value === undefined ? '' : String(value);
    const classes = [right[i] ? 'num' : null, text.length > LONG_CELL ? 'long' : null].filter(Boolean).join(' ');
    return h(tag, { class: classes || null, ...extra }, tag === 'td' ? highlighted(text) : text);
  };
  // A header without a label (a column of row labels) still names its column for screen readers.
  const header = (c, i) =>
    c.label ? cell('th', c.label, i, { scope: 'col' }) : h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: 'Libellé' }));
  // A field read with doubt ("⚠ à vérifier") or still missing ("à compléter") stands out.
  const doubtful = (cells) => cells.some((v) => typeof v === 'string' && (v.startsWith('⚠') || v === 'à compléter'));
  const row = (cells) => h('tr', { class: doubtful(cells) ? 'doubtful' : null }, cells.map((value, i) => cell('td', value, i)));
  return h(
    'div',
    // Focusable so that a table wider than a phone scrolls with the keyboard too.
    { class: 'table-scroll', role: 'group', tabindex: '0', 'aria-label': table.title || 'Tableau' },
    h(
      'table',
      { class: 'data-table' },
      table.title ? h('caption', { text: table.title }) : null,
      h('thead', {}, h('tr', {}, columns.map(header))),
      h('tbody', {}, (table.rows || []).map(row)),
      Array.isArray(table.footer) ? h('tfoot', {}, row(table.footer)) : null,
    ),
  );
}

// A write waiting for the human. A decision counts once: both buttons are disabled at the first
// click, and a replayed confirmation that is no longer pending cannot be decided again.
function renderConfirmation(event, { replay }) {
  const open = !replay || state.pending.has(event.id);
  const status = h('p', { class: 'confirm-status', role: 'status' });
  const confirm = h('button', { type: 'button', class: 'btn btn-primary', text: 'Confirmer' });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', text: 'Annuler' });
  const card = h(
    'div',
    { class: 'confirm-card', role: 'group', 'aria-label': 'Confirmation requise', dataset: { id: event.id, state: open ? 'open' : 'closed' } },
    h('p', { class: 'confirm-title' }, icon('shield'), h('span', { text: 'Confirmation requise' })),
    h('p', { class: 'confirm-summary', text: event.summary || '' }),
    (event.tables || []).map(renderTable),
    h('div', { class: 'confirm-actions' }, confirm, cancel),
    status,
  );
  const decide = (kind) => {
    if (confirm.disabled) return;
    if (!send({ type: kind, id: event.id })) {
      showComposerError('Pas de connexion au serveur : votre décision n’a pas été envoyée. Réessayez dans un instant.');
      return;
    }
    confirm.disabled = true;
    cancel.disabled = true;
    state.pending.delete(event.id);
    card.dataset.state = kind;
    status.textContent = kind === 'confirm' ? 'Vous avez confirmé.' : 'Vous avez annulé.';
    expectAnswer();
    $('composer-input').focus();
  };
  confirm.addEventListener('click', () => decide('confirm'));
  cancel.addEventListener('click', () => decide('cancel'));
  if (!open) {
    confirm.disabled = true;
    cancel.disabled = true;
    status.textContent = 'Cette demande a déjà été traitée ou a expiré.';
  }
  return card;
}

function renderFile(event) {
  const url = typeof event.url === 'string' && /^\/(?!\/)/.test(event.url) ? event.url : null;
  return h(
    'a',
    { class: 'file-link', href: url, target: '_blank', rel: 'noopener' },
    icon('download'),
    h('span', { class: 'file-name', text: event.nom || 'Fichier' }),
    h('span', { class: 'file-size', text: formatSize(event.taille) }),
  );
}

// ---------------------------------------------------------------------------------------------
// Typing indicator, scrolling, empty state

function expectAnswer() {
  state.awaiting += 1;
  setTyping(true);
  scrollToEnd();
}

function setTyping(active) {
  const typing = $('typing');
  typing.dataset.active = String(active);
  $('typing-text').textContent = active ? 'Wakil écrit…' : '';
}

function nearBottom() {
  const s = $('scroller');
  return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToEnd() {
  const s = $('scroller');
  s.scrollTop = s.scrollHeight;
}

function updateEmptyState() {
  const empty = !$('log').childElementCount;
  $('welcome').hidden = !empty || !state.user;
  $('suggestions').hidden = !empty || !$('suggestions').childElementCount;
}

// ---------------------------------------------------------------------------------------------
// Suggested questions

function suggestedQuestions() {
  if (!state.user) return [];
  if (state.user.role === 'coproprietaire') return ['Combien je dois ?', 'Mon historique de paiements'];
  const residence = selectedResidence() || state.residences[0];
  const nom = residence ? shortName(residence.nom) : '';
  return [
    nom && `Quels sont les impayés de la résidence ${nom} ?`,
    nom && `Rapport financier de la résidence ${nom}`,
    'Qui doit plus de 5 000 DH ?',
    'Factures à payer',
  ].filter(Boolean);
}

function renderSuggestions() {
  $('suggestions').replaceChildren(
    ...suggestedQuestions().map((q) =>
      h('button', { type: 'button', class: 'chip', text: q, onclick: () => sendMessage(q) }),
    ),
  );
  updateEmptyState();
}

// ---------------------------------------------------------------------------------------------
// Composer

function sendMessage(rawText) {
  const text = rawText.trim();
  const ready = state.attachments.filter((a) => a.status === 'ready');
  if (state.attachments.some((a) => a.status === 'uploading')) {
    showComposerError('Patientez un instant : le fichier est encore en cours d’envoi.');
    return false;
  }
  if (!text && !ready.length) return false;
  if (state.awaiting >= MAX_AWAITING) {
    showComposerError('Patientez un instant : Wakil répond encore à vos messages précédents.');
    return false;
  }
  const residence = selectedResidence();
  const frame = {
    type: 'message',
    text,
    residence: residence ? residence.nom : null,
    attachments: ready.map((a) => a.id),
  };
  if (!send(frame)) {
    showComposerError('Pas de connexion au serveur : votre message n’a pas été envoyé.');
    return false;
  }
  showComposerError('');
  appendUserMessage(text, ready);
  state.attachments = [];
  renderAttachments();
  expectAnswer();
  return true;
}

function onComposerSubmit(event) {
  event.preventDefault();
  const input = $('composer-input');
  if (sendMessage(input.value)) {
    input.value = '';
    fitComposer();
    updateSendState();
  }
  input.focus();
}

function onComposerKeydown(event) {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
}

function fitComposer() {
  const input = $('composer-input');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, COMPOSER_MAX_PX)}px`;
}

function updateSendState() {
  const hasText = $('composer-input').value.trim() !== '';
  const hasFile = state.attachments.some((a) => a.status === 'ready');
  const uploading = state.attachments.some((a) => a.status === 'uploading');
  $('send').disabled = !state.ready || uploading || !(hasText || hasFile);
}

function showComposerError(text) {
  $('composer-error').textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Attachments

async function uploadFile(file) {
  const item = { key: ++state.attachmentSeq, nom: file.name, taille: file.size, status: 'uploading', id: null, url: null };
  state.attachments.push(item);
  renderAttachments();
  showComposerError('');
  let failure = null;
  try {
    const result = await api('/api/fichiers', {
      method: 'POST',
      headers: {
        'Content-Type': file.type || 'application/octet-stream',
        'X-Filename': encodeURIComponent(file.name),
      },
      body: file,
    });
    if (result.ok && result.body && result.body.id) {
      const { id, nom, taille, url } = result.body;
      Object.assign(item, { status: 'ready', id, nom: nom || file.name, taille: taille ?? file.size, url });
    } else {
      failure = errorText(result, `erreur ${result.status}`);
    }
  } catch {
    failure = 'le serveur est injoignable';
  }
  if (failure) {
    removeAttachment(item.key);
    showComposerError(`« ${file.name} » n’a pas été joint : ${failure}`);
  }
  renderAttachments();
}

function removeAttachment(key) {
  state.attachments = state.attachments.filter((a) => a.key !== key);
  renderAttachments();
}

function renderAttachments() {
  const list = $('attachments');
  list.replaceChildren(
    ...state.attachments.map((a) =>
      h(
        'li',
        { class: 'attachment-chip', dataset: { status: a.status } },
        a.status === 'uploading' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon('file'),
        h('span', { class: 'attachment-name', text: a.nom }),
        h('span', { class: 'attachment-meta', text: a.status === 'uploading' ? 'envoi…' : formatSize(a.taille) }),
        h(
          'button',
          { type: 'button', class: 'chip-remove', 'aria-label': `Retirer « ${a.nom} »`, onclick: () => removeAttachment(a.key) },
          icon('close'),
        ),
      ),
    ),
  );
  list.hidden = !state.attachments.length;
  updateSendState();
}

function onFileChosen(event) {
  for (const file of event.target.files || []) uploadFile(file);
  event.target.value = '';
}

function hasFiles(event) {
  return Boolean(event.dataTransfer && Array.from(event.dataTransfer.types || []).includes('Files'));
}

function bindDropZone() {
  const chat = $('chat');
  const zone = $('drop-zone');
  let depth = 0;
  const show = (on) => {
    zone.hidden = !on;
  };
  chat.addEventListener('dragenter', (event) => {
    if (!hasFiles(event) || !state.ready) return;
    event.preventDefault();
    depth += 1;
    show(true);
  });
  chat.addEventListener('dragover', (event) => {
    if (!hasFiles(event) || !state.ready) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  chat.addEventListener('dragleave', (event) => {
    if (!hasFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) show(false);
  });
  chat.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    show(false);
    if (state.ready) for (const file of event.dataTransfer.files) uploadFile(file);
  });
  // A file dropped beside the zone must not make the browser leave the page.
  for (const type of ['dragover', 'drop']) {
    window.addEventListener(type, (event) => {
      if (hasFiles(event)) event.preventDefault();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Dashboard

async function refreshDashboard() {
  const seq = ++state.dashboardSeq;
  const cards = $('dashboard-cards');
  cards.setAttribute('aria-busy', 'true');
  let result;
  try {
    result = await api('/api/tableau-de-bord');
  } catch {
    result = null;
  }
  if (seq !== state.dashboardSeq || !state.user) return;
  cards.setAttribute('aria-busy', 'false');
  if (!result || !result.ok || !result.body) {
    const message = result ? errorText(result, 'Le tableau de bord est indisponible.') : 'Le tableau de bord est indisponible (serveur injoignable).';
    cards.replaceChildren(infoLine('dashboard-error', 'alert', message));
    return;
  }
  state.dashboard = result.body;
  renderDashboard();
}

function renderDashboard() {
  const data = state.dashboard;
  if (!data) return;
  $('dashboard-date').textContent = data.au ? `Au ${formatDay(data.au)}` : '';
  const selected = selectedResidence();
  const residences = (data.residences || []).filter((r) => !selected || String(r.id) === String(selected.id));
  const cards = [
    data.compte ? accountCard(data.compte) : null,
    proofsCard(data.justificatifs),
    ...residences.map((r) => residenceCard(r, data.annee)),
  ].filter(Boolean);
  $('dashboard-cards').replaceChildren(
    ...(cards.length ? cards : [h('p', { class: 'dashboard-empty', text: 'Aucune donnée à afficher pour le moment.' })]),
  );
}

function formatDay(isoDate) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? isoDate : dateFr.format(d);
}

function figure(label, value, note, className = '') {
  return h(
    'div',
    { class: `figure ${className}`.trim() },
    h('p', { class: 'figure-label', text: label }),
    h('p', { class: 'figure-value', text: value }),
    note ? h('p', { class: 'figure-note', text: note }) : null,
  );
}

function accountCard(compte) {
  const solde = Number(compte.solde);
  const note = solde > 0 ? 'à régler' : solde < 0 ? 'crédit en votre faveur' : 'vous êtes à jour';
  return h(
    'section',
    { class: 'card', 'aria-label': 'Mon compte' },
    h('h3', { class: 'card-title', text: 'Mon compte' }),
    h('p', { class: 'card-subtitle', text: compte.nom || '' }),
    figure('Solde', `${compte.solde_texte} MAD`, note, solde > 0 ? 'is-due' : ''),
    figure('Impayé échu', `${compte.impaye_texte} MAD`, null, Number(compte.impaye) > 0 ? 'is-due' : ''),
  );
}

// Payment proofs sent by co-owners, to check against the bank statement.
function proofsCard(proofs) {
  if (!Array.isArray(proofs) || !proofs.length) return null;
  return h(
    'section',
    { class: 'card', 'aria-label': 'Justificatifs à vérifier' },
    h('h3', { class: 'card-title', text: `Justificatifs à vérifier (${proofs.length})` }),
    h(
      'ul',
      { class: 'proofs' },
      proofs.map((p) =>
        h(
          'li',
          {},
          h('a', { href: p.url, target: '_blank', rel: 'noopener', text: p.coproprietaire }),
          h('span', { class: 'figure-note', text: ` — ${p.canal}, ${formatDay(String(p.recu_le).slice(0, 10))}` }),
        ),
      ),
    ),
  );
}

function residenceCard(residence, annee) {
  const impayes = residence.impayes || {};
  const budget = residence.budget || {};
  const lignes = Array.isArray(budget.lignes) ? budget.lignes : [];
  return h(
    'section',
    { class: 'card', 'aria-label': residence.nom },
    h('h3', { class: 'card-title', text: residence.nom }),
    figure(
      'Impayés',
      `${impayes.total_texte ?? '—'} MAD`,
      `${plural(impayes.lignes ?? 0, 'impayé', 'impayés')}, ${plural(impayes.coproprietaires ?? 0, 'copropriétaire', 'copropriétaires')}`,
      Number(impayes.total) > 0 ? 'is-due' : '',
    ),
    lignes.length
      ? h(
          'div',
          { class: 'budget' },
          h('h4', { class: 'budget-title', text: annee ? `Budget ${annee} : réalisé / prévu` : 'Budget : réalisé / prévu' }),
          budget.realise_texte && budget.prevu_texte
            ? h('p', { class: 'budget-total', text: `${budget.realise_texte} / ${budget.prevu_texte} MAD` })
            : null,
          h('ul', { class: 'budget-lines' }, lignes.map(budgetLine)),
        )
      : null,
  );
}

function budgetLine(ligne) {
  const prevu = Number(ligne.prevu) || 0;
  const realise = Number(ligne.realise) || 0;
  const ratio = prevu > 0 ? realise / prevu : realise > 0 ? Infinity : 0;
  const over = realise > prevu;
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${Math.min(ratio, 1) * 100}%`;
  const label = capitalize(ligne.categorie_texte || String(ligne.categorie || '').replace(/_/g, ' '));
  return h(
    'li',
    { class: over ? 'budget-line is-over' : 'budget-line' },
    h(
      'div',
      { class: 'budget-line-head' },
      h('span', { class: 'budget-category', text: label }),
      h('span', { class: 'budget-figures', text: `${ligne.realise_texte} / ${ligne.prevu_texte}` }),
    ),
    h('div', { class: 'bar', 'aria-hidden': 'true' }, fill),
    h(
      'p',
      { class: 'budget-ratio' },
      Number.isFinite(ratio) ? `${percentFr.format(ratio)} du prévu` : 'hors budget',
      over ? h('strong', { class: 'over-badge', text: 'Dépassement' }) : null,
    ),
  );
}

function toggleDashboard() {
  const aside = $('dashboard');
  const expanded = aside.dataset.collapsed === 'true';
  aside.dataset.collapsed = String(!expanded);
  $('dashboard-toggle').setAttribute('aria-expanded', String(expanded));
}

// ---------------------------------------------------------------------------------------------
// Wiring

function bindHandlers() {
  if (bindHandlers.done) return;
  bindHandlers.done = true;
  $('login-form').addEventListener('submit', onLoginSubmit);
  $('logout').addEventListener('click', logout);
  $('new-conversation').addEventListener('click', () => {
    if (send({ type: 'new_conversation' })) $('composer-input').focus();
  });
  $('residence-select').addEventListener('change', onResidenceChange);
  $('dashboard-toggle').addEventListener('click', toggleDashboard);
  $('composer').addEventListener('submit', onComposerSubmit);
  const input = $('composer-input');
  input.addEventListener('keydown', onComposerKeydown);
  input.addEventListener('input', () => {
    fitComposer();
    updateSendState();
  });
  $('file-input').addEventListener('change', onFileChosen);
  bindDropZone();
  // Leaving the page closes the socket: no "connection lost" flash, no reconnection.
  window.addEventListener('pagehide', () => {
    state.leaving = true;
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && state.user) connect();
  });
}

boot();
