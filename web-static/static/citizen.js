/*
 * citizen.js - the public page: look a seal up by code, check a photographed
 * QR code's signature, compare a photographed impression with the registered
 * one (drawing where the seal was found), and the QR landing /q/{code}.{sig}
 * which checks its own URL at once.
 */
'use strict';

(() => {
	const {el, clear, normCode, showCode, api, errorBanner, STATUS, SHAPES, facts, prepareImage, busy} = SR;

	const $ = (id) => document.getElementById(id);

	/* The public record as a status banner plus the facts. */
	function sealView(seal) {
		const s = STATUS[seal.status] || {cls: 'warn', icon: '⚠', zh: seal.status, en: seal.status, advice: '', adviceEn: ''};
		const banner = el('div', {class: 'banner ' + s.cls, role: s.cls === 'ok' ? 'status' : 'alert', 'data-status': seal.status},
			el('strong', {}, el('span', {class: 'icon', 'aria-hidden': 'true'}, s.icon),
				'状态：' + s.zh + ' ', el('span', {lang: 'en'}, '/ Status: ' + s.en)),
			el('p', {}, s.advice),
			/* The registry's own advice when it gives one, else ours. */
			seal.advice ? el('p', {class: 'small api-advice', lang: 'en'}, seal.advice) :
				el('p', {lang: 'en', class: 'small'}, s.adviceEn));
		const region = seal.region ? seal.region.name + '（' + seal.region.code + '）' : '';
		const eng = seal.engraver ?
			[seal.engraver.company || '', ' ', el('span', {class: 'mono muted'}, seal.engraver.prefix || '')] : '';
		return el('div', {class: 'seal-view'}, banner, facts([
			['印章编码', 'Code', el('span', {class: 'mono'}, seal.code_display || seal.code), 'code'],
			['持有单位', 'Holder', seal.holder, 'holder'],
			['印章类型', 'Type', seal.type, 'type'],
			['形状', 'Shape', SHAPES[seal.shape] || seal.shape, 'shape'],
			['地区', 'Region', region, 'region'],
			['刻章单位', 'Engraver', eng, 'engraver'],
			['备案日期', 'Registered', seal.registered_on, 'registered'],
		]));
	}

	function notRegisteredView(err, code) {
		const b = el('div', {class: 'banner bad', role: 'alert', 'data-status': 'not_registered'},
			el('strong', {}, el('span', {class: 'icon', 'aria-hidden': 'true'}, '✖'),
				'未备案 — 请将此印章视为可疑 ', el('span', {lang: 'en'}, '/ Not registered — treat the seal as suspect')),
			el('p', {}, '编码 ', el('span', {class: 'mono'}, showCode(code)), ' 在备案系统中不存在。真实的公章都有备案编码；' +
				'请不要据此文件签约或付款，并向持有单位或当地公安机关核实。'),
			el('p', {lang: 'en', class: 'small'}, 'No seal with this code is registered. Genuine official seals are registered: ' +
				'do not sign or pay on this document; check with the holder or the local police.'));
		return b;
	}

	/* GET /v1/seals/{code} into the node. */
	async function lookup(raw, out) {
		const code = normCode(raw);
		clear(out);
		if (!code) {
			out.append(errorBanner({code: 'code_length', message: 'please type the 13-digit code', field: 'code'}));
			return null;
		}
		out.append(el('p', {class: 'muted spinner'}, '查询中 / Checking'));
		const r = await api('/v1/seals/' + encodeURIComponent(code));
		clear(out);
		if (r.ok && r.data) {
			out.append(sealView(r.data));
			return r.data;
		}
		if (r.status === 404 && r.error.code === 'not_registered')
			out.append(notRegisteredView(r.error, code));
		else
			out.append(errorBanner(r.error, r.status === 400 ? '编码格式不正确 / Malformed code' : null));
		return null;
	}

	/* The answer of /v1/verify/qr or /v1/qr/check. */
	function qrView(d) {
		const box = el('div', {class: 'qr-view'});
		if (d.ours && d.signature === 'valid') {
			box.append(el('div', {class: 'banner ok', role: 'status', 'data-signature': 'valid'},
				el('strong', {}, el('span', {class: 'icon', 'aria-hidden': 'true'}, '✔'),
					'二维码签名有效 ', el('span', {lang: 'en'}, '/ Signature valid')),
				el('p', {}, '此二维码由印章备案系统签发。下面是该印章的当前状态。'),
				el('p', {lang: 'en', class: 'small'}, 'This QR code was issued by the seal registry. The seal\'s current status is below.')));
			box.append(sealView(d));
		} else if (d.ours) {
			const why = d.reason === 'not_registered' ? '二维码中的编码未备案。' : '二维码的数字签名不是备案系统的。';
			box.append(el('div', {class: 'banner bad', role: 'alert', 'data-signature': 'invalid'},
				el('strong', {}, el('span', {class: 'icon', 'aria-hidden': 'true'}, '✖'),
					'二维码签名无效 — 可能是伪造 ', el('span', {lang: 'en'}, '/ Signature INVALID — likely forged')),
				el('p', {}, why + '请勿相信此印章或标签，并向公安机关报告。'),
				d.warning ? el('p', {lang: 'en', class: 'small api-message'}, d.warning) : null,
				d.code ? el('p', {class: 'small'}, '编码 / code: ', el('span', {class: 'mono'}, d.code),
					d.reason ? ' · ' + d.reason : '') : null));
		} else {
			box.append(el('div', {class: 'banner warn', role: 'alert', 'data-signature': 'not_ours'},
				el('strong', {}, el('span', {class: 'icon', 'aria-hidden': 'true'}, '⚠'),
					'这不是印章备案二维码 ', el('span', {lang: 'en'}, '/ Not a seal-registry QR code')),
				el('p', {}, '二维码内容如下（请勿随意打开其中的链接）：'),
				el('p', {class: 'mono small', lang: 'und'}, d.text || '')));
		}
		return box;
	}

	async function checkQrFile(file) {
		const out = $('qr-result');
		clear(out).append(el('p', {class: 'muted spinner'}, '正在读取二维码 / Reading the QR code'));
		const up = await prepareImage(file);
		const r = await api('/v1/verify/qr', {method: 'POST', body: up.body, type: up.type});
		clear(out);
		if (r.ok && r.data) {
			out.append(qrView(r.data));
			if (r.data.code && r.data.signature === 'valid')
				$('imp-code').value = r.data.code_display || r.data.code;
			return;
		}
		const b = errorBanner(r.error, r.error.code === 'no_qr_found' ? '照片中未找到二维码 / No QR code found' : null);
		if (r.error.code === 'no_qr_found')
			b.append(el('p', {}, '请让二维码充满画面、对焦清晰、避免反光后重拍。'),
				el('p', {lang: 'en', class: 'small'}, 'Fill the frame with the QR code, hold steady and avoid glare, then try again.'));
		out.append(b);
	}

	/* Plain-language reasons for an impression verdict. */
	const REASONS = {
		ok: ['', ''],
		no_seal_found: ['照片中没有找到红色印章。请对准印章拍摄，让它占据画面的大部分。',
			'No red seal was found in the photo. Aim at the stamp so it fills most of the picture.'],
		seal_too_small: ['印章在照片中太小。请靠近拍摄，让印章占画面一半以上。',
			'The seal is too small in the photo. Move closer so it fills at least half the picture.'],
		too_little_ink: ['印文太淡或残缺，可用的印迹太少。请选择一处盖得清楚的印章拍摄。',
			'The impression is too faint or partial. Photograph a clearly stamped copy.'],
		shape_differs: ['印章形状与备案印模不同（例如圆形与椭圆形），很可能不是同一枚印章。',
			'The seal\'s shape differs from the registered one (e.g. round vs oval): probably not the same seal.'],
		resolution_too_low: ['照片不够清晰，无法分辨细微差别。请靠近、对焦，拍一张更清晰的照片再试。',
			'The photo is not sharp enough to see fine differences: take a sharper, closer photo.'],
		weak_evidence: ['证据不足，无法可靠判断。请换一张光线均匀、更清晰的照片再试。',
			'The evidence is too weak for a reliable answer. Try a sharper photo in even light.'],
		no_reference: ['该印章没有备案印模，无法比对。', 'No reference impression is registered for this seal, so it cannot be compared.'],
	};
	const VERDICTS = {
		match: {cls: 'ok', icon: '✔', zh: '印文与备案一致', en: 'The impression matches the registered seal'},
		mismatch: {cls: 'bad', icon: '✖', zh: '印文与备案不一致 — 可能是伪造', en: 'The impression does NOT match — possibly forged'},
		inconclusive: {cls: 'warn', icon: '?', zh: '无法判断', en: 'Inconclusive'},
	};

	/* Draw the photo with the found seal circled. */
	async function drawFound(file, found, upScale) {
		const url = URL.createObjectURL(file);
		try {
			const img = new Image();
			img.decoding = 'async';
			img.src = url;
			await img.decode();
			const w = img.naturalWidth, h = img.naturalHeight;
			const scale = Math.min(1, 1200 / Math.max(w, h));
			/* found is in uploaded pixels; the photo is drawn from the original. */
			const k = scale / (upScale || 1);
			const c = el('canvas', {class: 'photo', id: 'imp-canvas', role: 'img',
				'aria-label': found ? '照片中找到的印章位置 / Where the seal was found' : '上传的照片 / The uploaded photo'});
			c.width = Math.round(w * scale);
			c.height = Math.round(h * scale);
			const g = c.getContext('2d');
			g.drawImage(img, 0, 0, c.width, c.height);
			if (found && found.radius > 0) {
				const x = found.x * k, y = found.y * k, r = found.radius * k;
				const lw = Math.max(3, c.width / 200);
				g.lineWidth = lw + 3;
				g.strokeStyle = 'rgba(255,255,255,0.9)';
				g.beginPath();
				g.arc(x, y, r + lw, 0, 2 * Math.PI);
				g.stroke();
				g.lineWidth = lw;
				g.strokeStyle = '#0b62c4';
				g.setLineDash([lw * 4, lw * 2]);
				g.beginPath();
				g.arc(x, y, r + lw, 0, 2 * Math.PI);
				g.stroke();
				g.setLineDash([]);
				/* Centre cross and a tick for the found rotation. */
				g.beginPath();
				g.moveTo(x - lw * 4, y);
				g.lineTo(x + lw * 4, y);
				g.moveTo(x, y - lw * 4);
				g.lineTo(x, y + lw * 4);
				g.stroke();
				if (typeof found.angle_deg === 'number') {
					const a = (found.angle_deg - 90) * Math.PI / 180;
					g.beginPath();
					g.moveTo(x + Math.cos(a) * r * 0.85, y + Math.sin(a) * r * 0.85);
					g.lineTo(x + Math.cos(a) * (r + lw * 5), y + Math.sin(a) * (r + lw * 5));
					g.stroke();
				}
				c.dataset.cx = x.toFixed(1);
				c.dataset.cy = y.toFixed(1);
				c.dataset.r = r.toFixed(1);
			}
			return c;
		} catch (e) {
			return el('p', {class: 'small muted'}, '此浏览器无法显示该图片 / This browser cannot display the photo.');
		} finally {
			URL.revokeObjectURL(url);
		}
	}

	async function compare(rawCode, file) {
		const out = $('imp-result');
		const code = normCode(rawCode);
		clear(out);
		if (!file) {
			out.append(errorBanner({code: 'invalid', message: 'choose a photo of the stamped impression', field: 'image'},
				'请先选择印文照片 / Choose a photo first'));
			return;
		}
		out.append(el('p', {class: 'muted spinner'}, '比对中，可能需要几秒 / Comparing, this can take a few seconds'));
		const up = await prepareImage(file);
		const [r, look] = await Promise.all([
			api('/v1/verify/impression?code=' + encodeURIComponent(code), {method: 'POST', body: up.body, type: up.type}),
			code ? api('/v1/seals/' + encodeURIComponent(code)) : Promise.resolve(null),
		]);
		clear(out);
		if (!r.ok || !r.data) {
			if (r.status === 404 && r.error.code === 'not_registered')
				out.append(notRegisteredView(r.error, code));
			else
				out.append(errorBanner(r.error, r.error.code === 'not_implemented' ?
					'印文比对暂未开放 / Impression comparison is not available yet' : null));
			return;
		}
		const d = r.data;
		const v = VERDICTS[d.verdict] || VERDICTS.inconclusive;
		const reason = REASONS[d.reason] || ['', ''];
		const pct = typeof d.score === 'number' ? Math.round(d.score * 100) + '%' : '';
		out.append(el('div', {class: 'banner ' + v.cls, role: v.cls === 'ok' ? 'status' : 'alert', 'data-verdict': d.verdict,
			'data-reason': d.reason},
			el('strong', {}, el('span', {class: 'icon', 'aria-hidden': 'true'}, v.icon), v.zh + ' ', el('span', {lang: 'en'}, '/ ' + v.en)),
			reason[0] ? el('p', {class: 'reason'}, reason[0]) : null,
			reason[1] ? el('p', {class: 'small', lang: 'en'}, reason[1]) : null,
			d.verdict === 'match' ? el('p', {class: 'small'}, '印文一致只说明盖章的是备案的那枚印章；请同时留意下方的印章状态。') : null,
			d.advice && !reason[1] && d.reason !== 'ok' ? el('p', {class: 'small api-advice', lang: 'en'}, d.advice) : null));
		if (look && look.ok && look.data && look.data.status !== 'active') {
			const s = STATUS[look.data.status];
			out.append(el('div', {class: 'banner ' + (s ? s.cls : 'warn'), role: 'alert'},
				el('strong', {}, '注意：此印章状态为「' + (s ? s.zh : look.data.status) + '」 ', el('span', {lang: 'en'}, '/ Note: this seal is ' + (s ? s.en : look.data.status))),
				s ? el('p', {}, s.advice) : null));
		}
		const f = d.found;
		out.append(facts([
			['印章编码', 'Code', el('span', {class: 'mono'}, d.code || code)],
			['相似度', 'Score', pct, 'score'],
			['原因代码', 'Reason', el('span', {class: 'mono'}, d.reason || ''), 'reason'],
			['找到的位置', 'Found at', f ? '(' + Math.round(f.x) + ', ' + Math.round(f.y) + ')，半径 / radius ' + Math.round(f.radius) +
				' px' + (typeof f.angle_deg === 'number' ? '，旋转 / rotated ' + Math.round(f.angle_deg) + '°' : '') : '未找到 / not found', 'found'],
		]));
		out.append(await drawFound(file, f, up.scale));
	}

	function init() {
		$('lookup-form').addEventListener('submit', (e) => {
			e.preventDefault();
			const btn = $('lookup-btn');
			busy(btn, async () => {
				const seal = await lookup($('code').value, $('lookup-result'));
				if (seal)
					$('imp-code').value = seal.code_display || seal.code;
			});
		});
		$('qr-file').addEventListener('change', (e) => {
			const file = e.target.files && e.target.files[0];
			if (file)
				checkQrFile(file).finally(() => {
					e.target.value = '';   /* picking the same photo again re-checks it */
				});
		});
		$('imp-form').addEventListener('submit', (e) => {
			e.preventDefault();
			const file = $('imp-file').files[0];
			busy($('imp-btn'), () => compare($('imp-code').value, file));
		});

		/* QR landing: /q/{13 digits}.{signature}. */
		const m = /^\/q\/(\d{13})\.([A-Za-z0-9_-]+)\/?$/.exec(location.pathname);
		if (m)
			landing(m[1], location.pathname);
		else {
			const q = new URLSearchParams(location.search).get('code');
			if (q) {
				$('code').value = q;
				lookup(q, $('lookup-result'));
			}
		}
	}

	/* The page opened from a scanned QR: check the signature in the URL, then show the seal. */
	async function landing(code, path) {
		$('code').value = showCode(code);
		$('imp-code').value = showCode(code);
		const out = $('lookup-result');
		clear(out).append(el('p', {class: 'muted spinner'}, '正在核验二维码 / Checking the QR code'));
		document.getElementById('lookup-h').scrollIntoView({block: 'start'});
		const r = await api('/v1/qr/check?payload=' + encodeURIComponent(path));
		if (r.ok && r.data) {
			clear(out).append(qrView(r.data));
			return;
		}
		/* The check failed (e.g. rate limited): still show the live lookup. */
		await lookup(code, out);
		out.prepend(errorBanner(r.error, '无法核验二维码签名 / The QR signature could not be checked'));
	}

	init();
})();
