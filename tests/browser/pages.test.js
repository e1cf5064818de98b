/*
 * pages.test.js - drive the citizen, engraver and police pages in headless
 * Chromium against a real bin/sealregd on 127.0.0.1 with a demo registry.
 *
 *   node tests/browser/pages.test.js --bin BIN --web WEBROOT
 *
 * Each test prints "ok - NAME" or "FAIL - NAME: why"; the last line is
 * "N passed, N failed".  Screenshots go to $SHOTS (or a fresh /tmp dir).
 * Uses Debian's /usr/bin/chromium through playwright-core; never downloads
 * a browser.
 */
'use strict';

const {spawn, execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {chromium} = require('playwright-core');

const args = process.argv.slice(2);
const opt = (name, def) => {
	const i = args.indexOf(name);
	return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const BIN = path.resolve(opt('--bin', 'bin'));
const WEB = path.resolve(opt('--web', 'web-static'));
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'sealreg-browser-'));
const SHOTS = process.env.SHOTS || path.join(os.tmpdir(), 'sealreg-browser-shots');
fs.mkdirSync(SHOTS, {recursive: true});

const ACTIVE = '6101001000001';      /* demo: active, stamped sample exists */
const TO_REVOKE = '6101001000002';   /* demo: active; the police test revokes it */
const LOST = '4401002000003';        /* demo: every tenth seal leaves active; the first becomes lost */
const UNREGISTERED = '6101001000999';

let passed = 0, failed = 0;
const problems = [];   /* page errors and CSP violations seen by any page */

function assert(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

async function test(name, fn) {
	const t0 = Date.now();
	try {
		await fn();
		passed++;
		console.log(`ok - ${name} (${Date.now() - t0} ms)`);
	} catch (e) {
		failed++;
		console.log(`FAIL - ${name}: ${e && e.message ? e.message.split('\n')[0] : e}`);
	}
}

/* Demo registry, tokens and stamped samples. */
function makeDemo() {
	const db = path.join(TMP, 'db');
	const samples = path.join(TMP, 'samples');
	fs.mkdirSync(samples);
	execFileSync(path.join(BIN, 'sealdemo'), ['--db', db, '--seals', '12', '--tokens', path.join(TMP, 'tokens.txt'),
		'--samples', samples], {stdio: ['ignore', 'ignore', 'inherit']});
	const tokens = {};
	for (const line of fs.readFileSync(path.join(TMP, 'tokens.txt'), 'utf8').split('\n')) {
		const m = /^(engraver|police|admin)\s+(\S+)\s+(sr_\S+)$/.exec(line.trim());
		if (m && !(m[1] === 'engraver' && m[2] !== '6101001'))
			tokens[m[1]] = m[3];
	}
	assert(tokens.engraver && tokens.police, 'tokens file lacks an engraver 6101001 or police token');
	return {db, samples, tokens};
}

/* Start sealregd on a free port; resolves to {proc, base, logPath}. */
function startDaemon(db) {
	const logPath = path.join(TMP, 'sealregd.log');
	const log = fs.openSync(logPath, 'w');
	const proc = spawn(path.join(BIN, 'sealregd'), ['--db', db, '--listen', '127.0.0.1:0', '--web', WEB,
		'--rate', '0', '--threads', '1', '--workers', '2', '--warm', '0', '--host', 'seals.example.test'],
	{stdio: ['ignore', 'pipe', log]});
	return new Promise((resolve, reject) => {
		let out = '';
		const timer = setTimeout(() => reject(new Error('sealregd did not print its port within 15 s')), 15000);
		proc.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error('sealregd exited with ' + code + ': ' + fs.readFileSync(logPath, 'utf8').slice(-400)));
		});
		proc.stdout.on('data', (d) => {
			out += d;
			const m = /listening on \[?([^\]\s]+?)\]?:(\d+)/.exec(out);
			if (m) {
				clearTimeout(timer);
				proc.removeAllListeners('exit');
				resolve({proc, base: `http://127.0.0.1:${m[2]}`, logPath});
			}
		});
	});
}

