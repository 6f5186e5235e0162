// The web chat in a real browser (Debian's chromium driven by playwright-core): log in, ask, read a
// table, confirm a payment, reload and find the conversation again, a co-owner on a phone, a wrong
// password. Run by web-chat/tests/browser.rs against a fresh server; every setting comes from the
// environment (see `settings`). Exits non-zero with a message on the first failure, and on any
// console error or warning, or uncaught exception, of the page.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const settings = {
  baseUrl: required('BASE_URL').replace(/\/$/, ''),
  screenshotDir: process.env.SCREENSHOT_DIR || path.resolve('screenshots'),
  expectedTotal: required('EXPECTED_TOTAL'),
  staffEmail: required('STAFF_EMAIL'),
  coproEmail: required('COPRO_EMAIL'),
  password: required('PASSWORD'),
  residence: required('RESIDENCE'),
  paymentText: required('PAYMENT_TEXT'),
  expectedBalanceText: required('EXPECTED_BALANCE_TEXT'),
  // The refusal the server gives a co-owner who asks for other co-owners' debts.
  refusalText: required('REFUSAL_TEXT'),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  timeout: Number(process.env.STEP_TIMEOUT_MS || 20000),
};

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`chat.mjs: la variable d'environnement ${name} est requise`);
    process.exit(2);
  }
  return value;
}

class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

