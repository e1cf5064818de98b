/*
 * common.js - helpers shared by the three pages: API calls, safe DOM
 * building (text only, never innerHTML with server data), status and error
 * wording in Chinese with English, field errors and the bearer token kept in
 * sessionStorage.
 */
'use strict';

const SR = (() => {
	const TOKEN_KEY = 'sealreg.token';

	/* Build an element: el('p', {class: 'x'}, 'text', child, ...). */
	function el(tag, attrs, ...kids) {
		const n = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false)
				continue;
			if (k === 'class')
				n.className = v;
			else if (k === 'text')
				n.textContent = v;
			else if (k.startsWith('on') && typeof v === 'function')
				n.addEventListener(k.slice(2), v);
			else
				n.setAttribute(k, v === true ? '' : String(v));
		}
		for (const k of kids.flat()) {
			if (k === null || k === undefined || k === false)
				continue;
			n.append(k instanceof Node ? k : document.createTextNode(String(k)));
		}
		return n;
	}

	/* A bilingual label: Chinese, then the English in a muted span. */
	function bi(zh, en) {
		const f = document.createDocumentFragment();
		f.append(zh + ' ');
		f.append(el('span', {class: 'en', lang: 'en'}, '/ ' + en));
		return f;
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
		return node;
	}

	/* "6101001000001" -> "6101 001 000001"; anything else unchanged. */
	function showCode(c) {
		return /^\d{13}$/.test(c) ? c.slice(0, 4) + ' ' + c.slice(4, 7) + ' ' + c.slice(7) : c;
	}

	/* The code with spaces and hyphens removed. */
	function normCode(s) {
		return String(s || '').replace(/[\s\u3000\-]/g, '');
	}

	function getToken() {
		try {
			return sessionStorage.getItem(TOKEN_KEY) || '';
		} catch (e) {
			return '';
		}
	}
	function setToken(t) {
		try {
			if (t)
				sessionStorage.setItem(TOKEN_KEY, t);
			else
				sessionStorage.removeItem(TOKEN_KEY);
		} catch (e) {
			/* Storage disabled: the token lives only as long as the input. */
		}
	}

	/*
	 * Call the API.  opts: method, body (string, Blob, FormData), type
	 * (Content-Type), auth (bool: send the bearer token), blob (bool: answer
	 * as a Blob).  Resolves to {ok, status, data, error, headers}; error is
	 * the API's {code, message, field} or a synthetic one for network
	 * failures and non-JSON answers.
	 */
	async function api(path, opts) {
		opts = opts || {};
		const headers = {};
		if (opts.type)
			headers['Content-Type'] = opts.type;
		if (opts.auth) {
			const t = getToken();
			if (t)
				headers['Authorization'] = 'Bearer ' + t;
		}
		let res;
		try {
			res = await fetch(path, {
				method: opts.method || 'GET',
				headers,
				body: opts.body,
				cache: 'no-store',
				credentials: 'omit',
			});
		} catch (e) {
			return {ok: false, status: 0, data: null, headers: null,
				error: {code: 'network', message: 'the service could not be reached'}};
		}
		const out = {ok: res.ok, status: res.status, data: null, error: null, headers: res.headers};
		const ctype = res.headers.get('Content-Type') || '';
		if (res.ok && opts.blob) {
			out.data = await res.blob();
			return out;
		}
		if (ctype.includes('json')) {
			try {
				out.data = await res.json();
			} catch (e) {
				out.data = null;
			}
		} else {
			await res.text().catch(() => '');
		}
		if (!res.ok) {
			out.error = (out.data && out.data.error) ||
				{code: 'http_' + res.status, message: 'the service answered HTTP ' + res.status};
			const ra = res.headers.get('Retry-After');
			if (ra)
				out.error.retryAfter = ra;
		}
		return out;
	}

	/* Chinese wording for the API's error codes; the API's own message is shown too. */
	const ERRORS = {
		code_length: '编码应为 13 位数字',
		code_not_digits: '编码只能包含数字',
		unknown_region: '编码前四位不是已知的地区代码',
		unknown_engraver: '编码中的刻章单位未备案或已被暂停',
		not_registered: '此编码未备案',
		credit_code_format: '统一社会信用代码格式不正确（18 位）',
		credit_code_check: '统一社会信用代码校验位不正确',
		illegal_transition: '不允许这样变更状态',
		too_big: '内容太大',
		bad_text: '文字不合法或过长',
		unauthorized: '令牌无效或未提供',
		token_revoked: '令牌已被吊销',
		forbidden: '无权执行此操作',
		bad_image: '图片已损坏或无法读取',
		unsupported_image: '不支持的图片格式（请用 PNG 或 JPEG）',
		image_too_large: '图片尺寸过大',
		no_seal_found: '图片中未找到印章',
		no_qr_found: '图片中未找到二维码',
		invalid: '输入不正确',
		exists: '已存在',
		registry_full: '编号已用完',
		busy: '系统繁忙，请稍后再试',
		route_not_found: '找不到该地址',
		method_not_allowed: '请求方法不正确',
		unsupported_media_type: '文件类型不正确',
		rate_limited: '查询过于频繁，请稍后再试',
		overloaded: '系统繁忙，请稍后再试',
		bad_request: '请求不正确',
		not_implemented: '此功能尚未开放',
		internal: '系统内部错误',
		shutting_down: '服务正在重启，请稍后再试',
		network: '无法连接到服务',
	};

	/* A red banner for an API error: Chinese meaning plus the exact API message. */
	function errorBanner(err, title) {
		const zh = ERRORS[err.code] || '请求失败';
		const b = el('div', {class: 'banner bad', role: 'alert'},
			el('strong', {}, title || zh),
			title && ERRORS[err.code] ? el('p', {class: 'zh-reason'}, zh) : null,
			el('p', {}, el('span', {lang: 'en', class: 'api-message'}, err.message || err.code)),
			el('p', {class: 'small muted'}, '错误代码 / error: ', el('span', {class: 'mono err-code'}, err.code),
				err.field ? [' · 字段 / field: ', el('span', {class: 'mono'}, err.field)] : null,
				err.retryAfter ? ' · ' + err.retryAfter + ' s' : null));
		b.dataset.error = err.code;
		return b;
	}

	/* Status wording, banner class and plain-language advice. */
	const STATUS = {
		active: {cls: 'ok', icon: '✔', zh: '有效', en: 'Active',
			advice: '此印章已备案且状态有效。仍请核对单位名称与印文是否一致。',
			adviceEn: 'Registered and active. Still check that the holder name and the impression match.'},
		lost: {cls: 'warn', icon: '⚠', zh: '已挂失', en: 'Reported lost',
			advice: '持有单位已报告此印章遗失。盖有此章的新文件可能是他人冒用，请直接联系该单位核实。',
			adviceEn: 'The holder reported this seal lost. Documents stamped with it recently may be misuse: confirm with the holder directly.'},
		revoked: {cls: 'bad', icon: '✖', zh: '已注销', en: 'Revoked',
			advice: '此印章已被注销，不再有效。注销后加盖的文件不具效力，请勿据此签约或付款。',
			adviceEn: 'This seal has been revoked and is no longer valid. Do not sign or pay on a document stamped after revocation.'},
		destroyed: {cls: 'bad', icon: '✖', zh: '已销毁', en: 'Destroyed',
			advice: '此印章已登记销毁，实物不应再存在。如见到新盖印文，极可能为伪造，请报警。',
			adviceEn: 'This seal was recorded as destroyed; it should no longer exist. A fresh impression is very likely forged: report it to the police.'},
		disputed: {cls: 'warn', icon: '⚠', zh: '存在争议', en: 'Disputed',
			advice: '此印章正在被调查或存在争议。在争议解决前，请谨慎对待盖有此章的文件，并向持有单位或公安机关核实。',
			adviceEn: 'This seal is under investigation or in dispute. Treat documents stamped with it with caution until it is resolved.'},
	};

	const SHAPES = {round: '圆形 / round', oval: '椭圆形 / oval', square: '方形 / square'};

	function statusPill(status) {
		const s = STATUS[status] || {cls: 'warn', zh: status, en: status};
		return el('span', {class: 'pill ' + s.cls, 'data-status': status}, s.zh + ' ', el('span', {lang: 'en'}, s.en));
	}

	/* A <dl> from [[label-zh, label-en, value-node-or-text], ...]; empty values are skipped. */
	function facts(rows) {
		const dl = el('dl', {class: 'facts'});
		for (const [zh, en, v, key] of rows) {
			if (v === null || v === undefined || v === '')
				continue;
			dl.append(el('dt', {}, bi(zh, en)), el('dd', key ? {'data-k': key} : {}, v));
		}
		return dl;
	}

	/* Field errors: show err.message next to the input named err.field inside form. */
	function clearFieldErrors(form) {
		for (const n of form.querySelectorAll('.field-error'))
			n.textContent = '';
		for (const n of form.querySelectorAll('[aria-invalid]'))
			n.removeAttribute('aria-invalid');
	}
	function showFieldError(form, err) {
		if (!err || !err.field)
			return false;
		const input = form.querySelector('[name="' + CSS.escape(err.field) + '"]');
		if (!input)
			return false;
		let slot = form.querySelector('.field-error[data-for="' + CSS.escape(err.field) + '"]');
		if (!slot) {
			slot = el('p', {class: 'field-error', 'data-for': err.field, id: 'err-' + err.field});
			input.insertAdjacentElement('afterend', slot);
		}
		slot.textContent = (ERRORS[err.code] ? ERRORS[err.code] + ' — ' : '') + (err.message || err.code);
		input.setAttribute('aria-invalid', 'true');
		input.setAttribute('aria-describedby', slot.id || '');
		input.focus();
		return true;
	}

	/* Content-Type for an uploaded file: the API takes PNG or JPEG raw bodies. */
	function imageType(file) {
		if (file.type === 'image/png' || file.type === 'image/jpeg')
			return file.type;
		return 'application/octet-stream';
	}

	/*
	 * Make a picked photo acceptable to the API (PNG or JPEG, at most 8 MiB
	 * and 40 Mpixel): files that already are go as they are; others (WebP,
	 * GIF, BMP, oversized phone photos) are redrawn on a canvas - with their
	 * EXIF orientation applied - and re-encoded.  Resolves to {body, type,
	 * scale}, scale being uploaded pixels per original pixel (1 when sent
	 * as is), so coordinates the API answers can be mapped back.
	 */
	const UPLOAD_MAX = 8 * 1024 * 1024, UPLOAD_PIXELS = 40e6, UPLOAD_SIDE = 12000;
	async function prepareImage(file, preferPng) {
		const direct = file.type === 'image/png' || file.type === 'image/jpeg';
		if (direct && file.size <= UPLOAD_MAX)
			return {body: file, type: file.type, scale: 1};
		let bmp;
		try {
			bmp = await createImageBitmap(file);
		} catch (e) {
			/* Not decodable here: let the API give its exact reason. */
			return {body: file, type: imageType(file), scale: 1};
		}
		let s = Math.min(1, UPLOAD_SIDE / Math.max(bmp.width, bmp.height),
			Math.sqrt(UPLOAD_PIXELS / (bmp.width * bmp.height)));
		let out = null;
		const tries = (preferPng && file.size <= UPLOAD_MAX ? ['image/png'] : []).concat(['image/jpeg', 'image/jpeg', 'image/jpeg']);
		const quality = [0.92, 0.92, 0.85, 0.75];
		for (let i = 0; i < tries.length; i++) {
			const c = document.createElement('canvas');
			c.width = Math.max(1, Math.round(bmp.width * s));
			c.height = Math.max(1, Math.round(bmp.height * s));
			const g = c.getContext('2d');
			g.fillStyle = '#fff';
			g.fillRect(0, 0, c.width, c.height);
			g.drawImage(bmp, 0, 0, c.width, c.height);
			const blob = await new Promise((r) => c.toBlob(r, tries[i], quality[i]));
			out = {body: blob, type: tries[i], scale: c.width / bmp.width};
			if (blob && blob.size <= UPLOAD_MAX)
				break;
			if (tries[i] === 'image/jpeg')
				s *= 0.8;
		}
		bmp.close();
		return out && out.body ? out : {body: file, type: imageType(file), scale: 1};
	}

	/* Disable a button while an async job runs. */
	async function busy(button, job) {
		const label = button.textContent;
		button.disabled = true;
		button.setAttribute('aria-busy', 'true');
		try {
			return await job();
		} finally {
			button.disabled = false;
			button.removeAttribute('aria-busy');
			button.textContent = label;
		}
	}

	function fmtTime(iso) {
		if (!iso)
			return '';
		return String(iso).replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
	}

	/*
	 * Wire the token panel (#token-form with input[name=token], #token-forget,
	 * #token-state).  onChange runs after the token is set or cleared.
	 */
	function tokenPanel(onChange) {
		const form = document.getElementById('token-form');
		const input = form.querySelector('input[name="token"]');
		const state = document.getElementById('token-state');
		const forget = document.getElementById('token-forget');
		function show() {
			const t = getToken();
			state.className = 'token-state' + (t ? ' ok' : '');
			state.textContent = t ? '令牌已设置（仅保存在本标签页）/ Token set for this tab only: ' +
				t.slice(0, 6) + '…' : '未设置令牌 / No token set';
			forget.hidden = !t;
		}
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			const t = input.value.trim();
			setToken(t);
			input.value = '';
			show();
			if (onChange)
				onChange(t);
		});
		forget.addEventListener('click', () => {
			setToken('');
			show();
			if (onChange)
				onChange('');
		});
		show();
	}

	return {el, bi, clear, normCode, showCode, api, getToken, setToken, errorBanner, ERRORS, STATUS, SHAPES,
		statusPill, facts, clearFieldErrors, showFieldError, imageType, prepareImage, busy, fmtTime, tokenPanel};
})();