async function main() {
	const demo = makeDemo();
	const d = await startDaemon(demo.db);
	const base = d.base;
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		/* playwright gives each launch a fresh temporary --user-data-dir. */
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const requests = [];
	async function newPage(viewport) {
		const ctx = await browser.newContext({viewport: viewport || {width: 1000, height: 900}});
		const page = await ctx.newPage();
		page.setDefaultTimeout(15000);
		page.on('pageerror', (e) => problems.push('page error: ' + e.message));
		page.on('console', (m) => {
			if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()))
				problems.push('console: ' + m.text());
		});
		page.on('request', (r) => requests.push(r.url()));
		return page;
	}
	const api = async (p, token) => {
		const r = await fetch(base + p, {headers: token ? {Authorization: 'Bearer ' + token} : {}});
		return r;
	};
	const shot = (page, name, full) => page.screenshot({path: path.join(SHOTS, name + '.png'), fullPage: full !== false});
	const text = (page, sel) => page.locator(sel).first().innerText();

	try {
		const cit = await newPage({width: 390, height: 844});

		await test('citizen: active code typed with spaces shows a green active banner', async () => {
			await cit.goto(base + '/');
			await cit.fill('#code', ACTIVE.slice(0, 4) + ' ' + ACTIVE.slice(4, 7) + ' ' + ACTIVE.slice(7));
			await cit.click('#lookup-btn');
			const b = cit.locator('#lookup-result .banner[data-status]');
			await b.waitFor();
			assert(await b.getAttribute('data-status') === 'active', 'expected data-status active, got ' + await b.getAttribute('data-status'));
			const api1 = await (await api('/v1/seals/' + ACTIVE)).json();
			const holder = await text(cit, '#lookup-result dd[data-k=holder]');
			assert(holder === api1.holder, `expected holder ${api1.holder}, got ${holder}`);
			const eng = await text(cit, '#lookup-result dd[data-k=engraver]');
			assert(eng.includes(api1.engraver.company), `expected engraver ${api1.engraver.company} in "${eng}"`);
			assert((await text(cit, '#lookup-result dd[data-k=region]')).includes(api1.region.name), 'region name missing');
			const bg = await b.evaluate((n) => getComputedStyle(n).backgroundColor);
			assert(bg === 'rgb(227, 244, 232)', 'expected the green banner colour, got ' + bg);
			await shot(cit, 'citizen-active');
		});

		await test('citizen: page fits a 390 px phone without sideways scrolling', async () => {
			const w = await cit.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
			assert(w[0] <= w[1], `scrollWidth ${w[0]} > viewport ${w[1]}`);
		});

		await test('citizen: lost code shows the lost status and advice', async () => {
			await cit.fill('#code', LOST);
			await cit.click('#lookup-btn');
			await cit.locator('#lookup-result .banner[data-status=lost]').waitFor();
			const t = await text(cit, '#lookup-result .banner');
			assert(t.includes('已挂失') && /lost/i.test(t), 'banner lacks 已挂失 / lost: ' + t);
			assert(t.includes('核实'), 'banner lacks plain-language advice: ' + t);
			await shot(cit, 'citizen-lost');
		});

		await test('citizen: unregistered code shows 未备案 — treat the seal as suspect', async () => {
			await cit.fill('#code', UNREGISTERED);
			await cit.click('#lookup-btn');
			await cit.locator('#lookup-result [data-status=not_registered]').waitFor();
			const t = await text(cit, '#lookup-result .banner');
			assert(t.includes('未备案') && /treat the seal as suspect/i.test(t), 'warning text missing: ' + t);
			const bg = await cit.locator('#lookup-result .banner').evaluate((n) => getComputedStyle(n).backgroundColor);
			assert(bg === 'rgb(253, 229, 226)', 'expected the red banner colour, got ' + bg);
			await shot(cit, 'citizen-unregistered');
		});

		await test('citizen: malformed code shows the API\'s exact reason', async () => {
			const bad = '6101 001 0000';
			const want = (await (await api('/v1/seals/' + encodeURIComponent(bad.replace(/ /g, '')))).json()).error;
			await cit.fill('#code', bad);
			await cit.click('#lookup-btn');
			await cit.locator('#lookup-result [data-error]').waitFor();
			const code = await text(cit, '#lookup-result .err-code');
			const msg = await text(cit, '#lookup-result .api-message');
			assert(code === want.code, `expected error ${want.code}, got ${code}`);
			assert(msg === want.message, `expected message "${want.message}", got "${msg}"`);
			await cit.fill('#code', '61010O1000001');
			await cit.click('#lookup-btn');
			await cit.locator('#lookup-result [data-error=code_not_digits]').waitFor();
			await shot(cit, 'citizen-malformed');
		});

		await test('citizen: impression photo of a stamped page gives a verdict and a drawn circle', async () => {
			await cit.fill('#imp-code', ACTIVE);
			await cit.setInputFiles('#imp-file', path.join(demo.samples, `stamped-${ACTIVE}.png`));
			await cit.click('#imp-btn');
			const v = cit.locator('#imp-result .banner[data-verdict]');
			await v.waitFor({timeout: 30000});
			const verdict = await v.getAttribute('data-verdict');
			assert(['match', 'mismatch', 'inconclusive'].includes(verdict), 'unexpected verdict ' + verdict);
			/* The verdict itself is the matcher's to get right (tests/verify, tests/integration);
			 * here it is only reported. */
			if (verdict === 'mismatch')
				console.log('note: the genuine stamped sample was called a mismatch (matcher)');
			const c = cit.locator('#imp-canvas');
			await c.waitFor();
			const geo = await c.evaluate((n) => ({r: Number(n.dataset.r), x: Number(n.dataset.cx), y: Number(n.dataset.cy),
				w: n.width, h: n.height}));
			assert(geo.r > 20 && geo.x > 0 && geo.y > 0 && geo.x < geo.w && geo.y < geo.h,
				'no circle drawn: ' + JSON.stringify(geo));
			/* The dashed blue ring: some pixel near the ring's left edge must be blue. */
			const blue = await c.evaluate((n) => {
				const g = n.getContext('2d');
				const x = Number(n.dataset.cx), y = Number(n.dataset.cy), r = Number(n.dataset.r);
				let hits = 0;
				for (let a = 0; a < 360; a += 2) {
					const rad = a * Math.PI / 180;
					const lw = Math.max(3, n.width / 200);
					const px = g.getImageData(Math.round(x + Math.cos(rad) * (r + lw)), Math.round(y + Math.sin(rad) * (r + lw)), 1, 1).data;
					if (px[2] > 150 && px[0] < 80)
						hits++;
				}
				return hits;
			});
			assert(blue >= 30, 'expected the blue ring on the canvas, found it at ' + blue + ' of 180 angles');
			await cit.locator('#impression').screenshot({path: path.join(SHOTS, 'citizen-impression.png')});
		});

		await test('citizen: a WebP photo is converted in the page and still compared', async () => {
			const png = fs.readFileSync(path.join(demo.samples, `stamped-${ACTIVE}.png`)).toString('base64');
			const webp = await cit.evaluate(async (b64) => {
				const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
				const bmp = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
				const c = document.createElement('canvas');
				c.width = bmp.width;
				c.height = bmp.height;
				c.getContext('2d').drawImage(bmp, 0, 0);
				const blob = await new Promise((r) => c.toBlob(r, 'image/webp', 0.95));
				const buf = new Uint8Array(await blob.arrayBuffer());
				let s = '';
				for (let i = 0; i < buf.length; i += 8192)
					s += String.fromCharCode(...buf.subarray(i, i + 8192));
				return [blob.type, btoa(s)];
			}, png);
			assert(webp[0] === 'image/webp', 'this Chromium cannot encode WebP: ' + webp[0]);
			const f = path.join(TMP, 'stamped.webp');
			fs.writeFileSync(f, Buffer.from(webp[1], 'base64'));
			await cit.evaluate(() => {
				document.getElementById('imp-result').textContent = '';
			});
			await cit.fill('#imp-code', ACTIVE);
			await cit.setInputFiles('#imp-file', f);
			await cit.click('#imp-btn');
			const v = cit.locator('#imp-result .banner[data-verdict]');
			await v.waitFor({timeout: 30000});
			const wv = await v.getAttribute('data-verdict');
			assert(['match', 'mismatch', 'inconclusive'].includes(wv), 'unexpected verdict ' + wv);
			assert(await cit.locator('#imp-result [data-error]').count() === 0, 'the WebP upload was refused');
			const r = Number(await cit.locator('#imp-canvas').getAttribute('data-r'));
			assert(r > 20, 'no circle drawn for the WebP upload');
		});

		await test('citizen: a photo without a QR code says so', async () => {
			await cit.setInputFiles('#qr-file', path.join(demo.samples, `stamped-${ACTIVE}.png`));
			await cit.locator('#qr-result [data-error=no_qr_found]').waitFor({timeout: 30000});
		});

		/* The engraver part registers a seal; its QR is reused by the QR tests. */
		const eng = await newPage();
		let newCode = null, qrPayload = null;

		await test('engraver: no token gives a clear message', async () => {
			await eng.goto(base + '/engraver?page_size=2');
			await eng.click('#list-btn');
			await eng.locator('#list-result [data-error=unauthorized]').waitFor();
		});

		await test('engraver: a bad credit code is shown next to its input', async () => {
			await eng.fill('#token', demo.tokens.engraver);
			await eng.click('#token-form button[type=submit]');
			await eng.locator('#seal-table').waitFor();
			await eng.fill('#holder', '西安市浏览器测试有限公司');
			await eng.fill('#credit_code', '1234');
			await eng.setInputFiles('#impression', path.join(demo.samples, `stamped-${ACTIVE}.png`));
			await eng.click('#reg-btn');
			const fe = eng.locator('.field-error[data-for=credit_code]');
			await fe.waitFor();
			assert((await fe.innerText()).length > 5, 'empty field error');
			assert(await eng.getAttribute('#credit_code', 'aria-invalid') === 'true', 'credit_code not marked invalid');
			/* The error sits right after the credit code input. */
			const next = await eng.evaluate(() => document.getElementById('credit_code').nextElementSibling.dataset.for);
			assert(next === 'credit_code', 'field error not next to its input: ' + next);
			await shot(eng, 'engraver-field-error');
		});

		await test('engraver: registers a seal and shows its QR code', async () => {
			/* A valid credit code: take one from the registry (checksum-correct). */
			const rec = await (await api('/v1/archive/' + ACTIVE, demo.tokens.police)).json();
			await eng.fill('#holder', '西安市浏览器测试有限公司');
			await eng.fill('#credit_code', rec.seal.credit_code);
			await eng.selectOption('#type', '合同专用章');
			await eng.selectOption('#shape', 'round');
			await eng.setInputFiles('#impression', path.join(demo.samples, `stamped-${ACTIVE}.png`));
			await eng.click('#reg-btn');
			const ok = eng.locator('#reg-result .banner.ok[data-code]');
			await ok.waitFor({timeout: 30000});
			newCode = await ok.getAttribute('data-code');
			assert(/^6101001\d{6}$/.test(newCode), 'unexpected new code ' + newCode);
			const img = eng.locator('#qr-img');
			await eng.waitForFunction(() => {
				const i = document.getElementById('qr-img');
				return i && i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0;
			});
			assert(await img.isVisible(), 'QR image not visible');
			const shown = await text(eng, '#qr-code');
			assert(shown.replace(/\s/g, '') === newCode, `QR caption ${shown} != ${newCode}`);
			const r = await api(`/v1/seals/${newCode}/qr.png`, demo.tokens.engraver);
			qrPayload = r.headers.get('X-QR-Payload');
			fs.writeFileSync(path.join(TMP, 'qr.png'), Buffer.from(await r.arrayBuffer()));
			await shot(eng, 'engraver-registered');
		});

		await test('engraver: an image without a seal is refused next to the file input', async () => {
			const rec = await (await api('/v1/archive/' + ACTIVE, demo.tokens.police)).json();
			await eng.fill('#holder', '西安市无印测试有限公司');
			await eng.fill('#credit_code', rec.seal.credit_code);
			await eng.setInputFiles('#impression', path.join(TMP, 'qr.png'));
			await eng.click('#reg-btn');
			const fe = eng.locator('.field-error[data-for=impression]');
			await fe.waitFor({timeout: 30000});
			const t = await fe.innerText();
			assert(t.includes('未找到印章'), 'expected the no-seal explanation, got: ' + t);
			await eng.locator('#register').screenshot({path: path.join(SHOTS, 'engraver-no-seal.png')});
		});

		await test('engraver: print shows only the QR and its code', async () => {
			await eng.emulateMedia({media: 'print'});
			const vis = await eng.evaluate(() => ({
				qr: !!document.getElementById('qr-img').offsetParent,
				form: !!document.getElementById('reg-form').offsetParent,
				header: !!document.querySelector('header').offsetParent,
				button: !!document.getElementById('qr-print-btn').offsetParent,
			}));
			await eng.evaluate(() => window.scrollTo(0, 0));
			await shot(eng, 'engraver-print', false);
			await eng.emulateMedia({media: 'screen'});
			assert(vis.qr && !vis.form && !vis.header && !vis.button, 'print layout wrong: ' + JSON.stringify(vis));
		});

		await test('engraver: own seals list pages with next/previous', async () => {
			await eng.click('#list-btn');
			await eng.locator('#seal-table').waitFor();
			const first = await eng.locator('#seal-table tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.code));
			assert(first.length === 2, 'expected 2 rows with page_size=2, got ' + first.length);
			await eng.click('#next-page');
			await eng.waitForFunction((f) => {
				const r = document.querySelector('#seal-table tbody tr');
				return r && r.dataset.code !== f;
			}, first[0]);
			const second = await eng.locator('#seal-table tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.code));
			assert(second.every((c) => c > first[1] && c.startsWith('6101001')), 'page 2 not after page 1: ' + second);
			/* Walk to the end, collecting every code. */
			const all = first.concat(second);
			for (let n = 2; await eng.locator('#next-page').count(); n++) {
				await eng.click('#next-page');
				await eng.locator(`.pager[data-page="${n + 1}"]`).waitFor();
				all.push(...await eng.locator('#seal-table tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.code)));
				assert(n < 20, 'paging does not end');
			}
			assert(all.includes(newCode), `new seal ${newCode} not listed: ${all}`);
			assert(new Set(all).size === all.length, 'a seal was listed twice: ' + all);
			await shot(eng, 'engraver-list-end');
			await eng.click('#prev-page');
			await eng.locator('#seal-table').waitFor();
		});

		await test('engraver: the token stays in sessionStorage, out of URLs and logs', async () => {
			const tok = demo.tokens.engraver;
			const where = await eng.evaluate((t) => ({
				session: Object.values(sessionStorage).includes(t),
				local: Object.values(localStorage).some((v) => v.includes(t)),
				cookie: document.cookie.includes(t),
			}), tok);
			assert(where.session && !where.local && !where.cookie, 'token storage: ' + JSON.stringify(where));
			assert(!requests.some((u) => u.includes(tok)), 'the token appeared in a request URL');
			const log = fs.readFileSync(d.logPath, 'utf8');
			assert(!log.includes(tok), 'the token appeared in the daemon log');
		});

		await test('citizen: a photographed registry QR has a valid signature', async () => {
			assert(newCode, 'no seal registered by the engraver test');
			await cit.setInputFiles('#qr-file', path.join(TMP, 'qr.png'));
			const b = cit.locator('#qr-result .banner[data-signature]');
			await b.waitFor({timeout: 30000});
			assert(await b.getAttribute('data-signature') === 'valid', 'signature ' + await b.getAttribute('data-signature'));
			const code = await text(cit, '#qr-result dd[data-k=code]');
			assert(code.replace(/\s/g, '') === newCode, `QR result code ${code} != ${newCode}`);
			await cit.locator('#qr').screenshot({path: path.join(SHOTS, 'citizen-qr.png')});
		});

		await test('citizen: the QR landing /q/{code}.{sig} checks itself and shows the seal', async () => {
			assert(qrPayload, 'no X-QR-Payload header from qr.png');
			const m = /\/q\/(\d{13})\.([A-Za-z0-9_-]+)/.exec(qrPayload);
			assert(m, 'payload not of the /q/ form: ' + qrPayload);
			await cit.goto(base + '/q/' + m[1] + '.' + m[2]);
			const b = cit.locator('#lookup-result .banner[data-signature]');
			await b.waitFor();
			assert(await b.getAttribute('data-signature') === 'valid', 'landing signature ' + await b.getAttribute('data-signature'));
			await cit.locator('#lookup-result .banner[data-status=active]').waitFor();
			assert((await cit.inputValue('#imp-code')).replace(/\s/g, '') === m[1], 'impression code not prefilled');
			await shot(cit, 'citizen-landing');
			/* A forged signature (one character changed) must be called invalid. */
			const sig = m[2];
			const forged = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
			await cit.goto(base + '/q/' + m[1] + '.' + forged);
			const f = cit.locator('#lookup-result .banner[data-signature]');
			await f.waitFor();
			assert(await f.getAttribute('data-signature') === 'invalid', 'forged landing: ' + await f.getAttribute('data-signature'));
			await shot(cit, 'citizen-landing-forged');
		});

		const pol = await newPage();
		await test('police: a bad token and an engraver token are refused with the API\'s reason', async () => {
			await pol.goto(base + '/police?page_size=2');
			await pol.fill('#token', 'sr_' + 'x'.repeat(43));
			await pol.click('#token-form button[type=submit]');
			await pol.fill('#arch-code', ACTIVE);
			await pol.click('#arch-btn');
			await pol.locator('#arch-result [data-error=unauthorized]').waitFor();
			await pol.fill('#token', demo.tokens.engraver);
			await pol.click('#token-form button[type=submit]');
			await pol.click('#arch-btn');
			await pol.locator('#arch-result [data-error=forbidden]').waitFor();
			await pol.click('#token-forget');
			assert(await pol.evaluate(() => sessionStorage.length) === 0, 'Forget left the token in sessionStorage');
		});

		await test('police: archive shows record, history, verification log and reference impression', async () => {
			await pol.goto(base + '/police?page_size=2');
			await pol.fill('#token', demo.tokens.police);
			await pol.click('#token-form button[type=submit]');
			await pol.fill('#arch-code', LOST);
			await pol.click('#arch-btn');
			await pol.locator('#history-table').waitFor();
			const hist = await text(pol, '#history-table tbody');
			assert(hist.includes('已挂失'), 'history lacks the lost change: ' + hist);
			await pol.locator('#queries-table').waitFor();
			const q = await text(pol, '#queries-table tbody');
			assert(q.includes('lookup'), 'verification log lacks the citizen lookup: ' + q);
			const cc = await text(pol, '#arch-result dd[data-k=credit_code]');
			assert(/^[0-9A-Z]{18}$/.test(cc), 'credit code missing: ' + cc);
			await pol.waitForFunction(() => {
				const i = document.getElementById('ref-img');
				return i && i.src.startsWith('blob:') && i.complete && i.naturalWidth > 100;
			});
			await shot(pol, 'police-archive');
		});

		await test('police: an unregistered code that citizens checked shows those checks (forged seal in use)', async () => {
			await pol.fill('#arch-code', UNREGISTERED);
			await pol.click('#arch-btn');
			await pol.locator('#arch-result [data-forged-checks]').waitFor();
			const q = await text(pol, '#queries-table tbody');
			assert(q.includes('lookup') && q.includes('not_registered'),
				'the citizen\'s check of the unregistered code is missing: ' + q);
			await shot(pol, 'police-forged-checks');
		});

		await test('police: status change is applied and the citizen page shows it', async () => {
			await pol.fill('#arch-code', TO_REVOKE);
			await pol.click('#arch-btn');
			await pol.locator('#status:not([hidden])').waitFor();
			await pol.waitForFunction((c) => document.getElementById('st-code').textContent.replace(/\s/g, '') === c, TO_REVOKE);
			await pol.selectOption('#st-status', 'revoked');
			await pol.fill('#st-reason', '浏览器测试：营业执照吊销');
			await pol.fill('#st-case', '经侦2026-TEST');
			await pol.click('#st-btn');
			await pol.locator('#st-result .banner.ok[data-status=revoked]').waitFor();
			await pol.waitForFunction(() => {
				const t = document.getElementById('history-table');
				return t && t.innerText.includes('经侦2026-TEST');
			});
			await shot(pol, 'police-status-changed');
			await cit.goto(base + '/');
			await cit.fill('#code', TO_REVOKE);
			await cit.click('#lookup-btn');
			await cit.locator('#lookup-result .banner[data-status=revoked]').waitFor();
			await shot(cit, 'citizen-revoked');
		});

		await test('police: an illegal transition shows the API\'s refusal', async () => {
			await pol.selectOption('#st-status', 'lost');
			await pol.fill('#st-reason', 'should be refused');
			await pol.click('#st-btn');
			await pol.locator('#st-result [data-error]').waitFor();
			assert((await text(pol, '#st-result .api-message')).length > 0, 'no API message');
			await shot(pol, 'police-illegal-transition');
			const code = await pol.locator('#st-result [data-error]').getAttribute('data-error');
			assert(code === 'illegal_transition', 'expected illegal_transition, got ' + code);
		});

		await test('police: search by holder, credit code and engraver, with paging', async () => {
			const rec = await (await api('/v1/archive/' + ACTIVE, demo.tokens.police)).json();
			await pol.selectOption('#se-kind', 'engraver');
			await pol.fill('#se-q', '6101001');
			await pol.click('#se-btn');
			await pol.locator('#search-table').waitFor();
			const p1 = await pol.locator('#search-table tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.code));
			assert(p1.length === 2 && p1.every((c) => c.startsWith('6101001')), 'engraver page 1: ' + p1);
			await pol.click('#se-next');
			await pol.waitForFunction((f) => {
				const r = document.querySelector('#search-table tbody tr');
				return r && r.dataset.code !== f;
			}, p1[0]);
			await pol.selectOption('#se-kind', 'holder');
			await pol.fill('#se-q', rec.seal.holder.slice(0, 5));
			await pol.click('#se-btn');
			await pol.locator(`#search-table tr[data-code="${ACTIVE}"]`).waitFor();
			await pol.selectOption('#se-kind', 'credit_code');
			await pol.fill('#se-q', rec.seal.credit_code);
			await pol.click('#se-btn');
			await pol.locator(`#search-table tr[data-code="${ACTIVE}"]`).waitFor();
			/* Clicking a code opens its archive. */
			await pol.locator(`#search-table tr[data-code="${ACTIVE}"] button`).click();
			await pol.waitForFunction((c) => {
				const b = document.querySelector('#arch-result .banner');
				return b && b.innerText.replace(/\s/g, '').includes(c);
			}, ACTIVE);
			await shot(pol, 'police-search');
		});

		await test('police: search by impression lists candidates (or says it is unavailable)', async () => {
			await pol.setInputFiles('#is-file', path.join(demo.samples, `stamped-${ACTIVE}.png`));
			await pol.click('#is-btn');
			await pol.locator('#is-result #cand-table, #is-result .banner').first().waitFor({timeout: 30000});
			if (await pol.locator('#cand-table').count()) {
				const codes = await pol.locator('#cand-table tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.code));
				assert(codes.includes(ACTIVE), 'the stamped seal is not among the candidates: ' + codes);
			} else {
				const b = await text(pol, '#is-result .banner');
				assert(b.includes('尚未开放'), 'impression search failed: ' + b);
			}
			await pol.locator('#imgsearch').screenshot({path: path.join(SHOTS, 'police-impression-search.png')});
		});

		await test('engraver and police pages with results fit a 360 px phone', async () => {
			for (const [name, page] of [['engraver', eng], ['police', pol]]) {
				await page.setViewportSize({width: 360, height: 740});
				const w = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
				await shot(page, name + '-phone');
				assert(w[0] <= w[1], `${name}: scrollWidth ${w[0]} > viewport ${w[1]}`);
			}
		});

		await test('every form control on the three pages has a label', async () => {
			const a11y = await newPage();
			for (const p of ['/', '/engraver', '/police']) {
				await a11y.goto(base + p);
				const unnamed = await a11y.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
					.filter((n) => !(n.labels && n.labels.length) && !n.getAttribute('aria-label') && !n.textContent.trim())
					.map((n) => n.id || n.name || n.outerHTML.slice(0, 40)));
				assert(unnamed.length === 0, `${p}: controls without a label: ${unnamed}`);
				const lang = await a11y.evaluate(() => document.documentElement.lang);
				assert(lang === 'zh-CN', `${p}: html lang ${lang}`);
			}
			await a11y.goto(base + '/');
			await shot(a11y, 'citizen-desktop');
			await a11y.close();
		});

		await test('no page errors or CSP violations on any page', async () => {
			assert(problems.length === 0, problems.slice(0, 3).join(' | '));
		});
	} finally {
		await browser.close().catch(() => {});
		const exit = await new Promise((r) => {
			const t = setTimeout(() => {
				d.proc.kill('SIGKILL');
				r('no exit within 10 s of SIGTERM');
			}, 10000);
			d.proc.on('exit', (code, sig) => {
				clearTimeout(t);
				r(code === 0 ? null : `exit code ${code}, signal ${sig}`);
			});
			d.proc.kill('SIGTERM');
		});
		await test('sealregd exits cleanly on SIGTERM after the session', async () => {
			assert(!exit, exit + ': ' + fs.readFileSync(d.logPath, 'utf8').split('\n').filter((l) => /ERROR|Sanitizer|runtime error/.test(l)).slice(0, 3).join(' | '));
		});
	}
}

main().catch((e) => {
	failed++;
	console.log('FAIL - setup: ' + (e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : e));
}).finally(() => {
	console.log('screenshots in ' + SHOTS);
	if (!process.env.KEEP && failed === 0)
		fs.rmSync(TMP, {recursive: true, force: true});
	else
		console.log('registry, tokens and daemon log kept in ' + TMP);
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
});