// French amounts use (narrow) non-breaking spaces: compare texts with every space made plain.
function plain(text) {
  return String(text ?? '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();
}

// ------------------------------------------------------------------------------------------------
// Console watch: any error or warning of the page fails the run. The only exception is the 401
// the contract itself prescribes: `GET /api/session` without a session and `POST /api/login` with
// a wrong password, which chromium reports as "Failed to load resource".

const problems = [];

function expectedHttpError(message) {
  if (process.env.DEBUG_CONSOLE) console.log('console:', message.type(), message.text(), message.location().url);
  const url = message.location().url || '';
  return (
    /^Failed to load resource: the server responded with a status of 401\b/.test(message.text()) &&
    /\/api\/(session|login)$/.test(new URL(url, settings.baseUrl).pathname)
  );
}

function watch(page, label) {
  page.on('console', (message) => {
    const type = message.type();
    if ((type === 'error' || type === 'warning') && !expectedHttpError(message)) {
      problems.push(`${label} : console ${type} : ${message.text()} (${message.location().url || '?'})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`${label} : exception : ${error.message}`));
}

function checkConsole() {
  check(!problems.length, `la page a écrit dans la console :\n  ${problems.join('\n  ')}`);
}

// ------------------------------------------------------------------------------------------------
// Page helpers (through labels and roles, as a user and assistive technologies see the page)

async function login(page, email, password) {
  await page.goto(settings.baseUrl);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

async function waitConnected(page) {
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await page.waitForFunction(() => !document.getElementById('composer-input').disabled);
}

// Sends a message with the keyboard and waits for its `done` (the typing indicator goes away).
async function ask(page, text) {
  const before = await page.locator('.message-assistant').count();
  const input = page.getByLabel('Votre message');
  await input.fill(text);
  await input.press('Enter');
  await page.locator('.message-user').last().getByText(text, { exact: true }).waitFor();
  await waitAnswer(page, before);
}

async function waitAnswer(page, assistantBubblesBefore) {
  await page.waitForFunction(
    (n) =>
      document.getElementById('typing').dataset.active === 'false' &&
      document.querySelectorAll('.message-assistant').length > n,
    assistantBubblesBefore,
  );
}

function lastAnswer(page) {
  return page.locator('.message-assistant').last();
}

// A rendered table as data: caption, header cells (with their alignment), rows, footer.
async function readTable(table) {
  return table.evaluate((t) => ({
    caption: t.caption ? t.caption.textContent : '',
    headers: [...t.tHead.rows[0].cells].map((c) => ({
      label: c.textContent,
      scope: c.getAttribute('scope'),
      right: c.classList.contains('num'),
    })),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
    footer: t.tFoot ? [...t.tFoot.rows[0].cells].map((c) => c.textContent) : null,
    rightAligned: [...t.querySelectorAll('td.num')].every((c) => getComputedStyle(c).textAlign === 'right'),
  }));
}

// The amount column: the right-aligned column labelled "Montant…", else the first right-aligned.
function amountColumn(data) {
  const byLabel = data.headers.findIndex((h) => h.right && /montant/i.test(h.label));
  return byLabel >= 0 ? byLabel : data.headers.findIndex((h) => h.right);
}

// The table of unpaid amounts: the one with a total row and a "Copropriétaire" column, in the
// newest answer that has one.
async function impayesTable(page) {
  const table = page
    .locator('.message-assistant table')
    .filter({ has: page.locator('tfoot') })
    .filter({ has: page.getByRole('columnheader', { name: /copropri/i }) })
    .last();
  await table.waitFor();
  const data = await readTable(table);
  check(data.caption.trim(), 'le tableau des impayés n’a pas de titre (<caption>)');
  check(data.headers.every((h) => h.scope === 'col'), 'les en-têtes du tableau n’ont pas scope="col"');
  check(data.rightAligned, 'des cellules de montants ne sont pas alignées à droite');
  check(data.footer, 'le tableau des impayés n’a pas de ligne de total (<tfoot>)');
  const column = amountColumn(data);
  check(column >= 0, `aucune colonne de montant dans ${JSON.stringify(data.headers)}`);
  return { data, column, total: plain(data.footer[column]) };
}

async function shot(page, name) {
  const file = path.join(settings.screenshotDir, name);
  await page.screenshot({ path: file, fullPage: false });
  console.log(`  capture : ${file}`);
}

// ------------------------------------------------------------------------------------------------
// The scenario

let current = 'démarrage';
const passed = [];

async function step(name, page, body) {
  current = name;
  try {
    await body();
    checkConsole();
  } catch (error) {
    if (page) {
      const file = path.join(settings.screenshotDir, `echec-${passed.length + 1}.png`);
      await page.screenshot({ path: file }).catch(() => {});
      const log = await page.locator('#log').innerText().catch(() => '');
      console.error(`  capture de l'échec : ${file}\n  conversation affichée :\n${log.replace(/^/gm, '    | ')}`);
    }
    throw error;
  }
  passed.push(name);
  console.log(`ok ${passed.length} - ${name}`);
}

async function main() {
  fs.mkdirSync(settings.screenshotDir, { recursive: true });
  const browser = await chromium.launch({ executablePath: settings.chromium, args: CHROMIUM_ARGS });
  try {
    await scenario(browser);
  } finally {
    await browser.close();
  }
}

async function scenario(browser) {
  const desktop = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR' });
  desktop.setDefaultTimeout(settings.timeout);
  const page = await desktop.newPage();
  watch(page, 'bureau');
  let debtors = [];

  await step('bureau : connexion du gestionnaire et tableau des impayés', page, async () => {
    await login(page, settings.staffEmail, settings.password);
    await waitConnected(page);
    check(await page.getByRole('banner').getByText('gestionnaire', { exact: true }).isVisible(), 'le rôle « gestionnaire » n’est pas affiché dans l’en-tête');
    await ask(page, `Quels sont les impayés de la résidence ${settings.residence} ?`);
    const { data, column, total } = await impayesTable(page);
    check(total === plain(settings.expectedTotal), `total du tableau : « ${total} », attendu « ${plain(settings.expectedTotal)} »`);
    const names = data.headers.findIndex((h) => /copropri/i.test(h.label));
    check(names >= 0, 'pas de colonne « Copropriétaire » dans le tableau des impayés');
    debtors = [...new Set(data.rows.map((r) => plain(r[names])).filter(Boolean))];
    check(debtors.length, 'le tableau des impayés est vide');
    // The dashboard beside the chat shows the same total for the résidence (same tool).
    const dashboard = page.getByRole('complementary', { name: 'Tableau de bord' });
    check(await dashboard.isVisible(), 'le tableau de bord n’est pas visible sur un écran de bureau');
    const card = dashboard.locator('.card').filter({ hasText: settings.residence });
    await card.first().waitFor();
    const cardText = plain(await card.first().innerText());
    check(cardText.includes(`${plain(settings.expectedTotal)} MAD`), `la carte « ${settings.residence} » du tableau de bord n’affiche pas ${settings.expectedTotal} MAD : ${cardText}`);
    console.log(`  total des impayés : ${total} (colonne « ${plain(data.headers[column].label)} »), ${debtors.length} copropriétaire(s)`);
    await shot(page, 'desktop.png');
  });

  await step('bureau : paiement confirmé une seule fois, nouveau solde affiché', page, async () => {
    await ask(page, settings.paymentText);
    const card = page.locator('.confirm-card').last();
    await lastAnswer(page).locator('.confirm-card').waitFor();
    const confirm = card.getByRole('button', { name: 'Confirmer' });
    const cancel = card.getByRole('button', { name: 'Annuler' });
    check(await confirm.isEnabled(), 'le bouton « Confirmer » est désactivé avant toute décision');
    const before = await page.locator('.message-assistant').count();
    const dashboardRefresh = page.waitForResponse((r) => r.url().endsWith('/api/tableau-de-bord'));
    await confirm.click();
    check(await confirm.isDisabled(), 'le bouton « Confirmer » reste actif après un clic');
    check(await cancel.isDisabled(), 'le bouton « Annuler » reste actif après la décision');
    await waitAnswer(page, before);
    const answer = plain(await lastAnswer(page).innerText());
    check(answer.includes(plain(settings.expectedBalanceText)), `la réponse après confirmation ne contient pas « ${settings.expectedBalanceText} » : ${answer}`);
    check(await confirm.isDisabled(), 'le bouton « Confirmer » est redevenu actif');
    await dashboardRefresh;
    await shot(page, 'confirmation.png');
  });

  await step('bureau : rechargement, la conversation est rejouée', page, async () => {
    await page.reload();
    await waitConnected(page);
    const { total } = await impayesTable(page);
    check(total === plain(settings.expectedTotal), `après rechargement, total « ${total} », attendu « ${plain(settings.expectedTotal)} »`);
    const confirm = page.locator('.confirm-card').last().getByRole('button', { name: 'Confirmer' });
    check(await confirm.isDisabled(), 'après rechargement, la confirmation déjà décidée peut encore être confirmée');
    const log = plain(await page.locator('#log').innerText());
    check(log.includes(plain(settings.paymentText)), 'après rechargement, le message de paiement n’est plus affiché');
    check(log.includes(plain(settings.expectedBalanceText)), 'après rechargement, le nouveau solde n’est plus affiché');
  });

  await step('bureau : une question sur le règlement montre les passages, mots trouvés surlignés', page, async () => {
    await ask(page, 'Que dit le règlement sur les animaux ?');
    const answer = lastAnswer(page);
    const table = answer.locator('table').first();
    await table.waitFor();
    const data = await readTable(table);
    const text = plain(data.rows.flat().join(' '));
    check(/Règlement de copropriété/.test(text), `les passages ne citent pas le règlement : ${text.slice(0, 300)}`);
    check(!text.includes('**'), `des marques ** restent affichées : ${text.slice(0, 300)}`);
    const marks = await table.locator('td mark').allInnerTexts();
    check(marks.some((m) => /animaux/i.test(m)), `aucun mot surligné « animaux » (surlignés : ${marks.join(', ')})`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `la page déborde de ${overflow} px en largeur avec les passages`);
    await shot(page, 'passages.png');
    console.log(`  ${data.rows.length} passage(s), surlignés : ${[...new Set(marks)].join(', ')}`);
  });
  await desktop.close();

  const phoneContext = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'fr-FR',
  });
  phoneContext.setDefaultTimeout(settings.timeout);
  const phone = await phoneContext.newPage();
  watch(phone, 'téléphone');

  await step('téléphone : un copropriétaire ne voit pas les dettes des autres', phone, async () => {
    await login(phone, settings.coproEmail, settings.password);
    await waitConnected(phone);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `la page déborde de ${overflow} px en largeur sur un téléphone`);
    await ask(phone, `Donne-moi la liste des débiteurs de la résidence ${settings.residence}`);
    const answer = lastAnswer(phone);
    const text = plain(await answer.innerText());
    check((await answer.locator('table').count()) === 0, `un copropriétaire a reçu un tableau : ${text}`);
    const shown = plain(await phone.locator('#log').innerText());
    const leaked = debtors.filter((name) => shown.includes(name));
    check(!leaked.length, `un copropriétaire voit d'autres copropriétaires : ${leaked.join(', ')}`);
    check(text.includes(plain(settings.refusalText)), `réponse au copropriétaire : « ${text} », attendu « ${settings.refusalText} »`);
    console.log(`  refus affiché : ${plain(settings.refusalText)}`);
    // The dashboard folds above the chat: closed at first, it shows the co-owner's own account.
    const toggle = phone.getByRole('button', { name: 'Tableau de bord' });
    check((await toggle.getAttribute('aria-expanded')) === 'false', 'le tableau de bord n’est pas replié par défaut sur un téléphone');
    const dashboard = phone.getByRole('complementary', { name: 'Tableau de bord' });
    check(!(await dashboard.isVisible()), 'le tableau de bord replié reste visible');
    await shot(phone, 'phone.png');
    await toggle.click();
    await dashboard.getByRole('region', { name: 'Mon compte' }).waitFor();
    check((await dashboard.locator('.card').count()) === 1, 'un copropriétaire voit d’autres cartes que son compte');
    await toggle.click();
  });

  await step('téléphone : déconnexion puis mauvais mot de passe', phone, async () => {
    await phone.getByRole('button', { name: 'Se déconnecter' }).click();
    await phone.getByLabel('Mot de passe').waitFor();
    await phone.getByLabel('Adresse e-mail').fill(settings.coproEmail);
    await phone.getByLabel('Mot de passe').fill(`${settings.password}-faux`);
    await phone.getByRole('button', { name: 'Se connecter' }).click();
    const alert = phone.locator('#login-error');
    await phone.waitForFunction(() => document.getElementById('login-error').textContent.trim() !== '');
    const message = plain(await alert.innerText());
    check(/mot de passe|identifiant|incorrect/i.test(message), `message d'erreur inattendu : « ${message} »`);
    check(!(await phone.locator('#app-view').isVisible()), 'la conversation s’affiche malgré un mauvais mot de passe');
    const session = await phoneContext.request.get(`${settings.baseUrl}/api/session`);
    check(session.status() === 401, `/api/session répond ${session.status()} après un mauvais mot de passe (401 attendu)`);
    console.log(`  erreur affichée : ${message}`);
  });
  await phoneContext.close();
}

main().then(
  () => {
    console.log(`chat.mjs : ${passed.length} étapes réussies`);
  },
  (error) => {
    const why = error instanceof Failure ? error.message : error.stack || String(error);
    console.error(`ÉCHEC à l'étape « ${current} » : ${why}`);
    process.exit(1);
  },
);
